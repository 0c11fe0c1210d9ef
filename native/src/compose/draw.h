// Drawing on YUV 4:2:0 frames: solid rectangles, colours and a small built-in bitmap font.
#pragma once

#include <cstdint>
#include <string>

#include "control/config.h"

extern "C" {
#include <libavutil/frame.h>
}

namespace rtcegress {

struct Yuv {
  std::uint8_t y = 16, u = 128, v = 128;
};

// BT.601 limited range, what the H.264 output is tagged with.
Yuv rgb_to_yuv(Rgb c);

struct Rect {
  int x = 0, y = 0, w = 0, h = 0;
  bool operator==(const Rect& o) const { return x == o.x && y == o.y && w == o.w && h == o.h; }
  bool empty() const { return w <= 0 || h <= 0; }
};

// Fills r (clipped to the frame) on a YUV420P frame.
void fill_rect(AVFrame* frame, Rect r, Yuv colour);
void fill_frame(AVFrame* frame, Yuv colour);

// Glyph size in font pixels; each font pixel is drawn as scale x scale frame pixels.
constexpr int kGlyphW = 5;
constexpr int kGlyphH = 7;
constexpr int kGlyphAdvance = 6;

int text_width(const std::string& text, int scale);
// Draws text with its top-left corner at (x, y) in the given luma; the chroma under it is made neutral.
void draw_text(AVFrame* frame, int x, int y, const std::string& text, int scale, std::uint8_t luma);

}  // namespace rtcegress
