// Where each user goes on the canvas: pure geometry for the flat, grid, spotlight and customized layouts.
#pragma once

#include <string>
#include <vector>

#include "compose/draw.h"
#include "control/config.h"

namespace rtcegress {

struct TileInput {
  std::string uid;
  int src_w = 0;  // size of the user's current video; 0 when unknown (no video yet)
  int src_h = 0;
};

struct Tile {
  std::string uid;
  Rect area;         // the tile; the video is fitted inside it
  int z = 0;         // drawing order, lowest first
  bool main = false; // the large tile of the spotlight layout
};

// users are in display order (the task's users list, then join order). speaker is the spotlight candidate
// (ignored by other layouts; an absent speaker falls back to the first user). Tiles come back in drawing order.
std::vector<Tile> compute_layout(const LayoutSettings& view, int width, int height,
                                 const std::vector<TileInput>& users, const std::string& speaker);

// The largest rectangle of the source's aspect ratio inside area, centred, with even position and size.
Rect fit_inside(int src_w, int src_h, Rect area);

}  // namespace rtcegress
