#include "compose/mixer.h"

#include <algorithm>
#include <cmath>

namespace rtcegress {

void PlanarBuffer::resize(int ch, int n) {
  channels = ch;
  samples = n;
  data.resize(static_cast<size_t>(ch));
  for (auto& p : data) p.assign(static_cast<size_t>(n), 0.0f);
}

void PlanarBuffer::clear() {
  for (auto& p : data) std::fill(p.begin(), p.end(), 0.0f);
}

float* const* PlanarBuffer::planes() {
  ptrs_.resize(data.size());
  for (size_t i = 0; i < data.size(); ++i) ptrs_[i] = data[i].data();
  return ptrs_.data();
}

const float* const* PlanarBuffer::planes() const {
  ptrs_.resize(data.size());
  for (size_t i = 0; i < data.size(); ++i) ptrs_[i] = const_cast<float*>(data[i].data());
  return ptrs_.data();
}

void mix_into(PlanarBuffer& acc, const PlanarBuffer& src) {
  int ch = std::min(acc.channels, src.channels);
  int n = std::min(acc.samples, src.samples);
  for (int c = 0; c < ch; ++c) {
    float* a = acc.data[static_cast<size_t>(c)].data();
    const float* s = src.data[static_cast<size_t>(c)].data();
    for (int i = 0; i < n; ++i) a[i] += s[i];
  }
}

double rms(const PlanarBuffer& b) {
  if (b.samples == 0 || b.channels == 0) return 0;
  double sum = 0;
  for (const auto& p : b.data) {
    for (float v : p) sum += static_cast<double>(v) * v;
  }
  return std::sqrt(sum / (static_cast<double>(b.samples) * b.channels));
}

void fade_out_tail(PlanarBuffer& b, int n) {
  n = std::min(n, b.samples);
  for (auto& ch : b.data) {
    float* tail = ch.data() + (b.samples - n);
    for (int i = 0; i < n; ++i) tail[i] *= static_cast<float>(n - 1 - i) / static_cast<float>(n);
  }
}

Limiter::Limiter(int sample_rate, int channels, float ceiling, double lookahead_s, double release_s)
    : lookahead_(std::max(1, static_cast<int>(lookahead_s * sample_rate))),
      ceiling_(ceiling),
      release_step_(static_cast<float>(1.0 / (release_s * sample_rate))),
      delay_(static_cast<size_t>(channels), std::vector<float>(static_cast<size_t>(lookahead_), 0.0f)),
      smooth_(static_cast<size_t>(lookahead_), 1.0f),
      smooth_sum_(lookahead_) {}

void Limiter::process(PlanarBuffer& b) {
  const auto L = static_cast<long long>(lookahead_);
  const int channels = std::min(b.channels, static_cast<int>(delay_.size()));
  for (int i = 0; i < b.samples; ++i, ++pos_) {
    const auto si = static_cast<size_t>(i);
    float peak = 0;
    for (int c = 0; c < channels; ++c) peak = std::max(peak, std::fabs(b.data[static_cast<size_t>(c)][si]));
    float needed = peak > ceiling_ ? ceiling_ / peak : 1.0f;
    // Minimum of the needed gain over the last L input samples = over the L samples ahead of the output.
    while (!min_window_.empty() && min_window_.back().second >= needed) min_window_.pop_back();
    min_window_.emplace_back(pos_, needed);
    while (min_window_.front().first <= pos_ - L) min_window_.pop_front();
    // Averaging L such minima gives a smooth gain that is still at or below what every peak needs.
    const auto slot = static_cast<size_t>(pos_ % L);
    smooth_sum_ += min_window_.front().second - smooth_[slot];
    smooth_[slot] = min_window_.front().second;
    if (slot == 0) {  // re-add exactly now and then so rounding never accumulates over hours
      smooth_sum_ = 0;
      for (float v : smooth_) smooth_sum_ += v;
    }
    float target = static_cast<float>(smooth_sum_ / static_cast<double>(L));
    gain_ = std::min(target, std::min(1.0f, gain_ + release_step_));
    // Delay line: store this sample, emit the one from L - 1 samples ago.
    const auto out_slot = static_cast<size_t>((pos_ + 1) % L);
    for (int c = 0; c < channels; ++c) {
      auto& ring = delay_[static_cast<size_t>(c)];
      ring[slot] = b.data[static_cast<size_t>(c)][si];
      b.data[static_cast<size_t>(c)][si] = ring[out_slot] * gain_;
    }
  }
}

}  // namespace rtcegress
