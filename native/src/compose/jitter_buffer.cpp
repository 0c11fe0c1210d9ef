#include "compose/jitter_buffer.h"

#include <algorithm>

namespace rtcegress {

AudioJitterBuffer::AudioJitterBuffer(int sample_rate, int channels, int take)
    : rate_(sample_rate),
      channels_(channels),
      fade_(std::max(1, sample_rate / 400)),  // 2.5 ms
      fifo_(av_audio_fifo_alloc(AV_SAMPLE_FMT_FLTP, channels, sample_rate / 5)),
      max_pull_(std::min(take, sample_rate / 8)) {}

int AudioJitterBuffer::target() const {
  // Enough for one take while the next burst is on its way, plus 10 ms of slack; never more than 250 ms.
  return std::min(max_push_ + max_pull_ + rate_ / 100, rate_ / 4);
}

void AudioJitterBuffer::push(const float* const* planes, int n) {
  if (n <= 0 || !fifo_) return;
  max_push_ = std::max(max_push_, std::min(n, rate_ / 8));
  av_audio_fifo_write(fifo_.get(), reinterpret_cast<void**>(const_cast<float**>(planes)), n);
  // Hard bound (the output clock stalled): never hold more than a second.
  int size = av_audio_fifo_size(fifo_.get());
  if (size > rate_) {
    int drop = size - target();
    av_audio_fifo_drain(fifo_.get(), drop);
    dropped_ += drop;
  }
}

int AudioJitterBuffer::pull(PlanarBuffer& out) {
  out.clear();
  if (!fifo_) return 0;
  max_pull_ = std::max(max_pull_, std::min(out.samples, rate_ / 8));
  int size = av_audio_fifo_size(fifo_.get());
  if (!playing_) {
    if (out.samples == 0 || size < target() || size == 0) return 0;
    // Start from exactly the reserve: what is beyond it would only be delay, and dropping it now, before
    // anything was played, is silent (dropping it later is a skip).
    if (size > target()) {
      dropped_ += size - target();
      av_audio_fifo_drain(fifo_.get(), size - target());
      size = target();
    }
    playing_ = true;
    fade_in_ = true;
    window_min_ = -1;
    window_samples_ = 0;
  }
  // Latency trimming: if the level never came near the reserve during the last two seconds, the surplus is
  // pure delay; skip it now, crossfading from the audio before the skip into the audio after it.
  window_min_ = window_min_ < 0 ? size : std::min(window_min_, size);
  window_samples_ += out.samples;
  if (window_samples_ >= 2 * rate_) {
    int surplus = window_min_ - target();
    if (surplus > rate_ / 50 && surplus > fade_ && size - surplus >= fade_) {
      crossfade_.resize(channels_, fade_);
      av_audio_fifo_read(fifo_.get(), reinterpret_cast<void**>(const_cast<float**>(crossfade_.planes())), fade_);
      av_audio_fifo_drain(fifo_.get(), surplus - fade_);
      dropped_ += surplus;
      size -= surplus;
    }
    window_min_ = -1;
    window_samples_ = 0;
  }
  int n = std::min(size, out.samples);
  if (n > 0) av_audio_fifo_read(fifo_.get(), reinterpret_cast<void**>(const_cast<float**>(out.planes())), n);
  int f = std::min(fade_, n);
  if (crossfade_.samples > 0) {
    for (int c = 0; c < channels_; ++c) {
      for (int i = 0; i < f; ++i) {
        float w = static_cast<float>(i + 1) / static_cast<float>(f + 1);
        auto& o = out.data[static_cast<size_t>(c)][static_cast<size_t>(i)];
        o = crossfade_.data[static_cast<size_t>(c)][static_cast<size_t>(i)] * (1 - w) + o * w;
      }
    }
    crossfade_.resize(channels_, 0);
  }
  if (fade_in_) {
    for (int c = 0; c < channels_; ++c) {
      for (int i = 0; i < f; ++i) {
        out.data[static_cast<size_t>(c)][static_cast<size_t>(i)] *= static_cast<float>(i + 1) / static_cast<float>(f + 1);
      }
    }
    fade_in_ = false;
  }
  if (n < out.samples) {
    // Ran dry: fade out what there was, then silence until the reserve is built up again.
    for (int c = 0; c < channels_; ++c) {
      for (int i = 0; i < f; ++i) {
        out.data[static_cast<size_t>(c)][static_cast<size_t>(n - f + i)] *= static_cast<float>(f - i) / static_cast<float>(f + 1);
      }
    }
    playing_ = false;
    ++underruns_;
  }
  return n;
}

double AudioJitterBuffer::buffered_ms() const {
  return fifo_ ? 1000.0 * av_audio_fifo_size(fifo_.get()) / rate_ : 0.0;
}

void AudioJitterBuffer::reset() {
  if (fifo_) av_audio_fifo_reset(fifo_.get());
  playing_ = false;
}

}  // namespace rtcegress
