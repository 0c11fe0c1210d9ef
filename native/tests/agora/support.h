// Test helpers: a sink that records what the Agora source delivers, and access to the fake SDK's counters.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "sources/source.h"

namespace agora_test {

struct Error {
  std::string reason;
  bool fatal;
};

// Records every call; all methods thread-safe. wait() blocks until a condition holds (or times out).
class RecordingSink final : public rtcegress::SourceSink {
 public:
  void on_user_joined(const std::string& uid) override;
  void on_user_left(const std::string& uid, const std::string& reason) override;
  void on_video_frame(const std::string& uid, rtcegress::FramePtr frame) override;
  void on_audio_frame(const std::string& uid, rtcegress::FramePtr frame) override;
  void on_video_muted(const std::string& uid, bool muted) override;
  void on_audio_muted(const std::string& uid, bool muted) override;
  void on_error(const std::string& reason, bool fatal) override;

  // Waits until pred() (called with the sink locked) holds; false on timeout.
  bool wait(const std::function<bool()>& pred, std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // Snapshot accessors (lock internally).
  std::vector<std::string> log();  // "joined u", "left u reason", "video u", "audio u", "video_muted u 1", ...
  std::vector<Error> errors();
  int video_frames(const std::string& uid);
  int audio_frames(const std::string& uid);
  std::set<std::pair<int, int>> sizes(const std::string& uid);
  int calls();
  int calls_in_stale_mode();
  bool formats_ok();
  // Set while observers are known to be unregistered: any call then is a violation.
  void set_stale_probe(std::function<int()> probe);

  // Unlocked helpers for use inside wait() predicates.
  int video_frames_locked(const std::string& uid) const;
  int audio_frames_locked(const std::string& uid) const;
  bool has_locked(const std::string& entry) const;
  int fatal_count_locked() const;
  std::set<std::pair<int, int>> sizes_locked(const std::string& uid) const;

 private:
  void record_locked(std::string entry);

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> log_;
  std::vector<Error> errors_;
  std::map<std::string, int> video_;
  std::map<std::string, int> audio_;
  std::map<std::string, std::set<std::pair<int, int>>> sizes_;
  int calls_ = 0;
  int stale_calls_seen_ = 0;
  bool formats_ok_ = true;
  std::function<int()> stale_probe_;
};

// The fake SDK's introspection functions (the library the source loads, opened a second time).
struct FakeSdk {
  static FakeSdk& get();
  std::string last_connect() const;  // "app=..;channel=..;uid=..;token=..;role=..;auto_audio=..;..."
  int live_objects() const;
  int stale_calls() const;
  void reset_stale_calls() const;

  const char* (*last_connect_fn)() = nullptr;
  int (*live_objects_fn)() = nullptr;
  int (*stale_calls_fn)() = nullptr;
  void (*reset_stale_fn)() = nullptr;
};

// A task for the fake SDK: the script rides in the access token.
nlohmann::json fake_task(const std::string& script, const nlohmann::json& extra = nlohmann::json::object());

}  // namespace agora_test
