// A stand-in for the Agora Linux server SDK (whose network cannot be reached from our machines): a shared library
// exporting the C functions the Agora source uses. On connect it "joins" a scripted channel and delivers synthetic
// I420 video and 16-bit PCM for each user through the registered observers, in real time.
//
// The script comes from the access token when it starts with "fake:", else from $FAKE_AGORA_SCRIPT. Items are
// separated by ';':
//   users=1001,1002     users present when we join (default 1001,1002)
//   size=320x240 fps=15 video of each user (defaults)
//   fail=N              the join fails with connection-changed reason N (8 invalid token, 9 expired, 3 banned)
//   no_connect          the join never completes
//   connect_rc=N        connect() itself returns N
//   deliver_all         deliver media of users we did not subscribe to (a misbehaving SDK)
//   stale=N             keep calling unregistered observers N more times before disconnect returns
//   @T verb [uid] [arg] at T ms after connect: join, leave, mute_video, unmute_video, mute_audio, unmute_audio,
//                       info_mute_video, info_unmute_video (via on_user_info_updated), resize (arg WxH),
//                       rotate (arg degrees), will_expire, expire, kick (disconnected: banned), ban (failure:
//                       banned), lost, reconnecting, reconnected, error (uid = error code)
//
// Introspection for tests: fake_agora_last_connect(), fake_agora_live_objects(), fake_agora_stale_calls().
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "sources/agora/sdk_api.h"

namespace {

using namespace rtcegress::agora;  // NOLINT(google-build-using-namespace): the fake implements exactly this ABI
using Clock = std::chrono::steady_clock;
constexpr double kPi = 3.14159265358979323846;
constexpr auto kStaleGrace = std::chrono::seconds(2);  // stale calls owed are given up after this

std::atomic<int> g_live_objects{0};
std::atomic<int> g_stale_calls{0};
std::mutex g_last_mu;
std::string g_last_connect;

struct Event {
  int at_ms = 0;
  std::string verb;
  std::string uid;
  std::string arg;
};

struct Script {
  std::vector<std::string> users{"1001", "1002"};
  int width = 320;
  int height = 240;
  int fps = 15;
  int fail_reason = -1;
  bool no_connect = false;
  int connect_rc = 0;
  bool deliver_all = false;
  int stale = 0;
  std::vector<Event> events;
};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(s);
  while (std::getline(in, item, sep)) {
    const auto b = item.find_first_not_of(' ');
    const auto e = item.find_last_not_of(' ');
    if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
  }
  return out;
}

bool parse_size(const std::string& s, int& w, int& h) {
  const auto x = s.find('x');
  if (x == std::string::npos) return false;
  w = std::atoi(s.substr(0, x).c_str());
  h = std::atoi(s.substr(x + 1).c_str());
  return w > 0 && h > 0;
}

Script parse_script(const std::string& text) {
  Script script;
  for (const auto& item : split(text, ';')) {
    if (item[0] == '@') {
      std::istringstream in(item.substr(1));
      Event ev;
      in >> ev.at_ms >> ev.verb >> ev.uid >> ev.arg;
      script.events.push_back(ev);
      continue;
    }
    const auto eq = item.find('=');
    const std::string key = item.substr(0, eq);
    const std::string value = eq == std::string::npos ? std::string() : item.substr(eq + 1);
    if (key == "users") script.users = split(value, ',');
    if (key == "size") parse_size(value, script.width, script.height);
    if (key == "fps") script.fps = std::max(1, std::atoi(value.c_str()));
    if (key == "fail") script.fail_reason = std::atoi(value.c_str());
    if (key == "no_connect") script.no_connect = true;
    if (key == "connect_rc") script.connect_rc = std::atoi(value.c_str());
    if (key == "deliver_all") script.deliver_all = true;
    if (key == "stale") script.stale = std::atoi(value.c_str());
  }
  std::stable_sort(script.events.begin(), script.events.end(),
                   [](const Event& a, const Event& b) { return a.at_ms < b.at_ms; });
  return script;
}

struct FakeService {
  std::string app_id;
  int use_string_uid = 0;
};

struct FakeVideoObserver {
  VideoFrameObserver2 table{};
};

