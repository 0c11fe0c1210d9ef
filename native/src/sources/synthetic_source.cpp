#include "sources/synthetic_source.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <thread>
#include <vector>

#include "compose/draw.h"
#include "control/config.h"

extern "C" {
#include <libavutil/channel_layout.h>
#include <libavutil/samplefmt.h>
}

namespace rtcegress {
namespace {

using nlohmann::json;
constexpr double kNever = std::numeric_limits<double>::infinity();
constexpr int kAudioRate = 48000;
constexpr int kChunk = kAudioRate / 100;  // 10 ms of audio per delivery
constexpr double kPi = 3.14159265358979323846;

const Rgb kPalette[] = {{208, 48, 48},  {48, 160, 64},  {48, 80, 208},  {208, 176, 32},
                        {176, 48, 176}, {32, 176, 176}, {224, 112, 32}, {112, 112, 112}};

struct Script {
  std::string uid;
  double join_at = 0, leave_at = kNever;
  bool video = true, audio = true;
  int width = 640, height = 360, fps = 30;
  double mute_video_at = kNever, unmute_video_at = kNever;
  double mute_audio_at = kNever, unmute_audio_at = kNever;
  double resize_at = kNever;
  int resize_width = 0, resize_height = 0;
  double volume = 0.3;
  double freq = 880;
  Rgb colour;
};

// User i (from 0) before its settings: uid u<i+1>, its own colour and pitch.
Script default_script(std::size_t i, int fps) {
  Script s;
  s.uid = "u" + std::to_string(i + 1);
  s.fps = fps;
  s.freq = 880 + 110 * static_cast<double>(i);
  s.colour = kPalette[i % 8];
  return s;
}

struct UserState {
  Script s;
  bool joined = false, left = false, video_muted = false, audio_muted = false, resized = false;
  long long next_frame = 0;
};

// Field readers for the source config; problems name the field.
struct Fields {
  std::string& error;
  bool ok() const { return error.empty(); }
  void fail(const std::string& path, const std::string& rule) {
    if (error.empty()) error = path + ": " + rule;
  }
  void num(const json& o, const char* k, const std::string& p, double lo, double hi, double& out) {
    auto it = o.find(k);
    if (it == o.end() || it->is_null()) return;
    if (!it->is_number() || it->get<double>() < lo || it->get<double>() > hi) {
      fail(p + "." + k, "must be a number from " + json(lo).dump() + " to " + json(hi).dump());
      return;
    }
    out = it->get<double>();
  }
  void integer(const json& o, const char* k, const std::string& p, int lo, int hi, int& out) {
    double d = out;
    num(o, k, p, lo, hi, d);
    if (d != std::floor(d)) fail(p + "." + k, "must be an integer");
    out = static_cast<int>(d);
  }
  void boolean(const json& o, const char* k, const std::string& p, bool& out) {
    auto it = o.find(k);
    if (it == o.end() || it->is_null()) return;
    if (!it->is_boolean()) fail(p + "." + k, "must be true or false");
    else out = it->get<bool>();
  }
};

class SyntheticSource final : public Source {
 public:
  explicit SyntheticSource(std::vector<Script> users) {
    for (auto& s : users) users_.push_back(UserState{std::move(s)});
  }
  ~SyntheticSource() override { stop(); }

  bool start(SourceSink& sink, std::string& /*error*/) override {
    sink_ = &sink;
    t0_ = std::chrono::steady_clock::now();
    thread_ = std::thread([this] { run(); });
    return true;
  }

  void stop() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  double elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
  }

