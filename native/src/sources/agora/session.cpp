#include "sources/agora/session.h"

#include <cmath>
#include <sstream>
#include <utility>

#include "sources/agora/frame_convert.h"
#include "sources/agora/reasons.h"

namespace rtcegress::agora {
namespace {

std::chrono::milliseconds to_ms(double seconds) {
  return std::chrono::milliseconds(static_cast<long long>(std::llround(seconds * 1000.0)));
}

std::string seconds_text(double seconds) {
  std::ostringstream out;
  out << seconds;
  return out.str();
}

}  // namespace

Session::Session(const Config& config, SourceSink& sink, std::function<void(const std::string&)> subscribe)
    : config_(config),
      wanted_(config.users.begin(), config.users.end()),
      sink_(sink),
      subscribe_(std::move(subscribe)) {}

Session::~Session() { close(); }

void Session::started() {
  const std::string reason = "Agora join timed out: not connected to channel " + config_.channel + " within " +
                             seconds_text(config_.join_timeout_s) + " s (check the network and the app id)";
  {
    // Under mu_ so that a connection reported before this point is seen, and one reported after cancels it.
    std::lock_guard<std::recursive_mutex> lock(mu_);
    if (open_locked() && !connected_once_ && !fatal_sent_) {
      worker_.set_timer(kJoinTimer, to_ms(config_.join_timeout_s), [this, reason] { fatal(reason); });
    }
  }
  for (const auto& uid : wanted_) {
    worker_.post([this, uid] { subscribe_(uid); });
  }
}

void Session::close() {
  {
    std::lock_guard<std::recursive_mutex> lock(mu_);  // waits for any sink call in progress on another thread
    open_ = false;
  }
  worker_.stop();
}

bool Session::wants(const std::string& uid) const { return wanted_.empty() || wanted_.count(uid) > 0; }

// --- connection -------------------------------------------------------------------------------------------------

void Session::on_connected() {
  bool restored = false;
  {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    restored = reconnect_armed_;
    connected_once_ = true;
    reconnect_armed_ = false;
    worker_.cancel_timer(kJoinTimer);
    worker_.cancel_timer(kReconnectTimer);
  }
  if (restored) warn("Agora connection restored");
}

void Session::on_reconnecting() {
  const std::string reason = "Agora connection lost and not restored within " +
                             seconds_text(config_.reconnect_timeout_s) + " s";
  std::lock_guard<std::recursive_mutex> lock(mu_);
  if (!connected_once_ || !open_locked() || fatal_sent_) return;  // still joining: the join timeout covers it
  if (reconnect_armed_) return;  // the first interruption counts, not the latest retry
  reconnect_armed_ = true;
  worker_.set_timer(kReconnectTimer, to_ms(config_.reconnect_timeout_s), [this, reason] { fatal(reason); });
}

void Session::on_connection_lost() {
  warn("Agora connection lost; reconnecting");
  on_reconnecting();
}

void Session::on_connection_failure(int reason) { fatal(connection_failure_reason(reason)); }

void Session::on_disconnected(int reason) {
  if (reason == kReasonLeaveChannel) return;  // our own disconnect
  fatal(connection_failure_reason(reason));
}

void Session::on_token_will_expire() {
  warn("Agora access_token expires in about 30 s; the recording fails when it does (no token renewal)");
}

void Session::on_token_expired() { fatal(connection_failure_reason(kReasonTokenExpired)); }

void Session::on_license_failure(int reason) {
  fatal("Agora license validation failed (reason code " + std::to_string(reason) + ")");
}

void Session::on_sdk_error(int code, const char* message) {
  if (is_fatal_error_code(code)) {
    fatal(error_code_reason(code, message));
  } else {
    warn(error_code_reason(code, message));
  }
}

// --- users ------------------------------------------------------------------------------------------------------

Session::UserState* Session::ensure_present_locked(const std::string& uid) {
  UserState& user = users_[uid];
  if (user.presence != Presence::kPresent) {
    user = UserState{};
    user.presence = Presence::kPresent;
    sink_.on_user_joined(uid);
  }
  return &user;
}

void Session::on_user_joined(const std::string& uid) {
  if (!wants(uid)) return;
  {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    if (!open_locked()) return;
    ensure_present_locked(uid);
  }
  // An explicit subscription made before the user arrived may not stick: repeat it now (it is idempotent).
  if (!wanted_.empty()) worker_.post([this, uid] { subscribe_(uid); });
}

void Session::on_user_left(const std::string& uid, int reason) {
  if (!wants(uid)) return;
  std::lock_guard<std::recursive_mutex> lock(mu_);
  if (!open_locked()) return;
  auto it = users_.find(uid);
  if (it == users_.end() || it->second.presence != Presence::kPresent) return;
  it->second = UserState{};
  it->second.presence = Presence::kLeft;
  sink_.on_user_left(uid, user_left_reason(reason));
}

bool Session::left_locked(const std::string& uid) const {
  auto it = users_.find(uid);
  return it != users_.end() && it->second.presence == Presence::kLeft;
}

void Session::set_muted_locked(const std::string& uid, Media media, bool muted) {
  if (left_locked(uid)) return;
  UserState* user = ensure_present_locked(uid);
  bool& flag = media == Media::video ? user->video_muted : user->audio_muted;
  if (flag == muted) return;
  flag = muted;
  if (media == Media::video) {
    sink_.on_video_muted(uid, muted);
  } else {
    sink_.on_audio_muted(uid, muted);
  }
}

void Session::on_stream_state(const std::string& uid, Media media, int reason) {
  if (!wants(uid) || (reason != kStreamReasonRemoteMuted && reason != kStreamReasonRemoteUnmuted)) return;
  std::lock_guard<std::recursive_mutex> lock(mu_);
  if (!open_locked()) return;
  set_muted_locked(uid, media, reason == kStreamReasonRemoteMuted);
}

void Session::on_video_state(const std::string& uid, int /*state*/, int reason) {
  on_stream_state(uid, Media::video, reason);
}

void Session::on_audio_state(const std::string& uid, int /*state*/, int reason) {
  on_stream_state(uid, Media::audio, reason);
}

void Session::on_user_info(const std::string& uid, int msg, int val) {
  if (!wants(uid) || (msg != kMediaInfoMuteVideo && msg != kMediaInfoMuteAudio)) return;
  std::lock_guard<std::recursive_mutex> lock(mu_);
  if (!open_locked()) return;
  set_muted_locked(uid, msg == kMediaInfoMuteVideo ? Media::video : Media::audio, val != 0);
}

// --- media ------------------------------------------------------------------------------------------------------

void Session::on_video_frame(const std::string& uid, const VideoFrame& frame) {
  if (!wants(uid)) return;
  std::string error;
  FramePtr copy = copy_video_frame(frame, error);  // outside the lock: the copy is the expensive part
  std::lock_guard<std::recursive_mutex> lock(mu_);
  if (!open_locked() || left_locked(uid)) return;  // a straggler after user_left
  if (!copy) {
    warn_once_locked("video:" + uid, "user " + uid + ": dropping " + error);
    return;
  }
  if (ensure_present_locked(uid)->video_muted) set_muted_locked(uid, Media::video, false);  // frames: it is back
  sink_.on_video_frame(uid, std::move(copy));
}

void Session::on_audio_frame(const std::string& uid, const AudioFrame& frame) {
  if (!wants(uid)) return;
  std::string error;
  FramePtr copy = copy_audio_frame(frame, error);
  std::lock_guard<std::recursive_mutex> lock(mu_);
  if (!open_locked() || left_locked(uid)) return;
  if (!copy) {
    warn_once_locked("audio:" + uid, "user " + uid + ": dropping " + error);
    return;
  }
  ensure_present_locked(uid);
  sink_.on_audio_frame(uid, std::move(copy));
}

// --- reporting --------------------------------------------------------------------------------------------------

void Session::warn_once_locked(const std::string& key, const std::string& message) {
  if (!warned_.insert(key).second) return;
  sink_.on_error(message, false);
}

void Session::warn(const std::string& message) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  if (!open_locked() || fatal_sent_) return;
  sink_.on_error(message, false);
}

void Session::fatal(const std::string& reason) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  if (!open_locked() || fatal_sent_) return;
  fatal_sent_ = true;
  worker_.cancel_timer(kJoinTimer);
  worker_.cancel_timer(kReconnectTimer);
  sink_.on_error(reason, true);
}

}  // namespace rtcegress::agora