struct RemoteUser {
  int index = 0;  // distinct luma, tint and pitch per user
  bool video_muted = false;
  bool audio_muted = false;
  int width = 0;
  int height = 0;
  int rotation = 0;
  long frames = 0;
  long samples = 0;
};

struct FakeConn;
struct FakeLocalUser {
  FakeConn* conn = nullptr;
};

struct FakeConn {
  FakeService* service = nullptr;
  RtcConnConfig config{};
  FakeLocalUser local_user;

  std::mutex mu;
  std::condition_variable cv;
  RtcConnObserver* conn_obs = nullptr;
  LocalUserObserver* user_obs = nullptr;
  AudioFrameObserver* audio_obs = nullptr;
  FakeVideoObserver* video_obs = nullptr;
  // Observers "unregistered" while stale mode is on: still called until `stale` calls were made.
  AudioFrameObserver* stale_audio = nullptr;
  FakeVideoObserver* stale_video = nullptr;
  int audio_channels = 1;
  int audio_rate = 48000;
  std::set<std::string> sub_audio;
  std::set<std::string> sub_video;

  Script script;
  std::string channel;
  std::string uid;
  bool stopping = false;
  Clock::time_point stopping_since{};
  std::thread net;

  void* handle() { return this; }
  void* user_handle() { return &local_user; }
};

// --- media -------------------------------------------------------------------------------------------------------

void make_video(const RemoteUser& u, std::vector<uint8_t>& buf, VideoFrame& f) {
  const int w = u.width;
  const int h = u.height;
  const int cw = (w + 1) / 2;
  const int ch = (h + 1) / 2;
  buf.assign(static_cast<std::size_t>(w * h + 2 * cw * ch), 0);
  uint8_t* y = buf.data();
  uint8_t* cb = y + w * h;
  uint8_t* cr = cb + cw * ch;
  const auto luma = static_cast<uint8_t>(60 + 50 * (u.index % 4));
  std::memset(y, luma, static_cast<std::size_t>(w * h));
  const int bar = static_cast<int>((u.frames * 4) % w);  // a moving white bar: visible motion
  for (int row = 0; row < h; ++row) {
    for (int x = bar; x < std::min(w, bar + 8); ++x) y[row * w + x] = 235;
  }
  std::memset(cb, 128 + 20 * (u.index % 3) - 20, static_cast<std::size_t>(cw * ch));
  std::memset(cr, 128 - 20 * (u.index % 3) + 20, static_cast<std::size_t>(cw * ch));
  f = VideoFrame{};
  f.type = kPixelI420;
  f.width = w;
  f.height = h;
  f.y_stride = w;
  f.u_stride = cw;
  f.v_stride = cw;
  f.y_buffer = y;
  f.u_buffer = cb;
  f.v_buffer = cr;
  f.rotation = u.rotation;
}

void make_audio(RemoteUser& u, int rate, int channels, std::vector<int16_t>& buf, AudioFrame& f) {
  const int n = rate / 100;  // 10 ms
  buf.assign(static_cast<std::size_t>(n * channels), 0);
  const double freq = 300.0 + 200.0 * u.index;
  for (int i = 0; i < n; ++i) {
    const double t = static_cast<double>(u.samples + i) / rate;
    const auto v = static_cast<int16_t>(6000.0 * std::sin(2.0 * kPi * freq * t));
    for (int c = 0; c < channels; ++c) buf[static_cast<std::size_t>(i * channels + c)] = v;
  }
  u.samples += n;
  f = AudioFrame{};
  f.type = 0;
  f.samples_per_channel = n;
  f.bytes_per_sample = 2;
  f.channels = channels;
  f.samples_per_sec = rate;
  f.buffer = buf.data();
}

// --- the "network" thread ------------------------------------------------------------------------------------------

class Network {
 public:
  explicit Network(FakeConn& c) : c_(c) {}

