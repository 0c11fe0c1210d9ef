#include "pipeline/user_table.h"

#include <algorithm>

extern "C" {
#include <libavutil/channel_layout.h>
}

namespace rtcegress {

UserTable::UserTable(const TaskConfig& cfg, EventWriter& events) : cfg_(cfg), events_(events) {
  for (std::size_t i = 0; i < cfg.users.size(); ++i) wanted_order_[cfg.users[i]] = static_cast<long long>(i);
  av_channel_layout_default(&out_layout_, cfg.audio.channels);
}

void UserTable::emit(const std::string& name, nlohmann::json fields) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!live_) {
      held_.emplace_back(name, std::move(fields));
      return;
    }
  }
  events_.emit(name, std::move(fields));
}

void UserTable::go_live() {
  std::lock_guard<std::mutex> lock(mu_);
  // Emitting under the lock keeps the held events ahead of any new ones.
  for (auto& [name, fields] : held_) events_.emit(name, std::move(fields));
  held_.clear();
  live_ = true;
}

bool UserTable::wanted(const std::string& uid) const {
  return cfg_.users.empty() || wanted_order_.count(uid) > 0;
}

UserTable::User& UserTable::user(const std::string& uid) {
  auto it = users_.find(uid);
  if (it != users_.end()) return *it->second;
  auto u = std::make_unique<User>(uid);
  auto w = wanted_order_.find(uid);
  u->order = w != wanted_order_.end() ? w->second : next_order_++;
  int take = (cfg_.audio.sample_rate + cfg_.video.fps - 1) / cfg_.video.fps;
  u->audio = std::make_unique<AudioJitterBuffer>(cfg_.audio.sample_rate, cfg_.audio.channels, take);
  User& ref = *u;
  users_.emplace(uid, std::move(u));
  return ref;
}

void UserTable::on_user_joined(const std::string& uid) {
  if (!wanted(uid)) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    User& u = user(uid);
    if (u.present) return;
    u.present = true;
    u.frames.clear();
    u.audio_delay_ms = -1;
    u.audio->reset();
    u.video_muted = u.audio_muted = false;
  }
  emit("user_joined", {{"uid", uid}});
  log_info("user joined", {{"uid", uid}});
}

void UserTable::on_user_left(const std::string& uid, const std::string& reason) {
  if (!wanted(uid)) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = users_.find(uid);
    if (it == users_.end() || !it->second->present) return;
    it->second->present = false;
    it->second->frames.clear();
    it->second->audio->reset();
  }
  emit("user_left", {{"uid", uid}, {"reason", reason}});
  log_info("user left", {{"uid", uid}, {"reason", reason}});
}

namespace {
// Video is held back at most this long to match audio; a larger audio delay is not matched any further.
constexpr double kMaxVideoDelayMs = 250.0;
}  // namespace

void UserTable::on_video_frame(const std::string& uid, FramePtr frame) {
  if (!frame || !wanted(uid)) return;
  std::vector<HeldFrame> expired;  // freed outside the lock
  std::lock_guard<std::mutex> lock(mu_);
  auto it = users_.find(uid);
  if (it == users_.end() || !it->second->present) return;
  User& u = *it->second;
  auto now = SteadyClock::now();
  u.frames.push_back(HeldFrame{now, std::move(frame)});
  ++frames_received_;
  // Keep what the current delay may still ask for (plus a margin), and always the newest frame.
  double keep_ms = std::min(kMaxVideoDelayMs, std::max(0.0, u.audio_delay_ms)) + 100.0;
  auto horizon = now - std::chrono::microseconds(static_cast<long long>(keep_ms * 1000));
  while (u.frames.size() > 1 && (u.frames[1].at <= horizon || u.frames.size() > 32)) {
    expired.push_back(std::move(u.frames.front()));
    u.frames.pop_front();
  }
}

