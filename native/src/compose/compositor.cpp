#include "compose/compositor.h"

#include <algorithm>
#include <cstring>

namespace rtcegress {

namespace {
const Yuv kPlaceholder = rgb_to_yuv(Rgb{48, 48, 56});
}

Compositor::Compositor(int width, int height) : width_(width), height_(height), canvas_(make_frame()) {
  if (!canvas_ || !alloc_yuv_frame(canvas_.get(), width, height)) canvas_.reset();
}

AVFrame* Compositor::render(const LayoutSettings& view, const std::vector<UserView>& users, const std::string& speaker,
                            double placeholder_after_s) {
  if (!canvas_) return nullptr;
  if (av_frame_make_writable(canvas_.get()) < 0) return nullptr;
  fill_frame(canvas_.get(), rgb_to_yuv(view.background));
  std::vector<TileInput> inputs;
  inputs.reserve(users.size());
  for (const auto& u : users) {
    inputs.push_back(TileInput{u.uid, u.frame ? u.frame->width : 0, u.frame ? u.frame->height : 0});
  }
  for (const Tile& t : compute_layout(view, width_, height_, inputs, speaker)) {
    auto it = std::find_if(users.begin(), users.end(), [&](const UserView& u) { return u.uid == t.uid; });
    if (it != users.end()) draw_user(*it, t, placeholder_after_s);
  }
  return canvas_.get();
}

void Compositor::draw_user(const UserView& u, const Tile& t, double placeholder_after_s) {
  const AVFrame* src = u.frame.get();
  if (!src || u.frame_age_s > placeholder_after_s || src->width < 2 || src->height < 2) {
    draw_placeholder(u.uid, t.area);
    return;
  }
  Rect r = fit_inside(src->width, src->height, t.area);
  AVFrame* c = canvas_.get();
  if (r.w == src->width && r.h == src->height && src->format == AV_PIX_FMT_YUV420P) {
    copy_into_canvas(src, r);  // the tile is the source's own size: no scaling at all
    return;
  }
  Scaler& sc = scalers_[u.uid];
  SwsContext* sws = cached_sws(sc.sws, src->width, src->height, static_cast<AVPixelFormat>(src->format), r.w, r.h,
                               AV_PIX_FMT_YUV420P, SWS_BILINEAR);
  if (!sws) return;
  if (r.x % 64 == 0) {
    // Aligned: scale straight into the canvas.
    uint8_t* dst[4] = {c->data[0] + r.y * c->linesize[0] + r.x, c->data[1] + (r.y / 2) * c->linesize[1] + r.x / 2,
                       c->data[2] + (r.y / 2) * c->linesize[2] + r.x / 2, nullptr};
    sws_scale(sws, src->data, src->linesize, 0, src->height, dst, c->linesize);
    return;
  }
  // Unaligned positions go through a scratch frame (swscale is much slower on unaligned destinations).
  if (!sc.scaled || sc.scaled->width != r.w || sc.scaled->height != r.h) {
    sc.scaled = make_frame();
    if (!sc.scaled || !alloc_yuv_frame(sc.scaled.get(), r.w, r.h)) {
      sc.scaled.reset();
      return;
    }
  }
  sws_scale(sws, src->data, src->linesize, 0, src->height, sc.scaled->data, sc.scaled->linesize);
  copy_into_canvas(sc.scaled.get(), r);
}

void Compositor::copy_into_canvas(const AVFrame* f, Rect r) {
  AVFrame* c = canvas_.get();
  for (int y = 0; y < r.h; ++y) {
    std::memcpy(c->data[0] + (r.y + y) * c->linesize[0] + r.x, f->data[0] + y * f->linesize[0],
                static_cast<size_t>(r.w));
  }
  for (int p = 1; p < 3; ++p) {
    for (int y = 0; y < r.h / 2; ++y) {
      std::memcpy(c->data[p] + (r.y / 2 + y) * c->linesize[p] + r.x / 2, f->data[p] + y * f->linesize[p],
                  static_cast<size_t>(r.w / 2));
    }
  }
}

void Compositor::draw_placeholder(const std::string& uid, Rect area) {
  Rect r = fit_inside(16, 9, area);
  fill_rect(canvas_.get(), r, kPlaceholder);
  std::string label = uid.size() > 24 ? uid.substr(0, 24) : uid;
  int scale = std::max(1, std::min(r.h / 40, r.w / std::max(1, text_width(label, 1) * 2)));
  int tw = text_width(label, scale), th = kGlyphH * scale;
  draw_text(canvas_.get(), r.x + (r.w - tw) / 2, r.y + (r.h - th) / 2, label, scale, 200);
}

}  // namespace rtcegress
