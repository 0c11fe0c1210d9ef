// What the Agora source does with the SDK's events: filters users, tracks who is present and muted, converts
// frames, turns connection trouble into one fatal error, and guarantees that nothing reaches the sink after close().
// It knows nothing of dlopen or C callbacks (see callbacks.h), so it can be driven directly.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "sources/agora/config.h"
#include "sources/agora/sdk_api.h"
#include "sources/agora/worker.h"
#include "sources/source.h"

namespace rtcegress::agora {

class Session {
 public:
  // subscribe(uid) asks the SDK for a listed user's audio and video; it runs on the worker thread.
  Session(const Config& config, SourceSink& sink, std::function<void(const std::string&)> subscribe);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Called right after connect(): arms the join timeout and subscribes the listed users.
  void started();
  // No sink call starts after this returns, and none is in progress (unless close() is called from inside a sink
  // callback, which then finishes). Also stops the worker thread. Idempotent.
  void close();

  bool wants(const std::string& uid) const;

  // --- connection events ---
  void on_connected();
  void on_reconnecting();
  void on_connection_lost();
  void on_connection_failure(int reason);
  void on_disconnected(int reason);
  void on_token_will_expire();
  void on_token_expired();
  void on_license_failure(int reason);
  void on_sdk_error(int code, const char* message);
  // --- users ---
  void on_user_joined(const std::string& uid);
  void on_user_left(const std::string& uid, int reason);
  void on_video_state(const std::string& uid, int state, int reason);
  void on_audio_state(const std::string& uid, int state, int reason);
  void on_user_info(const std::string& uid, int msg, int val);
  // --- media ---
  void on_video_frame(const std::string& uid, const VideoFrame& frame);
  void on_audio_frame(const std::string& uid, const AudioFrame& frame);

 private:
  enum class Presence { kUnknown, kPresent, kLeft };
  struct UserState {
    Presence presence = Presence::kUnknown;
    bool video_muted = false;
    bool audio_muted = false;
  };
  enum TimerId { kJoinTimer = 1, kReconnectTimer = 2 };
  enum class Media { video, audio };

  // A remote track's state change: only a remote mute or unmute (its reason) counts.
  void on_stream_state(const std::string& uid, Media media, int reason);

  // All helpers below expect mu_ held.
  bool open_locked() const { return open_; }
  bool left_locked(const std::string& uid) const;  // the user left (media and mutes now are stragglers)
  UserState* ensure_present_locked(const std::string& uid);
  void set_muted_locked(const std::string& uid, Media media, bool muted);
  void warn_once_locked(const std::string& key, const std::string& message);
  void fatal(const std::string& reason);
  void warn(const std::string& message);

  const Config config_;
  const std::set<std::string> wanted_;
  SourceSink& sink_;
  std::function<void(const std::string&)> subscribe_;

  // One recursive mutex serialises every sink call and the user table, so events of one user reach the sink in
  // order, and close() can wait for in-flight calls simply by taking it.
  mutable std::recursive_mutex mu_;
  bool open_ = true;
  bool fatal_sent_ = false;
  bool connected_once_ = false;
  bool reconnect_armed_ = false;
  std::map<std::string, UserState> users_;
  std::set<std::string> warned_;

  Worker worker_;  // last: its thread may call into the members above until close()/destruction stops it
};

}  // namespace rtcegress::agora
