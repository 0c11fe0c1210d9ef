#include "encode/audio_encoder.h"

#include <vector>

extern "C" {
#include <libavutil/channel_layout.h>
#include <libavutil/samplefmt.h>
}

namespace rtcegress {

bool AudioEncoder::open(const AudioSettings& a, bool global_header, std::string& error) {
  ctx_ = open_encoder(avcodec_find_encoder(AV_CODEC_ID_AAC), "AAC", [&](AVCodecContext* c) {
    c->sample_fmt = AV_SAMPLE_FMT_FLTP;
    c->sample_rate = a.sample_rate;
    av_channel_layout_default(&c->ch_layout, a.channels);
    c->bit_rate = static_cast<int64_t>(a.bitrate_kbps) * 1000;
    c->time_base = AVRational{1, a.sample_rate};
    if (global_header) c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  }, nullptr, error);
  if (!ctx_) return false;
  AVCodecContext* c = ctx_.get();
  fifo_.reset(av_audio_fifo_alloc(AV_SAMPLE_FMT_FLTP, a.channels, c->frame_size * 4));
  // One frame, reused for every frame sent (made writable again if the encoder still holds it).
  frame_ = make_frame();
  if (!fifo_ || !frame_) {
    error = "out of memory (audio encoder)";
    return false;
  }
  frame_->nb_samples = c->frame_size;
  frame_->format = c->sample_fmt;
  frame_->sample_rate = c->sample_rate;
  if (av_channel_layout_copy(&frame_->ch_layout, &c->ch_layout) < 0 || av_frame_get_buffer(frame_.get(), 0) < 0) {
    error = "out of memory (audio frame)";
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
  if (n > 0) av_audio_fifo_write(fifo_.get(), reinterpret_cast<void**>(const_cast<float**>(planes)), n);
  while (av_audio_fifo_size(fifo_.get()) >= ctx_->frame_size) {
    if (!send(ctx_->frame_size, out, error)) return false;
  }
  return true;
}

bool AudioEncoder::send(int n, std::vector<PacketPtr>& out, std::string& error) {
  AVCodecContext* c = ctx_.get();
  frame_->nb_samples = c->frame_size;  // the buffer's size: a copy made to be writable is full-sized too
  if (av_frame_make_writable(frame_.get()) < 0) {
    error = "out of memory (audio frame)";
    return false;
  }
  bool small_last = n < c->frame_size && (c->codec->capabilities & AV_CODEC_CAP_SMALL_LAST_FRAME);
  frame_->nb_samples = small_last ? n : c->frame_size;
  av_samples_set_silence(frame_->extended_data, 0, frame_->nb_samples, c->ch_layout.nb_channels, c->sample_fmt);
  av_audio_fifo_read(fifo_.get(), reinterpret_cast<void**>(frame_->extended_data), n);
  frame_->pts = next_pts_;
  next_pts_ += frame_->nb_samples;
  int err = avcodec_send_frame(c, frame_.get());
  if (err < 0) {
    error = "audio encoding failed: " + av_error_string(err);
    return false;
  }
  return receive_packets(c, out, "audio", error);
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
  return receive_packets(ctx_.get(), out, "audio", error);
}

}  // namespace rtcegress
