#include <doctest/doctest.h>

#include <cmath>

#include "compose/jitter_buffer.h"
#include "compose/mixer.h"

using namespace rtcegress;

namespace {
PlanarBuffer tone(int n, float amp, double freq, int rate = 48000, int ch = 2, long long offset = 0) {
  PlanarBuffer b;
  b.resize(ch, n);
  for (int c = 0; c < ch; ++c)
    for (int i = 0; i < n; ++i)
      b.data[c][i] = amp * static_cast<float>(std::sin(2 * 3.14159265358979 * freq * (i + offset) / rate));
  return b;
}
float peak(const PlanarBuffer& b) {
  float p = 0;
  for (auto& ch : b.data)
    for (float v : ch) p = std::max(p, std::fabs(v));
  return p;
}
}  // namespace

TEST_CASE("the limiter never lets the mix exceed its ceiling") {
  Limiter lim(48000, 2, 0.9f);
  for (int block = 0; block < 50; ++block) {
    PlanarBuffer sum = tone(1600, 0.9f, 500, 48000, 2, block * 1600LL);
    for (double f : {1000.0, 2000.0, 4000.0}) mix_into(sum, tone(1600, 0.9f, f, 48000, 2, block * 1600LL));
    lim.process(sum);
    CHECK(peak(sum) <= doctest::Approx(0.9f).epsilon(1e-4));
  }
  CHECK(lim.gain() < 0.5f);
}

TEST_CASE("quiet audio passes the limiter unchanged, only delayed") {
  Limiter lim(48000, 1, 0.9f);
  PlanarBuffer in = tone(4800, 0.5f, 440, 48000, 1);
  PlanarBuffer out = in;
  lim.process(out);
  int d = lim.delay_samples();
  for (int i = d; i < 4800; ++i) CHECK(out.data[0][i] == doctest::Approx(in.data[0][i - d]));
  CHECK(lim.gain() == 1.0f);
}

TEST_CASE("the limiter recovers after a loud burst") {
  Limiter lim(48000, 1, 0.9f, 0.005, 0.1);
  PlanarBuffer loud = tone(4800, 3.0f, 300, 48000, 1);
  lim.process(loud);
  PlanarBuffer quiet = tone(48000, 0.1f, 300, 48000, 1);
  lim.process(quiet);
  CHECK(lim.gain() == 1.0f);
}

TEST_CASE("mix_into sums and rms measures") {
  PlanarBuffer a = tone(480, 0.25f, 1000), b = tone(480, 0.25f, 1000);
  mix_into(a, b);
  CHECK(peak(a) == doctest::Approx(0.5f).epsilon(0.01));
  CHECK(rms(a) == doctest::Approx(0.5 / std::sqrt(2.0)).epsilon(0.02));
}

TEST_CASE("a fade-out ends in silence without a step") {
  PlanarBuffer b = tone(480, 0.8f, 1000);
  fade_out_tail(b, 240);
  CHECK(b.data[0][479] == 0.0f);
  CHECK(b.data[1][479] == 0.0f);
  float worst = 0;
  for (size_t i = 1; i < 480; ++i) worst = std::max(worst, std::fabs(b.data[0][i] - b.data[0][i - 1]));
  CHECK(worst < 0.11f);  // a 1 kHz tone at 0.8 moves at most 0.105 per sample
  CHECK(peak(b) > 0.75f);  // the first half is untouched
  PlanarBuffer short_one = tone(100, 0.8f, 1000);
  fade_out_tail(short_one, 240);  // fewer samples than the fade: all of them fade
  CHECK(short_one.data[0][99] == 0.0f);
}

