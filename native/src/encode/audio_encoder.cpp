#include "encode/audio_encoder.h"

#include <vector>

extern "C" {
#include <libavutil/channel_layout.h>
#include <libavutil/samplefmt.h>
}

namespace rtcegress {

bool AudioEncoder::open(const AudioSettings& a, bool global_header, std::string& error) {
  const AVCodec* codec = avcodec_find_encoder(AV_CODEC_ID_AAC);
  if (!codec) {
    error = "the AAC encoder is not available in this FFmpeg";
    return false;
  }
  ctx_.reset(avcodec_alloc_context3(codec));
  if (!ctx_) {
    error = "out of memory (audio encoder)";
    return false;
  }
  AVCodecContext* c = ctx_.get();
  c->sample_fmt = AV_SAMPLE_FMT_FLTP;
  c->sample_rate = a.sample_rate;
  av_channel_layout_default(&c->ch_layout, a.channels);
  c->bit_rate = static_cast<int64_t>(a.bitrate_kbps) * 1000;
  c->time_base = AVRational{1, a.sample_rate};
  if (global_header) c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  int err = avcodec_open2(c, codec, nullptr);
  if (err < 0) {
    error = "cannot open the AAC encoder: " + av_error_string(err);
    return false;
  }
  fifo_.reset(av_audio_fifo_alloc(AV_SAMPLE_FMT_FLTP, a.channels, c->frame_size * 4));
  frame_ = make_frame();
  if (!fifo_ || !frame_) {
    error = "out of memory (audio encoder)";
    return false;
  }
  // One frame of silence ahead of the first sample: the decoder's start-up (priming) output is then derived
  // from silence. Otherwise a file that starts loud begins with a burst of aliasing above full scale.
  next_pts_ = -c->frame_size;
  std::vector<float> zeros(static_cast<size_t>(c->frame_size), 0.0f);
  std::vector<float*> planes(static_cast<size_t>(a.channels), zeros.data());
  av_audio_fifo_write(fifo_.get(), reinterpret_cast<void**>(planes.data()), c->frame_size);
  return send(c->frame_size, pending_, error);
}

bool AudioEncoder::push(const float* const* planes, int n, std::vector<PacketPtr>& out, std::string& error) {
  for (auto& p : pending_) out.push_back(std::move(p));
  pending_.clear();
  if (n > 0) {
    av_audio_fifo_write(fifo_.get(), reinterpret_cast<void**>(const_cast<float**>(planes)), n);
    samples_in_ += n;
  }
  while (av_audio_fifo_size(fifo_.get()) >= ctx_->frame_size) {
    if (!send(ctx_->frame_size, out, error)) return false;
  }
  return true;
}

bool AudioEncoder::send(int n, std::vector<PacketPtr>& out, std::string& error) {
  AVCodecContext* c = ctx_.get();
  av_frame_unref(frame_.get());
  bool small_last = n < c->frame_size && (c->codec->capabilities & AV_CODEC_CAP_SMALL_LAST_FRAME);
  frame_->nb_samples = small_last ? n : c->frame_size;
  frame_->format = c->sample_fmt;
  frame_->sample_rate = c->sample_rate;
  av_channel_layout_copy(&frame_->ch_layout, &c->ch_layout);
  int err = av_frame_get_buffer(frame_.get(), 0);
  if (err < 0) {
    error = "out of memory (audio frame)";
    return false;
  }
  av_samples_set_silence(frame_->extended_data, 0, frame_->nb_samples, c->ch_layout.nb_channels, c->sample_fmt);
  av_audio_fifo_read(fifo_.get(), reinterpret_cast<void**>(frame_->extended_data), n);
  frame_->pts = next_pts_;
  next_pts_ += frame_->nb_samples;
  err = avcodec_send_frame(c, frame_.get());
  if (err < 0) {
    error = "audio encoding failed: " + av_error_string(err);
    return false;
  }
  return drain(out, error);
}

bool AudioEncoder::flush(std::vector<PacketPtr>& out, std::string& error) {
  for (auto& p : pending_) out.push_back(std::move(p));
  pending_.clear();
  int left = av_audio_fifo_size(fifo_.get());
  if (left > 0 && !send(left, out, error)) return false;
  int err = avcodec_send_frame(ctx_.get(), nullptr);
  if (err < 0 && err != AVERROR_EOF) {
    error = "audio encoding failed: " + av_error_string(err);
    return false;
  }
  return drain(out, error);
}

bool AudioEncoder::drain(std::vector<PacketPtr>& out, std::string& error) {
  for (;;) {
    PacketPtr pkt = make_packet();
    int err = avcodec_receive_packet(ctx_.get(), pkt.get());
    if (err == AVERROR(EAGAIN) || err == AVERROR_EOF) return true;
    if (err < 0) {
      error = "audio encoding failed: " + av_error_string(err);
      return false;
    }
    out.push_back(std::move(pkt));
  }
}

}  // namespace rtcegress