  void run() {
    std::vector<std::int16_t> pcm(kChunk);
    for (;;) {
      double now = elapsed();
      double next = kNever;
      for (UserState& u : users_) next = std::min(next, script_step(u, now));
      // Audio: deliver every 10 ms chunk that has completed.
      while (static_cast<double>((audio_chunk_ + 1) * kChunk) / kAudioRate <= now) {
        for (UserState& u : users_) {
          if (u.joined && !u.left && u.s.audio && !u.audio_muted) deliver_audio(u, audio_chunk_ * kChunk);
        }
        ++audio_chunk_;
      }
      next = std::min(next, static_cast<double>((audio_chunk_ + 1) * kChunk) / kAudioRate);
      // Video: the latest due frame of each user (older ones are skipped if we fell behind).
      for (UserState& u : users_) {
        double frame_t = static_cast<double>(u.next_frame) / u.s.fps;
        if (frame_t <= now) {
          long long latest = static_cast<long long>(std::floor(now * u.s.fps));
          if (u.joined && !u.left && u.s.video && !u.video_muted) deliver_video(u, static_cast<double>(latest) / u.s.fps);
          u.next_frame = latest + 1;
        }
        next = std::min(next, static_cast<double>(u.next_frame) / u.s.fps);
      }
      std::unique_lock<std::mutex> lock(mu_);
      if (stop_) return;
      cv_.wait_until(lock, t0_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                     std::chrono::duration<double>(next)),
                     [this] { return stop_; });
      if (stop_) return;
    }
  }

  // Applies the script up to now; returns the time of the user's next scripted change.
  double script_step(UserState& u, double now) {
    const Script& s = u.s;
    if (!u.joined && !u.left && now >= s.join_at) {
      u.joined = true;
      sink_->on_user_joined(s.uid);
    }
    if (u.joined && !u.left && now >= s.leave_at) {
      u.left = true;
      sink_->on_user_left(s.uid, "left");
    }
    bool vm = now >= s.mute_video_at && now < s.unmute_video_at;
    if (u.joined && !u.left && vm != u.video_muted) {
      u.video_muted = vm;
      sink_->on_video_muted(s.uid, vm);
    }
    bool am = now >= s.mute_audio_at && now < s.unmute_audio_at;
    if (u.joined && !u.left && am != u.audio_muted) {
      u.audio_muted = am;
      sink_->on_audio_muted(s.uid, am);
    }
    if (!u.resized && now >= s.resize_at) {
      u.resized = true;
      u.s.width = s.resize_width;
      u.s.height = s.resize_height;
    }
    double next = kNever;
    for (double t : {s.join_at, s.leave_at, s.mute_video_at, s.unmute_video_at, s.mute_audio_at, s.unmute_audio_at,
                     s.resize_at}) {
      if (t > now) next = std::min(next, t);
    }
    return next;
  }

  void deliver_audio(const UserState& u, long long first_sample) {
    FramePtr f = make_frame();
    if (!f) return;
    f->format = AV_SAMPLE_FMT_S16;
    f->sample_rate = kAudioRate;
    f->nb_samples = kChunk;
    av_channel_layout_default(&f->ch_layout, 1);
    if (av_frame_get_buffer(f.get(), 0) < 0) return;
    auto* out = reinterpret_cast<std::int16_t*>(f->data[0]);
    for (int i = 0; i < kChunk; ++i) {
      double t = static_cast<double>(first_sample + i) / kAudioRate;
      double in_second = t - std::floor(t);
      double v = 0;
      if (in_second < kPulseSeconds) {
        // 2 ms ramps at both ends keep the beep free of clicks without blurring its onset.
        double ramp = std::min({1.0, in_second / 0.002, (kPulseSeconds - in_second) / 0.002});
        v = u.s.volume * ramp * std::sin(2 * kPi * u.s.freq * t);
      }
      out[i] = static_cast<std::int16_t>(std::lround(std::clamp(v, -1.0, 1.0) * 32767));
    }
    sink_->on_audio_frame(u.s.uid, std::move(f));
  }

  void deliver_video(const UserState& u, double t) {
    FramePtr f = make_frame();
    int w = u.s.width, h = u.s.height;
    if (!f || !alloc_yuv_frame(f.get(), w, h)) return;
    double in_second = t - std::floor(t);
    if (in_second < kPulseSeconds) {
      fill_frame(f.get(), Yuv{235, 128, 128});
    } else {
      fill_frame(f.get(), rgb_to_yuv(u.s.colour));
      // A square sliding along the bottom band shows motion; the centre stays the user's colour.
      int side = std::max(2, h / 6);
      int travel = std::max(1, w - side);
      int x = static_cast<int>(std::fmod(t * w / 4.0, static_cast<double>(travel)));
      fill_rect(f.get(), Rect{x & ~1, (h - side - h / 24) & ~1, side, side}, Yuv{180, 128, 128});
      int scale = std::max(1, h / 60);
      draw_text(f.get(), scale * 3, scale * 3, u.s.uid, scale, 235);
    }
    sink_->on_video_frame(u.s.uid, std::move(f));
  }