TEST_CASE("the jitter buffer primes, fills gaps with silence and trims built-up delay") {
  const int rate = 48000, take = 1600, chunk = 480;
  AudioJitterBuffer jb(rate, 2, take);
  PlanarBuffer out;
  out.resize(2, take);
  PlanarBuffer c = tone(chunk, 0.5f, 1000);
  // Not enough for a take plus a burst yet: silence, and nothing consumed.
  jb.push(c.planes(), chunk);
  CHECK(jb.pull(out) == 0);
  CHECK(peak(out) == 0.0f);
  // The reserve is a take (33 ms) + the largest burst (10 ms) + 10 ms.
  CHECK(jb.target_ms() == doctest::Approx(53.33).epsilon(0.01));
  for (int i = 0; i < 4; ++i) jb.push(c.planes(), chunk);
  CHECK(jb.pull(out) == 0);
  jb.push(c.planes(), chunk);
  CHECK(jb.buffered_ms() == doctest::Approx(60.0));
  // An empty take (the output clock's first tick) does not start playback.
  PlanarBuffer none;
  none.resize(2, 0);
  CHECK(jb.pull(none) == 0);
  CHECK(jb.buffered_ms() == doctest::Approx(60.0));
  // Playback starts from exactly the reserve: the 6.7 ms beyond it go before anything is played.
  CHECK(jb.pull(out) == take);
  CHECK(peak(out) > 0.4f);
  CHECK(jb.buffered_ms() == doctest::Approx(20.0));
  CHECK(jb.dropped_samples() == 320);
  // Running dry: the real part, then silence, and an underrun counted.
  CHECK(jb.pull(out) == 960);
  CHECK(out.data[0][take - 1] == 0.0f);
  CHECK(jb.underruns() == 1);
  // A source that got far ahead: it restarts from the reserve, and what builds up afterwards is dropped
  // within a couple of seconds.
  for (int i = 0; i < 30; ++i) jb.push(c.planes(), chunk);  // 300 ms at once
  jb.pull(out);
  CHECK(jb.buffered_ms() == doctest::Approx(jb.target_ms() - 1000.0 * take / rate));
  const long long dropped_at_restart = jb.dropped_samples();
  double most = 0;
  PlanarBuffer quarter = tone(402, 0.5f, 1000);
  for (int t = 0; t < 600; ++t) {  // 20 s of a source whose clock runs 0.5% fast
    for (int k = 0; k < 4; ++k) jb.push(quarter.planes(), 402);
    jb.pull(out);
    most = std::max(most, jb.buffered_ms());
  }
  CHECK(jb.underruns() == 1);
  CHECK(jb.dropped_samples() > dropped_at_restart);
  CHECK(most < 120.0);
}

TEST_CASE("a steady source and clock never skip audio") {
  // The output clock's first take comes a whole tick after the clock starts; a source delivering 10 ms
  // chunks all along must then play without a single dropped sample.
  const int rate = 48000, take = 3200, chunk = 480;  // 15 fps
  AudioJitterBuffer jb(rate, 2, take);
  PlanarBuffer out;
  out.resize(2, take);
  PlanarBuffer none;
  none.resize(2, 0);
  PlanarBuffer c = tone(chunk, 0.5f, 1000);
  long long pushed = 0, next_tick = 2 * take;  // 130 ms of audio before the clock starts
  jb.pull(none);
  for (int i = 0; i < 1000; ++i) {  // 10 s
    jb.push(c.planes(), chunk);
    pushed += chunk;
    if (pushed >= next_tick) {
      jb.pull(out);
      next_tick += take;
    }
  }
  const long long dropped_at_start = jb.dropped_samples();
  CHECK(dropped_at_start > 0);  // what came before the clock
  for (int i = 0; i < 1000; ++i) {
    jb.push(c.planes(), chunk);
    pushed += chunk;
    if (pushed >= next_tick) {
      jb.pull(out);
      next_tick += take;
    }
  }
  CHECK(jb.dropped_samples() == dropped_at_start);
  CHECK(jb.underruns() == 0);
}

TEST_CASE("underruns, restarts and trims do not click") {
  const int rate = 48000, take = 1600;
  AudioJitterBuffer jb(rate, 1, take);
  PlanarBuffer out;
  out.resize(1, take);
  std::vector<float> played;
  long long phase = 0;
  auto feed = [&](int n) {
    PlanarBuffer c = tone(n, 0.5f, 1000, rate, 1, phase);
    phase += n;
    jb.push(c.planes(), n);
  };
  auto take_one = [&] {
    jb.pull(out);
    played.insert(played.end(), out.data[0].begin(), out.data[0].end());
  };
  for (int t = 0; t < 300; ++t) {
    if (t >= 120 || t % 40 < 30) feed(1600);  // a source that stalls now and then ...
    if (t == 150) feed(14400);                 // ... then delivers 300 ms at once
    take_one();
  }
  CHECK(jb.underruns() > 0);
  CHECK(jb.dropped_samples() > 0);
  float worst = 0;
  for (size_t i = 1; i < played.size(); ++i) worst = std::max(worst, std::fabs(played[i] - played[i - 1]));
  // A 1 kHz tone at 0.5 moves at most 0.066 per sample; a hard cut would jump by up to 0.5.
  CHECK(worst < 0.1f);
}
