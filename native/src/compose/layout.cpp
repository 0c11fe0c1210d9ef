#include "compose/layout.h"

#include <algorithm>
#include <cmath>

namespace rtcegress {
namespace {

int even_down(int v) { return v & ~1; }
int even_round(double v) { return static_cast<int>(std::lround(v / 2.0)) * 2; }

// Lays n cells out in rows of cols, each cell w x h, the last (incomplete) row centred, the block centred.
std::vector<Rect> cells(int n, int cols, int width, int height) {
  int rows = (n + cols - 1) / cols;
  int cw = even_down(width / cols), ch = even_down(height / rows);
  int y0 = even_down((height - ch * rows) / 2);
  std::vector<Rect> out;
  for (int i = 0; i < n; ++i) {
    int row = i / cols, col = i % cols;
    int in_row = std::min(cols, n - row * cols);
    int x0 = even_down((width - cw * in_row) / 2);
    out.push_back(Rect{x0 + col * cw, y0 + row * ch, cw, ch});
  }
  return out;
}

double fitted_area(int src_w, int src_h, int cw, int ch) {
  if (src_w <= 0 || src_h <= 0) return static_cast<double>(cw) * ch;
  double s = std::min(static_cast<double>(cw) / src_w, static_cast<double>(ch) / src_h);
  return s * src_w * s * src_h;
}

std::vector<Tile> tiles_from(const std::vector<TileInput>& users, const std::vector<Rect>& rects) {
  std::vector<Tile> out;
  for (std::size_t i = 0; i < users.size() && i < rects.size(); ++i) out.push_back(Tile{users[i].uid, rects[i], 0});
  return out;
}

std::vector<Tile> grid(int w, int h, const std::vector<TileInput>& users) {
  int n = static_cast<int>(users.size());
  int cols = static_cast<int>(std::ceil(std::sqrt(static_cast<double>(n))));
  return tiles_from(users, cells(n, cols, w, h));
}

// Equal tiles, with the column count that shows the users' video the largest.
std::vector<Tile> flat(int w, int h, const std::vector<TileInput>& users) {
  int n = static_cast<int>(users.size());
  int best_cols = 1;
  double best = -1;
  for (int cols = 1; cols <= n; ++cols) {
    int rows = (n + cols - 1) / cols;
    int cw = w / cols, ch = h / rows;
    double area = 0;
    for (const auto& u : users) area += fitted_area(u.src_w > 0 ? u.src_w : 16, u.src_h > 0 ? u.src_h : 9, cw, ch);
    if (area >= best * 0.9999) {  // ties go to more columns: side by side on a landscape canvas
      best = area;
      best_cols = cols;
    }
  }
  return tiles_from(users, cells(n, best_cols, w, h));
}

// The speaker large on the left, everyone else in a column on the right.
std::vector<Tile> spotlight(int w, int h, const std::vector<TileInput>& users, const std::string& speaker) {
  std::size_t main_idx = 0;
  for (std::size_t i = 0; i < users.size(); ++i) {
    if (users[i].uid == speaker) main_idx = i;
  }
  std::vector<Tile> out;
  if (users.size() == 1) {
    out.push_back(Tile{users[0].uid, Rect{0, 0, w, h}, 0, true});
    return out;
  }
  int strip_w = even_down(w / 5);
  int others = static_cast<int>(users.size()) - 1;
  int thumb_h = even_down(std::min(h / others, strip_w * 9 / 16));
  int y0 = even_down((h - thumb_h * others) / 2);
  out.push_back(Tile{users[main_idx].uid, Rect{0, 0, w - strip_w, h}, 0, true});
  int k = 0;
  for (std::size_t i = 0; i < users.size(); ++i) {
    if (i == main_idx) continue;
    out.push_back(Tile{users[i].uid, Rect{w - strip_w, y0 + k * thumb_h, strip_w, thumb_h}, 1, false});
    ++k;
  }
  return out;
}

std::vector<Tile> customized(int w, int h, const std::vector<TileInput>& users, const std::vector<Region>& regions) {
  std::vector<Tile> out;
  for (const Region& r : regions) {
    bool present = std::any_of(users.begin(), users.end(), [&](const TileInput& u) { return u.uid == r.uid; });
    if (!present) continue;
    int x = even_round(r.x * w), y = even_round(r.y * h);
    int x1 = std::min(w, even_round((r.x + r.w) * w)), y1 = std::min(h, even_round((r.y + r.h) * h));
    if (x1 - x < 2 || y1 - y < 2) continue;
    out.push_back(Tile{r.uid, Rect{x, y, x1 - x, y1 - y}, r.z});
  }
  std::stable_sort(out.begin(), out.end(), [](const Tile& a, const Tile& b) { return a.z < b.z; });
  return out;
}

}  // namespace

std::vector<Tile> compute_layout(const LayoutSettings& view, int width, int height,
                                 const std::vector<TileInput>& users, const std::string& speaker) {
  if (users.empty()) return {};
  switch (view.layout) {
    case Layout::grid: return grid(width, height, users);
    case Layout::flat: return flat(width, height, users);
    case Layout::spotlight: return spotlight(width, height, users, speaker);
    case Layout::customized: return customized(width, height, users, view.regions);
  }
  return {};
}

Rect fit_inside(int src_w, int src_h, Rect a) {
  if (src_w <= 0 || src_h <= 0 || a.empty()) return a;
  double s = std::min(static_cast<double>(a.w) / src_w, static_cast<double>(a.h) / src_h);
  int w = std::max(2, std::min(even_down(a.w), even_round(src_w * s)));
  int h = std::max(2, std::min(even_down(a.h), even_round(src_h * s)));
  return Rect{a.x + even_down((a.w - w) / 2), a.y + even_down((a.h - h) / 2), w, h};
}

}  // namespace rtcegress
