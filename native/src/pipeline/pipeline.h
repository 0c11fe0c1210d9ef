// The output clock: one monotonic clock ticking at the requested frame rate drives composition, mixing,
// encoding and snapshots. Audio is paced by sample count against the same clock, so audio and video stay in
// sync by construction; gaps are filled (the last frame is held, missing audio is silence).
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "compose/compositor.h"
#include "compose/mixer.h"
#include "compose/speaker.h"
#include "control/commands.h"
#include "control/config.h"
#include "control/events.h"
#include "pipeline/output_chain.h"
#include "pipeline/user_table.h"
#include "sinks/snapshot_sink.h"

namespace rtcegress {

struct FinishReason {
  bool ok = true;
  std::string reason;  // stopped | max_duration | idle | the error
};

// What can end a recording from outside the pipeline.
struct StopInputs {
  const std::atomic<int>* signal = nullptr;  // set by SIGTERM/SIGINT
  CommandReader* commands = nullptr;         // stdin commands and EOF
  bool eof_stops = true;                     // stdin EOF ends the recording (a supervisor feeds --task -)
};

class Pipeline {
 public:
  Pipeline(TaskConfig cfg, EventWriter& events);
  UserTable& users() { return users_; }
  // Prepares the outputs that exist from the start (the composite chain).
  bool open(std::string& error);
  // Ticks until something ends the recording.
  FinishReason run(const StopInputs& stop);
  // Flushes and closes every output; call after the source has stopped.
  bool finish(std::string& error);

 private:
  struct PerUser {
    std::unique_ptr<Compositor> compositor;
    std::unique_ptr<OutputChain> chain;
    std::unique_ptr<SnapshotSink> snapshots;
    int64_t first_tick = 0;
  };

  bool tick(int64_t n, bool with_video, SteadyClock::time_point now, std::string& error);
  bool tick_composite(int64_t n, bool with_video, std::vector<UserView>& views, int samples, std::string& error);
  bool tick_individual(int64_t n, bool with_video, std::vector<UserView>& views, int samples, std::string& error);
  bool due_snapshot(int64_t n) const;
  // The picture of a tick; null with error when it cannot be drawn.
  AVFrame* render(Compositor& compositor, const LayoutSettings& view, const std::vector<UserView>& users,
                  const std::string& speaker, std::string& error) const;
  double elapsed_s(SteadyClock::time_point now) const;  // since the clock started, rounded to the millisecond
  std::optional<FinishReason> handle_command(const std::string& line);
  // final: the totals of the whole recording, fps averaged over it (emitted once, before the files close).
  void emit_stats(SteadyClock::time_point now, bool final = false);
  void emit_status();
  int64_t samples_at(int64_t tick) const;

  TaskConfig cfg_;
  EventWriter& events_;
  UserTable users_;
  LayoutSettings view_;
  SpeakerTracker speaker_;
  std::vector<SpeakerTracker::Level> levels_;  // reused every tick
  Limiter limiter_;
  int limiter_skip_;  // output samples of the limiter still to drop (its look-ahead delay)
  PlanarBuffer mix_, scratch_;
  std::unique_ptr<Compositor> compositor_;  // composite mode
  std::unique_ptr<OutputChain> chain_;      // composite record
  std::unique_ptr<SnapshotSink> snapshots_; // composite snapshot
  std::map<std::string, PerUser> per_user_; // individual mode
  std::map<std::string, int> next_index_;   // per uid, across rejoins

  SteadyClock::time_point t0_;
  int64_t ticks_ = 0;
  bool last_tick_ = false;  // the audio of this tick ends the recording: it fades out
  long long frames_out_ = 0;
  long long dropped_ = 0;
  SteadyClock::time_point stats_at_;
  long long stats_frames_ = 1;  // frame 0 is at the clock's start, not inside the first stats interval
  double av_offset_sum_ = 0;
  long long av_offset_n_ = 0;
};

}  // namespace rtcegress