  void run() {
    info_.channel_id = c_.channel.c_str();
    info_.local_user_id = c_.uid.c_str();
    const auto start = Clock::now();
    if (!wait_until(start + std::chrono::milliseconds(10))) return;
    conn_cb([&](RtcConnObserver& o) {
      if (o.on_connecting) o.on_connecting(c_.handle(), &info_, kReasonConnecting);
    });
    if (c_.script.fail_reason >= 0) {
      conn_cb([&](RtcConnObserver& o) {
        if (o.on_connection_failure) o.on_connection_failure(c_.handle(), &info_, c_.script.fail_reason);
      });
      idle();
      return;
    }
    if (c_.script.no_connect) {
      idle();
      return;
    }
    connected_ = true;
    conn_cb([&](RtcConnObserver& o) {
      if (o.on_connected) o.on_connected(c_.handle(), &info_, kReasonJoinSuccess);
    });
    for (const auto& uid : c_.script.users) join(uid);

    std::size_t next_event = 0;
    const auto video_period = std::chrono::microseconds(1000000 / c_.script.fps);
    auto next_video = start;
    for (auto tick = start;; tick += std::chrono::milliseconds(10)) {
      if (!wait_until(tick)) return;
      const auto elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(tick - start).count();
      while (next_event < c_.script.events.size() && c_.script.events[next_event].at_ms <= elapsed_ms) {
        apply(c_.script.events[next_event++]);
      }
      if (!connected_) continue;
      deliver_audio();
      if (tick >= next_video) {
        deliver_video();
        next_video += video_period;
      }
    }
  }

 private:
  // Sleeps until t; false when the connection is being torn down (and no stale calls are owed).
  bool wait_until(Clock::time_point t) {
    std::unique_lock<std::mutex> lock(c_.mu);
    c_.cv.wait_until(lock, t, [&] { return c_.stopping && !owes_stale_locked(); });
    return !(c_.stopping && !owes_stale_locked());
  }
  bool owes_stale_locked() const {
    return (c_.stale_audio != nullptr || c_.stale_video != nullptr) && g_stale_calls < c_.script.stale &&
           Clock::now() < c_.stopping_since + kStaleGrace;
  }
  void idle() {
    std::unique_lock<std::mutex> lock(c_.mu);
    c_.cv.wait(lock, [&] { return c_.stopping; });
  }

  template <typename Fn>
  void conn_cb(Fn&& fn) {
    std::lock_guard<std::mutex> lock(c_.mu);  // like the SDK: unregister waits for a callback in progress
    if (c_.conn_obs != nullptr) fn(*c_.conn_obs);
  }
  template <typename Fn>
  void user_cb(Fn&& fn) {
    std::lock_guard<std::mutex> lock(c_.mu);
    if (c_.user_obs != nullptr) fn(*c_.user_obs);
  }

  bool subscribed(const std::set<std::string>& explicit_subs, int auto_flag, const std::string& uid) const {
    return c_.script.deliver_all || auto_flag != 0 || explicit_subs.count(uid) > 0;
  }

  void join(const std::string& uid) {
    RemoteUser u;
    u.index = next_index_++;
    u.width = c_.script.width;
    u.height = c_.script.height;
    users_[uid] = u;
    conn_cb([&](RtcConnObserver& o) {
      if (o.on_user_joined) o.on_user_joined(c_.handle(), uid.c_str());
    });
  }

