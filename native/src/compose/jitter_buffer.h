// Per-user audio buffer between a source (which delivers in bursts, on its own clock) and the output clock
// (which takes an exact number of samples per tick). It holds a small reserve, sized from the largest burst and
// the largest take seen, so neither underruns; fills gaps with silence; and trims latency that builds up (a
// source running ahead, a stall) back to the reserve, so audio stays in step with video. Every discontinuity
// it causes (an underrun, a trim, a restart) is smoothed with a few milliseconds of fade or crossfade, so it
// never clicks.
#pragma once

#include "compose/mixer.h"
#include "encode/ffmpeg_util.h"

namespace rtcegress {

class AudioJitterBuffer {
 public:
  // take: the number of samples the output clock takes per tick (the reserve grows if takes are larger).
  AudioJitterBuffer(int sample_rate, int channels, int take);

  void push(const float* const* planes, int n);
  // Writes exactly out.samples samples into out (silence where nothing is buffered); returns the real ones.
  // Playback (re)starts at the first non-empty take that finds the reserve buffered, from exactly the reserve.
  int pull(PlanarBuffer& out);
  double buffered_ms() const;
  double target_ms() const { return 1000.0 * target() / rate_; }
  long long underruns() const { return underruns_; }
  long long dropped_samples() const { return dropped_; }
  void reset();

 private:
  int target() const;
  int rate_;
  int channels_;
  int fade_;                 // samples of a fade or crossfade
  AudioFifoPtr fifo_;
  bool fade_in_ = false;     // the next take starts from silence
  PlanarBuffer crossfade_;   // the continuation of the audio before a trim, blended into the next take
  int max_push_ = 0;
  int max_pull_ = 0;
  bool playing_ = false;
  int window_min_ = -1;      // lowest level seen before a take in the current window
  int window_samples_ = 0;   // samples taken in the current window
  long long underruns_ = 0;
  long long dropped_ = 0;
};

}  // namespace rtcegress
