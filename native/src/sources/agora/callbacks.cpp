#include "sources/agora/callbacks.h"

#include <map>
#include <mutex>
#include <string>

namespace rtcegress::agora {
namespace {

struct Registry {
  std::mutex mu;
  std::map<Handle, std::shared_ptr<Session>> by_handle;
  std::map<const Session*, std::shared_ptr<Session>> sessions;
};

Registry& registry() {
  static Registry instance;  // destroyed at exit, after every source has stopped its SDK threads
  return instance;
}

// The session for a callback's handle; a copy keeps it alive for the duration of the callback.
std::shared_ptr<Session> find(Handle handle) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  const auto it = r.by_handle.find(handle);
  if (it != r.by_handle.end()) return it->second;
  if (r.sessions.size() == 1) return r.sessions.begin()->second;
  return nullptr;
}

// Runs fn with the session, never letting an exception unwind into the SDK's C frames.
template <typename Fn>
void with_session(Handle handle, Fn&& fn) noexcept {
  try {
    if (auto session = find(handle)) fn(*session);
  } catch (...) {  // NOLINT(bugprone-empty-catch): nothing sensible to do on an SDK thread
  }
}

// with_session for a callback about a remote user; one without a user id is ignored.
template <typename Fn>
void with_user(Handle handle, UserId user, Fn&& fn) noexcept {
  if (user == nullptr) return;
  with_session(handle, [&](Session& s) { fn(s, std::string(user)); });
}

// --- connection observer ---
void on_connected(Handle conn, const RtcConnInfo* /*info*/, int /*reason*/) {
  with_session(conn, [](Session& s) { s.on_connected(); });
}
void on_disconnected(Handle conn, const RtcConnInfo* /*info*/, int reason) {
  with_session(conn, [reason](Session& s) { s.on_disconnected(reason); });
}
void on_reconnecting(Handle conn, const RtcConnInfo* /*info*/, int /*reason*/) {
  with_session(conn, [](Session& s) { s.on_reconnecting(); });
}
void on_reconnected(Handle conn, const RtcConnInfo* /*info*/, int /*reason*/) {
  with_session(conn, [](Session& s) { s.on_connected(); });
}
void on_connection_lost(Handle conn, const RtcConnInfo* /*info*/) {
  with_session(conn, [](Session& s) { s.on_connection_lost(); });
}
void on_token_will_expire(Handle conn, const char* /*token*/) {
  with_session(conn, [](Session& s) { s.on_token_will_expire(); });
}
void on_token_did_expire(Handle conn) {
  with_session(conn, [](Session& s) { s.on_token_expired(); });
}
void on_license_failure(Handle conn, int reason) {
  with_session(conn, [reason](Session& s) { s.on_license_failure(reason); });
}
void on_connection_failure(Handle conn, const RtcConnInfo* /*info*/, int reason) {
  with_session(conn, [reason](Session& s) { s.on_connection_failure(reason); });
}
void on_user_joined(Handle conn, UserId user) {
  with_user(conn, user, [](Session& s, const std::string& uid) { s.on_user_joined(uid); });
}
void on_user_left(Handle conn, UserId user, int reason) {
  with_user(conn, user, [reason](Session& s, const std::string& uid) { s.on_user_left(uid, reason); });
}
void on_error(Handle conn, int code, const char* message) {
  with_session(conn, [code, message](Session& s) { s.on_sdk_error(code, message); });
}

// --- local user observer ---
void on_audio_track_state(Handle local_user, UserId user, Handle /*track*/, int state, int reason, int /*ms*/) {
  with_user(local_user, user, [&](Session& s, const std::string& uid) { s.on_audio_state(uid, state, reason); });
}
void on_video_track_state(Handle local_user, UserId user, Handle /*track*/, int state, int reason, int /*ms*/) {
  with_user(local_user, user, [&](Session& s, const std::string& uid) { s.on_video_state(uid, state, reason); });
}
void on_user_info_updated(Handle local_user, UserId user, int msg, int val) {
  with_user(local_user, user, [&](Session& s, const std::string& uid) { s.on_user_info(uid, msg, val); });
}

// --- media observers ---
int on_playback_before_mixing(Handle local_user, const char* /*channel*/, UserId user, const AudioFrame* frame) {
  if (frame == nullptr) return 1;
  with_user(local_user, user, [&](Session& s, const std::string& uid) { s.on_audio_frame(uid, *frame); });
  return 1;
}
int on_audio_frame_position(Handle /*local_user*/) { return kAudioPositionBeforeMixing; }

int on_video_frame(Handle observer, const char* /*channel*/, UserId user, const VideoFrame* frame) {
  if (frame == nullptr) return 1;
  with_user(observer, user, [&](Session& s, const std::string& uid) { s.on_video_frame(uid, *frame); });
  return 1;
}

}  // namespace

void register_session(const std::shared_ptr<Session>& session, std::initializer_list<Handle> handles) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  r.sessions[session.get()] = session;
  for (Handle h : handles) {
    if (h != nullptr) r.by_handle[h] = session;
  }
}

void unregister_session(const Session* session) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  r.sessions.erase(session);
  for (auto it = r.by_handle.begin(); it != r.by_handle.end();) {
    it = it->second.get() == session ? r.by_handle.erase(it) : std::next(it);
  }
}

ObserverTables make_observer_tables() {
  ObserverTables t{};
  t.conn.on_connected = on_connected;
  t.conn.on_disconnected = on_disconnected;
  t.conn.on_reconnecting = on_reconnecting;
  t.conn.on_reconnected = on_reconnected;
  t.conn.on_connection_lost = on_connection_lost;
  t.conn.on_token_privilege_will_expire = on_token_will_expire;
  t.conn.on_token_privilege_did_expire = on_token_did_expire;
  t.conn.on_connection_license_validation_failure = on_license_failure;
  t.conn.on_connection_failure = on_connection_failure;
  t.conn.on_user_joined = on_user_joined;
  t.conn.on_user_left = on_user_left;
  t.conn.on_error = on_error;
  t.local_user.on_user_audio_track_state_changed = on_audio_track_state;
  t.local_user.on_user_video_track_state_changed = on_video_track_state;
  t.local_user.on_user_info_updated = on_user_info_updated;
  t.audio.on_playback_audio_frame_before_mixing = on_playback_before_mixing;
  t.audio.on_get_audio_frame_position = on_audio_frame_position;
  t.video.on_frame = on_video_frame;
  return t;
}

}  // namespace rtcegress::agora