  void apply(const Event& ev) {
    const char* uid = ev.uid.c_str();
    auto it = users_.find(ev.uid);
    RemoteUser* u = it == users_.end() ? nullptr : &it->second;
    if (ev.verb == "join") {
      join(ev.uid);
    } else if (ev.verb == "leave" && u != nullptr) {
      users_.erase(it);
      conn_cb([&](RtcConnObserver& o) {
        if (o.on_user_left) o.on_user_left(c_.handle(), uid, kOfflineQuit);
      });
    } else if ((ev.verb == "mute_video" || ev.verb == "unmute_video" || ev.verb == "mute_audio" ||
                ev.verb == "unmute_audio") &&
               u != nullptr) {
      const bool video = ev.verb.find("video") != std::string::npos;
      const bool muted = ev.verb.rfind("mute", 0) == 0;
      (video ? u->video_muted : u->audio_muted) = muted;
      const int reason = muted ? kStreamReasonRemoteMuted : kStreamReasonRemoteUnmuted;
      const int state = muted ? kStreamStopped : kStreamDecoding;
      user_cb([&](LocalUserObserver& o) {
        auto* changed = video ? o.on_user_video_track_state_changed : o.on_user_audio_track_state_changed;
        if (changed) changed(c_.user_handle(), uid, nullptr, state, reason, 0);
      });
    } else if ((ev.verb == "info_mute_video" || ev.verb == "info_unmute_video") && u != nullptr) {
      u->video_muted = ev.verb == "info_mute_video";
      const int val = u->video_muted ? 1 : 0;
      user_cb([&](LocalUserObserver& o) {
        if (o.on_user_info_updated) o.on_user_info_updated(c_.user_handle(), uid, kMediaInfoMuteVideo, val);
      });
    } else if (ev.verb == "resize" && u != nullptr) {
      parse_size(ev.arg, u->width, u->height);
    } else if (ev.verb == "rotate" && u != nullptr) {
      u->rotation = std::atoi(ev.arg.c_str());
    } else if (ev.verb == "will_expire") {
      conn_cb([&](RtcConnObserver& o) {
        if (o.on_token_privilege_will_expire) o.on_token_privilege_will_expire(c_.handle(), "token");
      });
    } else if (ev.verb == "expire") {
      connected_ = false;
      conn_cb([&](RtcConnObserver& o) {
        if (o.on_token_privilege_did_expire) o.on_token_privilege_did_expire(c_.handle());
      });
    } else if (ev.verb == "kick") {
      connected_ = false;
      conn_cb([&](RtcConnObserver& o) {
        if (o.on_disconnected) o.on_disconnected(c_.handle(), &info_, kReasonBannedByServer);
      });
    } else if (ev.verb == "ban") {
      connected_ = false;
      conn_cb([&](RtcConnObserver& o) {
        if (o.on_connection_failure) o.on_connection_failure(c_.handle(), &info_, kReasonBannedByServer);
      });
    } else if (ev.verb == "reconnecting") {
      connected_ = false;
      conn_cb([&](RtcConnObserver& o) {
        if (o.on_reconnecting) o.on_reconnecting(c_.handle(), &info_, kReasonInterrupted);
      });
    } else if (ev.verb == "lost") {
      connected_ = false;
      conn_cb([&](RtcConnObserver& o) {
        if (o.on_connection_lost) o.on_connection_lost(c_.handle(), &info_);
      });
    } else if (ev.verb == "reconnected") {
      connected_ = true;
      conn_cb([&](RtcConnObserver& o) {
        if (o.on_reconnected) o.on_reconnected(c_.handle(), &info_, kReasonRejoinSuccess);
      });
    } else if (ev.verb == "error") {
      const int code = std::atoi(ev.uid.c_str());
      conn_cb([&](RtcConnObserver& o) {
        if (o.on_error) o.on_error(c_.handle(), code, "fake error");
      });
    }
  }

  void deliver_audio() {
    for (auto& [uid, u] : users_) {
      if (u.audio_muted) continue;
      std::lock_guard<std::mutex> lock(c_.mu);
      if (!subscribed(c_.sub_audio, c_.config.auto_subscribe_audio, uid)) continue;
      AudioFrameObserver* obs = c_.audio_obs != nullptr ? c_.audio_obs : c_.stale_audio;
      if (obs == nullptr || obs->on_playback_audio_frame_before_mixing == nullptr) continue;
      AudioFrame f;
      make_audio(u, c_.audio_rate, c_.audio_channels, pcm_, f);
      if (obs == c_.stale_audio) ++g_stale_calls;
      obs->on_playback_audio_frame_before_mixing(c_.user_handle(), c_.channel.c_str(), uid.c_str(), &f);
    }
    c_.cv.notify_all();
  }

  void deliver_video() {
    for (auto& [uid, u] : users_) {
      if (u.video_muted) continue;
      std::lock_guard<std::mutex> lock(c_.mu);
      if (!subscribed(c_.sub_video, c_.config.auto_subscribe_video, uid)) continue;
      FakeVideoObserver* obs = c_.video_obs != nullptr ? c_.video_obs : c_.stale_video;
      if (obs == nullptr || obs->table.on_frame == nullptr) continue;
      VideoFrame f;
      make_video(u, yuv_, f);
      ++u.frames;
      if (obs == c_.stale_video) ++g_stale_calls;
      obs->table.on_frame(obs, c_.channel.c_str(), uid.c_str(), &f);
    }
    c_.cv.notify_all();
  }

