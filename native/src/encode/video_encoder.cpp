#include "encode/video_encoder.h"

namespace rtcegress {

bool VideoEncoder::open(const VideoSettings& v, const std::string& preset, bool global_header, std::string& error) {
  Dict opts;
  opts.set("preset", preset);
  opts.set("forced-idr", "1");
  ctx_ = open_encoder(avcodec_find_encoder_by_name("libx264"), "H.264 (libx264)", [&](AVCodecContext* c) {
    c->width = v.width;
    c->height = v.height;
    c->pix_fmt = AV_PIX_FMT_YUV420P;
    c->time_base = AVRational{1, v.fps};
    c->framerate = AVRational{v.fps, 1};
    c->bit_rate = static_cast<int64_t>(v.bitrate_kbps) * 1000;
    c->gop_size = 2 * v.fps;
    c->color_range = AVCOL_RANGE_MPEG;
    c->colorspace = AVCOL_SPC_SMPTE170M;
    c->color_primaries = AVCOL_PRI_SMPTE170M;
    c->color_trc = AVCOL_TRC_SMPTE170M;
    if (global_header) c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    // One encoder thread is the cheapest per recorded second and keeps up with 720p30 at veryfast with room to
    // spare; larger outputs get x264's own thread count so that they stay real-time.
    c->thread_count = static_cast<long long>(v.width) * v.height * v.fps <= 1280LL * 720 * 30 ? 1 : 0;
  }, opts.get(), error);
  return ctx_ != nullptr;
}

bool VideoEncoder::encode(AVFrame* frame, int64_t pts, bool force_keyframe, std::vector<PacketPtr>& out,
                          std::string& error) {
  if (frame) {
    frame->pts = pts;
    frame->pict_type = force_keyframe ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
  }
  int err = avcodec_send_frame(ctx_.get(), frame);
  if (frame) frame->pict_type = AV_PICTURE_TYPE_NONE;
  if (err < 0 && err != AVERROR_EOF) {
    error = "video encoding failed: " + av_error_string(err);
    return false;
  }
  std::size_t first = out.size();
  if (!receive_packets(ctx_.get(), out, "video", error)) return false;
  for (std::size_t i = first; i < out.size(); ++i) {
    if (out[i]->duration == 0) out[i]->duration = 1;
  }
  return true;
}

}  // namespace rtcegress
