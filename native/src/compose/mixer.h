// Audio mixing: a plain sum of every user's samples followed by a look-ahead peak limiter, so a loud room
// never clips and the limiter itself does not distort (its gain moves smoothly ahead of each peak).
#pragma once

#include <deque>
#include <utility>
#include <vector>

namespace rtcegress {

// Planar float audio of a fixed channel count.
struct PlanarBuffer {
  int channels = 0;
  int samples = 0;
  std::vector<std::vector<float>> data;

  void resize(int ch, int n);
  void clear();  // silence, same size
  float* const* planes();
  const float* const* planes() const;

 private:
  mutable std::vector<float*> ptrs_;
};

// Adds src into acc (same channel count and length).
void mix_into(PlanarBuffer& acc, const PlanarBuffer& src);

double rms(const PlanarBuffer& b);

// Ramps the last n samples (or all, if fewer) down to silence, so a recording that ends mid-sound ends
// without a click (which lossy encoding would also turn into an overshoot).
void fade_out_tail(PlanarBuffer& b, int n);

// |output| <= ceiling always; signals below the ceiling pass unchanged. The default ceiling (-1.4 dBFS) leaves
// room for the overshoot of lossy AAC encoding, so the decoded file does not clip either. The output is delayed by the
// look-ahead (a few milliseconds): the gain starts falling that early, so a peak meets a gain already low
// instead of being flattened (which would add harmonics, and overshoot again after lossy encoding).
class Limiter {
 public:
  Limiter(int sample_rate, int channels, float ceiling = 0.85f, double lookahead_s = 0.005, double release_s = 0.25);
  void process(PlanarBuffer& b);
  float gain() const { return gain_; }
  int delay_samples() const { return lookahead_ - 1; }

 private:
  int lookahead_;
  float ceiling_;
  float release_step_;
  float gain_ = 1.0f;
  long long pos_ = 0;
  std::vector<std::vector<float>> delay_;      // per channel, ring of lookahead_ samples
  std::deque<std::pair<long long, float>> min_window_;  // sliding minimum of the needed gain
  std::vector<float> smooth_;                  // ring of window minima, averaged
  double smooth_sum_;
};

}  // namespace rtcegress