  FakeConn& c_;
  RtcConnInfo info_{};
  bool connected_ = false;
  int next_index_ = 0;
  std::map<std::string, RemoteUser> users_;
  std::vector<uint8_t> yuv_;
  std::vector<int16_t> pcm_;
};

void stop_network(FakeConn* c) {
  {
    std::lock_guard<std::mutex> lock(c->mu);
    if (!c->stopping) c->stopping_since = Clock::now();
    c->stopping = true;
  }
  c->cv.notify_all();
  if (c->net.joinable()) c->net.join();
  std::lock_guard<std::mutex> lock(c->mu);
  c->stale_audio = nullptr;
  c->stale_video = nullptr;
}

FakeConn* conn_of_user(Handle local_user) { return static_cast<FakeLocalUser*>(local_user)->conn; }

}  // namespace

extern "C" {

// --- service ---
Handle agora_service_create() {
  ++g_live_objects;
  return std::make_unique<FakeService>().release();
}

int agora_service_initialize(Handle service, const ServiceConfig* config) {
  if (config == nullptr || config->app_id == nullptr || *config->app_id == '\0') return -2;
  auto* s = static_cast<FakeService*>(service);
  s->app_id = config->app_id;
  s->use_string_uid = config->use_string_uid;
  return 0;
}

int agora_service_release(Handle service) {
  std::unique_ptr<FakeService> owned(static_cast<FakeService*>(service));
  --g_live_objects;
  return 0;
}

// --- connection ---
Handle agora_rtc_conn_create(Handle service, const RtcConnConfig* config) {
  auto conn = std::make_unique<FakeConn>();
  conn->service = static_cast<FakeService*>(service);
  conn->config = *config;
  conn->local_user.conn = conn.get();
  ++g_live_objects;
  return conn.release();
}

void agora_rtc_conn_destroy(Handle conn) {
  std::unique_ptr<FakeConn> owned(static_cast<FakeConn*>(conn));
  stop_network(owned.get());
  --g_live_objects;
}

Handle agora_rtc_conn_get_local_user(Handle conn) { return static_cast<FakeConn*>(conn)->user_handle(); }

int agora_rtc_conn_register_observer(Handle conn, RtcConnObserver* observer) {
  auto* c = static_cast<FakeConn*>(conn);
  std::lock_guard<std::mutex> lock(c->mu);
  c->conn_obs = observer;
  return 0;
}

int agora_rtc_conn_unregister_observer(Handle conn) {
  auto* c = static_cast<FakeConn*>(conn);
  std::lock_guard<std::mutex> lock(c->mu);
  c->conn_obs = nullptr;
  return 0;
}

// The incomplete build exports connect under another name: an SDK without one of the functions we need.
#ifdef FAKE_AGORA_OMIT_CONNECT
#define FAKE_AGORA_CONNECT fake_agora_connect_not_exported
#else
#define FAKE_AGORA_CONNECT agora_rtc_conn_connect
#endif
int FAKE_AGORA_CONNECT(Handle conn, const char* token, const char* channel_id, const char* user_id) {
  auto* c = static_cast<FakeConn*>(conn);
  const std::string tok = token != nullptr ? token : "";
  const char* env = std::getenv("FAKE_AGORA_SCRIPT");
  c->script = parse_script(tok.rfind("fake:", 0) == 0 ? tok.substr(5) : std::string(env != nullptr ? env : ""));
  if (c->script.connect_rc != 0) return c->script.connect_rc;
  c->channel = channel_id != nullptr ? channel_id : "";
  c->uid = user_id != nullptr ? user_id : "";
  {
    std::lock_guard<std::mutex> lock(g_last_mu);
    std::ostringstream out;
    out << "app=" << c->service->app_id << ";channel=" << c->channel << ";uid=" << c->uid << ";token=" << tok
        << ";role=" << c->config.client_role_type << ";auto_audio=" << c->config.auto_subscribe_audio
        << ";auto_video=" << c->config.auto_subscribe_video << ";string_uid=" << c->service->use_string_uid
        << ";channels=" << c->audio_channels << ";rate=" << c->audio_rate;
    g_last_connect = out.str();
  }
  c->net = std::thread([c] { Network(*c).run(); });
  return 0;
}

int agora_rtc_conn_disconnect(Handle conn) {
  stop_network(static_cast<FakeConn*>(conn));
  return 0;
}

// --- local user ---
int agora_local_user_register_observer(Handle local_user, LocalUserObserver* observer) {
  FakeConn* c = conn_of_user(local_user);
  std::lock_guard<std::mutex> lock(c->mu);
  c->user_obs = observer;
  return 0;
}

int agora_local_user_unregister_observer(Handle local_user) {
  FakeConn* c = conn_of_user(local_user);
  std::lock_guard<std::mutex> lock(c->mu);
  c->user_obs = nullptr;
  return 0;
}

int agora_local_user_subscribe_audio(Handle local_user, UserId user_id) {
  FakeConn* c = conn_of_user(local_user);
  std::lock_guard<std::mutex> lock(c->mu);
  c->sub_audio.insert(user_id);
  return 0;
}

int agora_local_user_subscribe_video(Handle local_user, UserId user_id, const VideoSubscriptionOptions* /*opt*/) {
  FakeConn* c = conn_of_user(local_user);
  std::lock_guard<std::mutex> lock(c->mu);
  c->sub_video.insert(user_id);
  return 0;
}

int agora_local_user_set_playback_audio_frame_before_mixing_parameters(Handle local_user, int channels,
                                                                        int sample_rate_hz) {
  FakeConn* c = conn_of_user(local_user);
  std::lock_guard<std::mutex> lock(c->mu);
  if (channels < 1 || channels > 2 || sample_rate_hz < 8000) return -2;
  c->audio_channels = channels;
  c->audio_rate = sample_rate_hz;
  return 0;
}

int agora_local_user_register_audio_frame_observer(Handle local_user, AudioFrameObserver* observer) {
  FakeConn* c = conn_of_user(local_user);
  std::lock_guard<std::mutex> lock(c->mu);
  c->audio_obs = observer;
  return 0;
}

int agora_local_user_unregister_audio_frame_observer(Handle local_user) {
  FakeConn* c = conn_of_user(local_user);
  std::lock_guard<std::mutex> lock(c->mu);
  if (c->script.stale > 0) c->stale_audio = c->audio_obs;
  c->audio_obs = nullptr;
  return 0;
}

int agora_local_user_register_video_frame_observer(Handle local_user, Handle observer) {
  FakeConn* c = conn_of_user(local_user);
  std::lock_guard<std::mutex> lock(c->mu);
  c->video_obs = static_cast<FakeVideoObserver*>(observer);
  return 0;
}

int agora_local_user_unregister_video_frame_observer(Handle local_user, Handle /*observer*/) {
  FakeConn* c = conn_of_user(local_user);
  std::lock_guard<std::mutex> lock(c->mu);
  if (c->script.stale > 0) c->stale_video = c->video_obs;
  c->video_obs = nullptr;
  return 0;
}

Handle agora_video_frame_observer2_create(VideoFrameObserver2* table) {
  auto obs = std::make_unique<FakeVideoObserver>();
  obs->table = *table;
  ++g_live_objects;
  return obs.release();
}

int agora_video_frame_observer2_destroy(Handle observer) {
  std::unique_ptr<FakeVideoObserver> owned(static_cast<FakeVideoObserver*>(observer));
  --g_live_objects;
  return 0;
}

// --- introspection for tests ---
const char* fake_agora_last_connect() {
  static thread_local std::string copy;
  std::lock_guard<std::mutex> lock(g_last_mu);
  copy = g_last_connect;
  return copy.c_str();
}
int fake_agora_live_objects() { return g_live_objects.load(); }
int fake_agora_stale_calls() { return g_stale_calls.load(); }
void fake_agora_reset_stale_calls() { g_stale_calls = 0; }

}  // extern "C"
