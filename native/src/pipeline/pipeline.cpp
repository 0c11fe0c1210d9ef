#include "pipeline/pipeline.h"

#include <algorithm>
#include <cmath>
#include <thread>

namespace rtcegress {

using std::chrono::duration;
using std::chrono::duration_cast;

Pipeline::Pipeline(TaskConfig cfg, EventWriter& events)
    : cfg_(std::move(cfg)), events_(events), users_(cfg_, events), view_(cfg_.view), limiter_(cfg_.audio.sample_rate, cfg_.audio.channels),
      limiter_skip_(limiter_.delay_samples()) {}

bool Pipeline::open(std::string& error) {
  events_.emit("started", {{"mode", to_string(cfg_.mode)},
                           {"cmd", to_string(cfg_.cmd)},
                           {"format", to_string(cfg_.format)},
                           {"layout", to_string(view_.layout)},
                           {"output_dir", cfg_.output_dir},
                           {"part", cfg_.part},
                           {"video", {{"width", cfg_.video.width}, {"height", cfg_.video.height},
                                      {"frameRate", cfg_.video.fps}, {"bitrate", cfg_.video.bitrate_kbps}}},
                           {"audio", {{"sampleRate", cfg_.audio.sample_rate}, {"channels", cfg_.audio.channels},
                                      {"bitrate", cfg_.audio.bitrate_kbps}}}});
  if (cfg_.mode == Mode::composite) {
    compositor_ = std::make_unique<Compositor>(cfg_.video.width, cfg_.video.height);
    if (!compositor_->ok()) {
      error = "out of memory (canvas)";
      return false;
    }
    if (cfg_.cmd == Command::record) {
      chain_ = std::make_unique<OutputChain>(cfg_, events_, "", 1);
      if (!chain_->open(error)) return false;
    } else {
      snapshots_ = std::make_unique<SnapshotSink>(sink_context(cfg_, events_, "", 1));
    }
  }
  users_.go_live();
  return true;
}

int64_t Pipeline::samples_at(int64_t tick) const {
  return tick * cfg_.audio.sample_rate / cfg_.video.fps;
}

bool Pipeline::due_snapshot(int64_t n) const {
  // Snapshot k (k >= 1) is taken at the first tick at or after k * interval.
  if (n == 0) return false;
  int64_t interval_ticks_num = static_cast<int64_t>(cfg_.interval_ms) * cfg_.video.fps;  // ticks * 1000
  return n * 1000 / interval_ticks_num > (n - 1) * 1000 / interval_ticks_num;
}

FinishReason Pipeline::run(const StopInputs& stop) {
  const auto frame = duration_cast<SteadyClock::duration>(duration<double>(1.0 / cfg_.video.fps));
  t0_ = stats_at_ = SteadyClock::now();
  auto last_present = t0_;
  const int64_t max_ticks = cfg_.max_duration_s > 0
                                ? static_cast<int64_t>(std::llround(cfg_.max_duration_s * cfg_.video.fps))
                                : INT64_MAX;
  for (int64_t n = 0;; ++n) {
    auto due = t0_ + frame * n;
    // Sleep until the tick, waking regularly to notice stop requests.
    for (auto now = SteadyClock::now(); now < due; now = SteadyClock::now()) {
      std::this_thread::sleep_until(std::min(due, now + std::chrono::milliseconds(20)));
      if (stop.signal && stop.signal->load()) break;
    }
    auto now = SteadyClock::now();
    if (stop.signal && stop.signal->load()) return {true, "stopped"};
    if (stop.commands) {
      while (auto line = stop.commands->pop()) {
        if (auto fin = handle_command(*line)) return *fin;
      }
      if (stop.eof_stops && stop.commands->eof()) return {true, "stopped"};
    }
    if (std::string fatal = users_.fatal_error(); !fatal.empty()) return {false, fatal};
    if (n >= max_ticks) return {true, "max_duration"};
    if (users_.anyone_present()) {
      last_present = now;
    } else if (cfg_.idle_timeout_s > 0 && duration<double>(now - last_present).count() >= cfg_.idle_timeout_s) {
      return {true, "idle"};
    }
    // Far behind (an overloaded machine): skip frames to stay on the wall clock, keep the audio continuous.
    int64_t behind = static_cast<int64_t>((now - due) / frame);
    std::string error;
    if (behind >= cfg_.video.fps / 2 && behind > 1) {
      behind = std::min(behind, max_ticks - n - 1);
      for (int64_t k = 0; k < behind; ++k) {
        if (!tick(n + k, false, now, error)) return {false, error};
      }
      dropped_ += behind;
      n += behind;
    }
    if (!tick(n, true, now, error)) return {false, error};
    ticks_ = n + 1;
    if (duration<double>(now - stats_at_).count() >= cfg_.stats_interval_s) emit_stats(now);
  }
}

bool Pipeline::tick(int64_t n, bool with_video, SteadyClock::time_point now, std::string& error) {
  std::vector<UserView> views = users_.views(now);
  // The audio of tick n is what arrived during the tick before it: taken at the end of its interval, the
  // reserve only has to cover the source's bursts, not a whole frame period ahead.
  int samples = n == 0 ? 0 : static_cast<int>(samples_at(n) - samples_at(n - 1));
  for (const UserView& v : views) {
    // Audio waits audio_delay_ms before it is played; the picture shown arrived frame_age_s ago.
    if (v.frame && v.audio_delay_ms >= 0 && !v.audio_muted) {
      av_offset_sum_ += v.audio_delay_ms - v.frame_age_s * 1000.0;
      ++av_offset_n_;
    }
  }
  bool ok = cfg_.mode == Mode::composite ? tick_composite(n, with_video, views, samples, error)
                                         : tick_individual(n, with_video, views, samples, error);
  if (ok && with_video) ++frames_out_;
  return ok;
}

bool Pipeline::tick_composite(int64_t n, bool with_video, std::vector<UserView>& views, int samples,
                              std::string& error) {
  double t = static_cast<double>(n) / cfg_.video.fps;
  double dt = static_cast<double>(samples) / cfg_.audio.sample_rate;
  mix_.resize(cfg_.audio.channels, samples);
  scratch_.resize(cfg_.audio.channels, samples);
  levels_.clear();
  for (const UserView& v : views) {
    users_.pull_audio(v.uid, scratch_);
    levels_.push_back({v.uid, rms(scratch_)});
    mix_into(mix_, scratch_);
  }
  speaker_.update(levels_, dt, t);
  limiter_.process(mix_);
  if (limiter_skip_ > 0) {
    // The limiter delays the mix by its look-ahead; dropping that much from the start keeps audio on time.
    int k = std::min(limiter_skip_, mix_.samples);
    for (auto& ch : mix_.data) ch.erase(ch.begin(), ch.begin() + k);
    mix_.samples -= k;
    limiter_skip_ -= k;
  }
  if (last_tick_) fade_out_tail(mix_, cfg_.audio.sample_rate / 100);
  bool snapshot = snapshots_ && with_video && due_snapshot(n);
  if (!chain_ && !snapshot) return true;
  AVFrame* picture = nullptr;
  if (with_video) {
    const std::string& speaker = view_.spotlight_uid.empty() ? speaker_.speaker() : view_.spotlight_uid;
    if (!(picture = render(*compositor_, view_, views, speaker, error))) return false;
  }
  return chain_ ? chain_->push(picture, n, mix_, error) : snapshots_->write(picture, t, error);
}

AVFrame* Pipeline::render(Compositor& compositor, const LayoutSettings& view, const std::vector<UserView>& users,
                          const std::string& speaker, std::string& error) const {
  AVFrame* picture = compositor.render(view, users, speaker, cfg_.placeholder_after_s);
  if (!picture) error = "cannot compose the picture (out of memory)";
  return picture;
}

bool Pipeline::tick_individual(int64_t n, bool with_video, std::vector<UserView>& views, int samples,
                               std::string& error) {
  double t = static_cast<double>(n) / cfg_.video.fps;
  // Outputs follow membership: a chain per present user; a user who left gets their files finished.
  for (auto it = per_user_.begin(); it != per_user_.end();) {
    bool present = std::any_of(views.begin(), views.end(), [&](const UserView& v) { return v.uid == it->first; });
    if (present) {
      ++it;
      continue;
    }
    if (it->second.chain) {
      next_index_[it->first] = it->second.chain->next_index();
      if (!it->second.chain->finish(error)) return false;
      it = per_user_.erase(it);
    } else {
      ++it;  // snapshot outputs stay, so their numbering continues on rejoin
    }
  }
  scratch_.resize(cfg_.audio.channels, samples);
  LayoutSettings single;
  single.background = view_.background;
  for (UserView& v : views) {
    PerUser& pu = per_user_[v.uid];
    if (!pu.compositor) {
      pu.compositor = std::make_unique<Compositor>(cfg_.video.width, cfg_.video.height);
      pu.first_tick = n;
      if (cfg_.cmd == Command::record) {
        auto idx = next_index_.find(v.uid);
        pu.chain = std::make_unique<OutputChain>(cfg_, events_, v.uid, idx == next_index_.end() ? 1 : idx->second);
        if (!pu.chain->open(error)) return false;
      } else {
        pu.snapshots = std::make_unique<SnapshotSink>(sink_context(cfg_, events_, v.uid, 1));
      }
    }
    users_.pull_audio(v.uid, scratch_);
    if (last_tick_) fade_out_tail(scratch_, cfg_.audio.sample_rate / 100);
    bool snapshot = pu.snapshots && with_video && due_snapshot(n);
    if (!pu.chain && !snapshot) continue;
    AVFrame* picture = nullptr;
    if (with_video) {
      std::vector<UserView> one;
      one.push_back(std::move(v));
      if (!(picture = render(*pu.compositor, single, one, one[0].uid, error))) return false;
    }
    if (!pu.chain) {
      if (!pu.snapshots->write(picture, t, error)) return false;
      continue;
    }
    // A chain's first tick carries no audio: what was pulled belongs to the interval before the chain started.
    PlanarBuffer none;
    if (!pu.chain->push(picture, n - pu.first_tick, n == pu.first_tick ? none : scratch_, error)) return false;
  }
  return true;
}

std::optional<FinishReason> Pipeline::handle_command(const std::string& line) {
  if (!line.empty() && line[0] == '\x01') {  // CommandReader's mark for a line it had to discard
    events_.emit("error", {{"message", "command: line too long"}, {"fatal", false}});
    return std::nullopt;
  }
  nlohmann::json cmd = nlohmann::json::parse(line, nullptr, false);
  if (cmd.is_discarded() || !cmd.is_object()) {
    events_.emit("error", {{"message", "command: must be a JSON object on one line"}, {"fatal", false}});
    return std::nullopt;
  }
  auto c = cmd.find("cmd");
  std::string name = c != cmd.end() && c->is_string() ? c->get<std::string>() : "";
  if (name == "stop") return FinishReason{true, "stopped"};
  if (name == "status") {
    emit_status();
  } else if (name == "set_layout") {
    std::vector<std::string> problems = parse_layout_update(cmd, view_);
    if (problems.empty()) {
      events_.emit("layout_changed", {{"layout", to_string(view_.layout)}});
    } else {
      events_.emit("error", {{"message", "set_layout: " + join_problems(problems)}, {"fatal", false}});
    }
  } else {
    events_.emit("error", {{"message", "cmd: must be one of stop, status, set_layout (got " +
                                           (c == cmd.end() ? std::string("nothing") : c->dump()) + ")"},
                           {"fatal", false}});
  }
  return std::nullopt;
}

double Pipeline::elapsed_s(SteadyClock::time_point now) const {
  return std::round(duration<double>(now - t0_).count() * 1000) / 1000;  // to the millisecond
}

void Pipeline::emit_stats(SteadyClock::time_point now, bool final) {
  // The final totals cover the whole recording in the output's own time (not the time finishing took).
  const double span = final ? static_cast<double>(ticks_) / cfg_.video.fps : duration<double>(now - stats_at_).count();
  const long long frames = final ? frames_out_ : frames_out_ - stats_frames_;
  const double fps = span > 0 ? static_cast<double>(frames) / span : 0;
  nlohmann::json j = {{"elapsed_s", final ? std::round(span * 1000) / 1000 : elapsed_s(now)},
                      {"fps", std::round(fps * 100) / 100},
                      {"frames", frames_out_},
                      {"dropped_frames", dropped_},
                      {"users", users_.present()},
                      {"frames_received", users_.frames_received()},
                      {"audio_underruns", users_.audio_underruns()}};
  if (av_offset_n_ > 0) j["av_offset_ms"] = std::round(av_offset_sum_ / static_cast<double>(av_offset_n_));
  else j["av_offset_ms"] = nullptr;
  if (final) j["final"] = true;
  events_.emit("stats", j);
  stats_at_ = now;
  stats_frames_ = frames_out_;
  av_offset_sum_ = 0;
  av_offset_n_ = 0;
}

void Pipeline::emit_status() {
  std::vector<std::string> files;
  if (chain_) files = chain_->open_files();
  for (const auto& [uid, pu] : per_user_) {
    if (pu.chain) {
      for (auto& f : pu.chain->open_files()) files.push_back(f);
    }
  }
  events_.emit("status", {{"state", "recording"},
                          {"elapsed_s", elapsed_s(SteadyClock::now())},
                          {"frames", frames_out_},
                          {"dropped_frames", dropped_},
                          {"users", users_.present()},
                          {"layout", to_string(view_.layout)},
                          {"files", files}});
}

bool Pipeline::finish(std::string& error) {
  bool ok = true;
  std::string e;
  // The audio of the last frame interval.
  last_tick_ = true;
  if (ticks_ > 0 && !tick(ticks_, false, SteadyClock::now(), e)) {
    ok = false;
    error = e;
  }
  if (ticks_ > 0) emit_stats(SteadyClock::now(), true);
  if (chain_ && !chain_->finish(e)) {
    ok = false;
    error = e;
  }
  for (auto& [uid, pu] : per_user_) {
    if (pu.chain && !pu.chain->finish(e) && ok) {
      ok = false;
      error = e;
    }
  }
  return ok;
}

}  // namespace rtcegress
