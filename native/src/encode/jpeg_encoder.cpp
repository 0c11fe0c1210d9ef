#include "encode/jpeg_encoder.h"

namespace rtcegress {

bool JpegEncoder::reopen(int w, int h, std::string& error) {
  ctx_ = open_encoder(avcodec_find_encoder(AV_CODEC_ID_MJPEG), "JPEG", [&](AVCodecContext* c) {
    c->width = w;
    c->height = h;
    c->pix_fmt = AV_PIX_FMT_YUVJ420P;
    c->time_base = AVRational{1, 25};
    c->color_range = AVCOL_RANGE_JPEG;
    c->flags |= AV_CODEC_FLAG_QSCALE;
    c->global_quality = FF_QP2LAMBDA * 3;  // high quality, modest size
  }, nullptr, error);
  if (!ctx_) return false;
  full_range_ = make_frame();
  if (!full_range_ || !alloc_yuv_frame(full_range_.get(), w, h, AV_PIX_FMT_YUVJ420P)) {
    ctx_.reset();  // the next frame tries again
    error = "out of memory (JPEG frame)";
    return false;
  }
  return true;
}

bool JpegEncoder::encode(const AVFrame* frame, std::vector<std::uint8_t>& out, std::string& error) {
  if (!ctx_ || ctx_->width != frame->width || ctx_->height != frame->height) {
    if (!reopen(frame->width, frame->height, error)) return false;
  }
  if (av_frame_make_writable(full_range_.get()) < 0) {
    error = "out of memory (JPEG frame)";
    return false;
  }
  SwsContext* sws = cached_sws(sws_, frame->width, frame->height, static_cast<AVPixelFormat>(frame->format),
                               frame->width, frame->height, AV_PIX_FMT_YUVJ420P, SWS_BICUBIC);
  if (!sws) {
    error = "cannot convert the frame for JPEG";
    return false;
  }
  sws_scale(sws, frame->data, frame->linesize, 0, frame->height, full_range_->data, full_range_->linesize);
  int err = avcodec_send_frame(ctx_.get(), full_range_.get());
  PacketPtr pkt = make_packet();
  if (err >= 0) err = avcodec_receive_packet(ctx_.get(), pkt.get());
  if (err < 0) {
    error = "JPEG encoding failed: " + av_error_string(err);
    return false;
  }
  out.assign(pkt->data, pkt->data + pkt->size);
  return true;
}

}  // namespace rtcegress
