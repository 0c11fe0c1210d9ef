#include "encode/ffmpeg_util.h"

namespace rtcegress {

bool alloc_yuv_frame(AVFrame* f, int w, int h, AVPixelFormat format) {
  f->format = format;
  f->width = w;
  f->height = h;
  return av_frame_get_buffer(f, 32) >= 0;
}

CodecContextPtr open_encoder(const AVCodec* codec, const std::string& name,
                             const std::function<void(AVCodecContext*)>& configure, AVDictionary** options,
                             std::string& error) {
  if (!codec) {
    error = "the " + name + " encoder is not available in this FFmpeg";
    return nullptr;
  }
  CodecContextPtr ctx(avcodec_alloc_context3(codec));
  if (!ctx) {
    error = "out of memory (" + name + " encoder)";
    return nullptr;
  }
  configure(ctx.get());
  int err = avcodec_open2(ctx.get(), codec, options);
  if (err < 0) {
    error = "cannot open the " + name + " encoder: " + av_error_string(err);
    return nullptr;
  }
  return ctx;
}

bool receive_packets(AVCodecContext* encoder, std::vector<PacketPtr>& out, const std::string& what,
                     std::string& error) {
  for (;;) {
    PacketPtr pkt = make_packet();
    int err = avcodec_receive_packet(encoder, pkt.get());
    if (err == AVERROR(EAGAIN) || err == AVERROR_EOF) return true;
    if (err < 0) {
      error = what + " encoding failed: " + av_error_string(err);
      return false;
    }
    out.push_back(std::move(pkt));
  }
}

}  // namespace rtcegress
