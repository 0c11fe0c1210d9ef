// Renders one output picture per tick: the background, then each user's latest frame scaled into its tile
// (or a placeholder with the uid when the user has no recent video).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "compose/layout.h"
#include "encode/ffmpeg_util.h"
#include "pipeline/user_table.h"

namespace rtcegress {

class Compositor {
 public:
  Compositor(int width, int height);
  Compositor(const Compositor&) = delete;
  Compositor& operator=(const Compositor&) = delete;

  bool ok() const { return canvas_ != nullptr; }
  // Draws the canvas; the returned frame belongs to the compositor and stays valid until the next render.
  AVFrame* render(const LayoutSettings& view, const std::vector<UserView>& users, const std::string& speaker,
                  double placeholder_after_s);

 private:
  struct Scaler {
    SwsPtr sws;
    FramePtr scaled;
  };
  void draw_user(const UserView& u, const Tile& t, double placeholder_after_s);
  void draw_placeholder(const std::string& uid, Rect area);
  void copy_into_canvas(const AVFrame* f, Rect r);

  int width_, height_;
  FramePtr canvas_;
  std::map<std::string, Scaler> scalers_;
};

}  // namespace rtcegress
