// The pipeline's side of the Source interface: who is in the channel, each user's recent video frames and
// buffered audio. Sources call in from their own threads; the output clock reads from its thread.
//
// Sync: a user's audio waits in its jitter buffer for a few tens of milliseconds before it is played. So that
// picture and sound of the same instant come out together, the video shown for a user is the frame that
// arrived that same delay ago (frames are kept for a short while), not simply the newest one.
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "compose/jitter_buffer.h"
#include "control/config.h"
#include "control/events.h"
#include "sources/source.h"

namespace rtcegress {

using SteadyClock = std::chrono::steady_clock;

// What the output clock sees of one user at one tick.
struct UserView {
  std::string uid;
  FramePtr frame;               // a reference to the frame to show, null when none yet
  double frame_age_s = 0;       // how long ago that frame arrived
  bool video_muted = false;
  bool audio_muted = false;
  double audio_delay_ms = -1;   // how long audio waits before it is played (-1: no audio yet)
};

class UserTable final : public SourceSink {
 public:
  UserTable(const TaskConfig& cfg, EventWriter& events);
  ~UserTable() override { av_channel_layout_uninit(&out_layout_); }
  UserTable(const UserTable&) = delete;
  UserTable& operator=(const UserTable&) = delete;

  // SourceSink
  void on_user_joined(const std::string& uid) override;
  void on_user_left(const std::string& uid, const std::string& reason) override;
  void on_video_frame(const std::string& uid, FramePtr frame) override;
  void on_audio_frame(const std::string& uid, FramePtr frame) override;
  void on_video_muted(const std::string& uid, bool muted) override;
  void on_audio_muted(const std::string& uid, bool muted) override;
  void on_error(const std::string& reason, bool fatal) override;

  // Until the recording has started, join/leave events are held back so that `started` comes first.
  void go_live();

  // Users present now, in display order (the task's users list order, then join order).
  std::vector<UserView> views(SteadyClock::time_point now);
  // Pulls out.samples samples of uid's audio (silence if absent); returns the real samples.
  int pull_audio(const std::string& uid, PlanarBuffer& out);
  std::vector<std::string> present() const;
  bool anyone_present() const;
  // The first fatal error reported by the source, empty if none.
  std::string fatal_error() const;
  long long frames_received() const;
  long long audio_underruns() const;

 private:
  struct HeldFrame {
    SteadyClock::time_point at;
    FramePtr frame;
  };
  struct User {
    std::string uid;
    long long order = 0;
    bool present = false;
    bool video_muted = false;
    bool audio_muted = false;
    std::deque<HeldFrame> frames;  // oldest first
    double audio_delay_ms = -1;    // smoothed; -1 until the user's audio plays
    SwrPtr swr;
    int swr_in_rate = 0;
    int swr_in_format = -1;
    AVChannelLayout swr_in_layout{};
    std::unique_ptr<AudioJitterBuffer> audio;
    PlanarBuffer resampled;  // reused for every audio frame
    explicit User(std::string id) : uid(std::move(id)) {}
    ~User() { av_channel_layout_uninit(&swr_in_layout); }
    User(const User&) = delete;
    User& operator=(const User&) = delete;
  };

  bool wanted(const std::string& uid) const;
  void emit(const std::string& name, nlohmann::json fields);
  User& user(const std::string& uid);  // caller holds mu_
  bool resample(User& u, const AVFrame* in);

  const TaskConfig& cfg_;
  EventWriter& events_;
  std::map<std::string, long long> wanted_order_;
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<User>> users_;
  long long next_order_ = 1000000;
  std::string fatal_;
  long long frames_received_ = 0;
  bool live_ = false;
  std::vector<std::pair<std::string, nlohmann::json>> held_;
  AVChannelLayout out_layout_{};
};

}  // namespace rtcegress