bool UserTable::resample(User& u, const AVFrame* in) {
  if (!u.swr || u.swr_in_rate != in->sample_rate || u.swr_in_format != in->format ||
      av_channel_layout_compare(&u.swr_in_layout, &in->ch_layout) != 0) {
    SwrContext* s = nullptr;
    if (swr_alloc_set_opts2(&s, &out_layout_, AV_SAMPLE_FMT_FLTP, cfg_.audio.sample_rate, const_cast<AVChannelLayout*>(&in->ch_layout),
                            static_cast<AVSampleFormat>(in->format), in->sample_rate, 0, nullptr) < 0 ||
        swr_init(s) < 0) {
      swr_free(&s);
      return false;
    }
    u.swr.reset(s);
    u.swr_in_rate = in->sample_rate;
    u.swr_in_format = in->format;
    av_channel_layout_uninit(&u.swr_in_layout);
    av_channel_layout_copy(&u.swr_in_layout, &in->ch_layout);
  }
  int max_out = swr_get_out_samples(u.swr.get(), in->nb_samples);
  if (max_out <= 0) return true;
  u.resampled.resize(cfg_.audio.channels, max_out);
  float* const* planes = u.resampled.planes();
  int got = swr_convert(u.swr.get(), reinterpret_cast<uint8_t**>(const_cast<float**>(planes)), max_out,
                        const_cast<const uint8_t**>(in->extended_data), in->nb_samples);
  if (got < 0) return false;
  u.audio->push(planes, got);
  return true;
}

void UserTable::on_audio_frame(const std::string& uid, FramePtr frame) {
  if (!frame || !wanted(uid) || frame->nb_samples <= 0 || frame->sample_rate <= 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = users_.find(uid);
  if (it == users_.end() || !it->second->present) return;
  if (!resample(*it->second, frame.get())) {
    log_warning("cannot resample the user's audio", {{"uid", uid}, {"format", frame->format},
                                                     {"sample_rate", frame->sample_rate}});
  }
}

void UserTable::on_video_muted(const std::string& uid, bool muted) {
  if (!wanted(uid)) return;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = users_.find(uid);
  if (it != users_.end()) it->second->video_muted = muted;
}

void UserTable::on_audio_muted(const std::string& uid, bool muted) {
  if (!wanted(uid)) return;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = users_.find(uid);
  if (it != users_.end()) it->second->audio_muted = muted;
}

void UserTable::on_error(const std::string& reason, bool fatal) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (fatal && fatal_.empty()) fatal_ = reason;
  }
  emit("error", {{"message", reason}, {"fatal", fatal}});
  log(fatal ? LogLevel::error : LogLevel::warning, reason, {{"fatal", fatal}});
}

std::vector<UserView> UserTable::views(SteadyClock::time_point now) {
  std::vector<std::pair<long long, UserView>> ordered;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [uid, u] : users_) {
      if (!u->present) continue;
      UserView v;
      v.uid = uid;
      if (!u->frames.empty()) {
        // The newest frame that arrived at least the audio delay ago (or the oldest kept one).
        double delay_ms = std::min(kMaxVideoDelayMs, std::max(0.0, u->audio_delay_ms));
        auto wanted_at = now - std::chrono::microseconds(static_cast<long long>(delay_ms * 1000));
        const HeldFrame* pick = &u->frames.front();
        for (const HeldFrame& h : u->frames) {
          if (h.at <= wanted_at) pick = &h;
        }
        v.frame.reset(av_frame_clone(pick->frame.get()));
        v.frame_age_s = std::chrono::duration<double>(now - pick->at).count();
      }
      v.video_muted = u->video_muted;
      v.audio_muted = u->audio_muted;
      v.audio_delay_ms = u->audio_delay_ms;
      ordered.emplace_back(u->order, std::move(v));
    }
  }
  std::sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<UserView> out;
  out.reserve(ordered.size());
  for (auto& p : ordered) out.push_back(std::move(p.second));
  return out;
}

int UserTable::pull_audio(const std::string& uid, PlanarBuffer& out) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = users_.find(uid);
  if (it == users_.end() || !it->second->present) {
    out.clear();
    return 0;
  }
  User& u = *it->second;
  int got = u.audio->pull(out);
  if (got > 0) {
    // What stays buffered is how long the next sample waits before it is played.
    double level = u.audio->buffered_ms();
    u.audio_delay_ms = u.audio_delay_ms < 0 ? level : 0.9 * u.audio_delay_ms + 0.1 * level;
  }
  return got;
}

long long UserTable::audio_underruns() const {
  std::lock_guard<std::mutex> lock(mu_);
  long long n = 0;
  for (const auto& [uid, u] : users_) n += u->audio->underruns();
  return n;
}

std::vector<std::string> UserTable::present() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& [uid, u] : users_) {
    if (u->present) out.push_back(uid);
  }
  return out;
}

bool UserTable::anyone_present() const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [uid, u] : users_) {
    if (u->present) return true;
  }
  return false;
}

std::string UserTable::fatal_error() const {
  std::lock_guard<std::mutex> lock(mu_);
  return fatal_;
}

long long UserTable::frames_received() const {
  std::lock_guard<std::mutex> lock(mu_);
  return frames_received_;
}

}  // namespace rtcegress
