#include <doctest/doctest.h>

#include "compose/layout.h"

using namespace rtcegress;

namespace {
std::vector<TileInput> people(int n, int w = 640, int h = 360) {
  std::vector<TileInput> out;
  for (int i = 0; i < n; ++i) out.push_back(TileInput{"u" + std::to_string(i + 1), w, h});
  return out;
}
LayoutSettings with(Layout l) {
  LayoutSettings s;
  s.layout = l;
  return s;
}
}  // namespace

TEST_CASE("grid puts four users in quadrants") {
  auto tiles = compute_layout(with(Layout::grid), 1280, 720, people(4), "");
  REQUIRE(tiles.size() == 4);
  CHECK(tiles[0].area == Rect{0, 0, 640, 360});
  CHECK(tiles[1].area == Rect{640, 0, 640, 360});
  CHECK(tiles[2].area == Rect{0, 360, 640, 360});
  CHECK(tiles[3].area == Rect{640, 360, 640, 360});
}

TEST_CASE("grid centres an incomplete last row") {
  auto tiles = compute_layout(with(Layout::grid), 1280, 720, people(3), "");
  REQUIRE(tiles.size() == 3);
  CHECK(tiles[2].area == Rect{320, 360, 640, 360});
}

TEST_CASE("flat picks the column count that shows video largest") {
  // Two landscape users on a landscape canvas: side by side beats stacked (same area, ties go wide).
  auto two = compute_layout(with(Layout::flat), 1280, 720, people(2), "");
  CHECK(two[0].area == Rect{0, 0, 640, 720});
  CHECK(two[1].area == Rect{640, 0, 640, 720});
  // Portrait users: five in one row shows them larger than a 3x2 grid.
  auto portrait = compute_layout(with(Layout::flat), 1280, 720, people(5, 360, 640), "");
  CHECK(portrait[4].area.y == 0);
  CHECK(portrait[4].area.w == 256);
}

TEST_CASE("spotlight shows the speaker large and the others in a strip") {
  auto tiles = compute_layout(with(Layout::spotlight), 1280, 720, people(3), "u2");
  REQUIRE(tiles.size() == 3);
  CHECK(tiles[0].uid == "u2");
  CHECK(tiles[0].main);
  CHECK(tiles[0].area == Rect{0, 0, 1024, 720});
  CHECK(tiles[1].uid == "u1");
  CHECK(tiles[1].area == Rect{1024, 216, 256, 144});
  CHECK(tiles[2].area == Rect{1024, 360, 256, 144});
  // Unknown speaker: the first user.
  CHECK(compute_layout(with(Layout::spotlight), 1280, 720, people(2), "nobody")[0].uid == "u1");
  // Alone: the whole canvas.
  CHECK(compute_layout(with(Layout::spotlight), 1280, 720, people(1), "")[0].area == Rect{0, 0, 1280, 720});
}

TEST_CASE("customized follows regions in z order and skips absent users") {
  LayoutSettings s = with(Layout::customized);
  s.regions = {Region{"u2", 0.5, 0.5, 0.5, 0.5, 5}, Region{"u1", 0, 0, 1, 1, 0}, Region{"gone", 0, 0, 0.2, 0.2, 9}};
  auto tiles = compute_layout(s, 640, 360, people(3), "");
  REQUIRE(tiles.size() == 2);
  CHECK(tiles[0].uid == "u1");
  CHECK(tiles[0].area == Rect{0, 0, 640, 360});
  CHECK(tiles[1].uid == "u2");
  CHECK(tiles[1].area == Rect{320, 180, 320, 180});
}

TEST_CASE("fit_inside keeps the aspect ratio, centred, on even pixels") {
  CHECK(fit_inside(640, 360, Rect{0, 0, 640, 720}) == Rect{0, 180, 640, 360});
  CHECK(fit_inside(360, 640, Rect{100, 0, 640, 360}) == Rect{318, 0, 202, 360});
  Rect odd = fit_inside(333, 111, Rect{2, 2, 101, 77});
  CHECK(odd.x % 2 == 0);
  CHECK(odd.y % 2 == 0);
  CHECK(odd.w % 2 == 0);
  CHECK(odd.h % 2 == 0);
  CHECK(fit_inside(0, 0, Rect{0, 0, 10, 10}) == Rect{0, 0, 10, 10});
}

TEST_CASE("no users, no tiles") { CHECK(compute_layout(with(Layout::grid), 640, 360, {}, "").empty()); }