  std::vector<UserState> users_;
  SourceSink* sink_ = nullptr;
  std::chrono::steady_clock::time_point t0_;
  long long audio_chunk_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace

std::unique_ptr<Source> make_synthetic_source(const json& task, std::string& error) {
  const json& src = task.at("source");
  int default_fps = 30;
  if (auto v = task.find("video"); v != task.end() && v->is_object()) {
    if (auto r = v->find("frameRate"); r != v->end() && r->is_number_integer()) {
      default_fps = std::clamp(r->get<int>(), 1, 60);
    }
  }
  std::vector<Script> scripts;
  Fields f{error};
  auto users = src.find("users");
  if (users == src.end() || users->is_null() || users->is_number()) {
    int n = users != src.end() && users->is_number() ? static_cast<int>(users->get<double>()) : 2;
    if (n < 1 || n > 32 || (users != src.end() && users->is_number() && !users->is_number_integer())) {
      error = "source.users: must be a number of users from 1 to 32, or a list of users";
      return nullptr;
    }
    for (int i = 0; i < n; ++i) scripts.push_back(default_script(static_cast<std::size_t>(i), default_fps));
  } else if (users->is_array() && !users->empty() && users->size() <= 32) {
    for (std::size_t i = 0; i < users->size(); ++i) {
      const json& o = (*users)[i];
      std::string p = "source.users[" + std::to_string(i) + "]";
      if (!o.is_object()) {
        error = p + ": must be an object with a uid";
        return nullptr;
      }
      Script s = default_script(i, default_fps);
      if (auto u = o.find("uid"); u != o.end() && !u->is_null()) {
        if (u->is_string() && !u->get<std::string>().empty()) s.uid = u->get<std::string>();
        else if (u->is_number_integer()) s.uid = u->dump();
        else f.fail(p + ".uid", "must be a non-empty string");
      }
      f.num(o, "join_at_s", p, 0, 1e6, s.join_at);
      f.num(o, "leave_at_s", p, 0, 1e6, s.leave_at);
      f.boolean(o, "video", p, s.video);
      f.boolean(o, "audio", p, s.audio);
      f.integer(o, "width", p, 16, 4096, s.width);
      f.integer(o, "height", p, 16, 4096, s.height);
      f.integer(o, "fps", p, 1, 60, s.fps);
      f.num(o, "mute_video_at_s", p, 0, 1e6, s.mute_video_at);
      f.num(o, "unmute_video_at_s", p, 0, 1e6, s.unmute_video_at);
      f.num(o, "mute_audio_at_s", p, 0, 1e6, s.mute_audio_at);
      f.num(o, "unmute_audio_at_s", p, 0, 1e6, s.unmute_audio_at);
      f.num(o, "resize_at_s", p, 0, 1e6, s.resize_at);
      s.resize_width = s.height;
      s.resize_height = s.width;
      f.integer(o, "resize_width", p, 16, 4096, s.resize_width);
      f.integer(o, "resize_height", p, 16, 4096, s.resize_height);
      f.num(o, "volume", p, 0, 1, s.volume);
      f.num(o, "freq", p, 20, 20000, s.freq);
      if (auto c = o.find("color"); c != o.end() && !c->is_null()) {
        auto rgb = c->is_string() ? parse_color(c->get<std::string>()) : std::nullopt;
        if (rgb) s.colour = *rgb;
        else f.fail(p + ".color", "must be a colour written #rrggbb");
      }
      s.width &= ~1;
      s.height &= ~1;
      s.resize_width &= ~1;
      s.resize_height &= ~1;
      if (!f.ok()) return nullptr;
      scripts.push_back(s);
    }
  } else {
    error = "source.users: must be a number of users from 1 to 32, or a list of 1 to 32 users";
    return nullptr;
  }
  return std::make_unique<SyntheticSource>(std::move(scripts));
}

}  // namespace rtcegress
