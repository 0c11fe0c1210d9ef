#include "support.h"

#include <dlfcn.h>

#include <cstring>
#include <stdexcept>

#include "sources/agora/sdk_library.h"

extern "C" {
#include <libavutil/pixfmt.h>
#include <libavutil/samplefmt.h>
}

namespace agora_test {

void RecordingSink::record_locked(std::string entry) {
  ++calls_;
  if (stale_probe_ && stale_probe_() > 0) ++stale_calls_seen_;
  log_.push_back(std::move(entry));
  cv_.notify_all();
}

void RecordingSink::on_user_joined(const std::string& uid) {
  std::lock_guard<std::mutex> lock(mu_);
  record_locked("joined " + uid);
}

void RecordingSink::on_user_left(const std::string& uid, const std::string& reason) {
  std::lock_guard<std::mutex> lock(mu_);
  record_locked("left " + uid + " " + reason);
}

void RecordingSink::on_video_frame(const std::string& uid, rtcegress::FramePtr frame) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!frame || frame->format != AV_PIX_FMT_YUV420P || frame->width <= 0 || frame->height <= 0) {
    formats_ok_ = false;
  } else {
    sizes_[uid].insert({frame->width, frame->height});
  }
  ++video_[uid];
  record_locked("video " + uid);
}

void RecordingSink::on_audio_frame(const std::string& uid, rtcegress::FramePtr frame) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!frame || frame->format != AV_SAMPLE_FMT_S16 || frame->sample_rate != 48000 || frame->nb_samples != 480 ||
      frame->ch_layout.nb_channels < 1) {
    formats_ok_ = false;
  }
  ++audio_[uid];
  record_locked("audio " + uid);
}

void RecordingSink::on_video_muted(const std::string& uid, bool muted) {
  std::lock_guard<std::mutex> lock(mu_);
  record_locked("video_muted " + uid + (muted ? " 1" : " 0"));
}

void RecordingSink::on_audio_muted(const std::string& uid, bool muted) {
  std::lock_guard<std::mutex> lock(mu_);
  record_locked("audio_muted " + uid + (muted ? " 1" : " 0"));
}

void RecordingSink::on_error(const std::string& reason, bool fatal) {
  std::lock_guard<std::mutex> lock(mu_);
  errors_.push_back({reason, fatal});
  record_locked(std::string(fatal ? "fatal " : "warning ") + reason);
}

bool RecordingSink::wait(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, pred);
}

std::vector<std::string> RecordingSink::log() {
  std::lock_guard<std::mutex> lock(mu_);
  return log_;
}

std::vector<Error> RecordingSink::errors() {
  std::lock_guard<std::mutex> lock(mu_);
  return errors_;
}

int RecordingSink::video_frames(const std::string& uid) {
  std::lock_guard<std::mutex> lock(mu_);
  return video_frames_locked(uid);
}

int RecordingSink::audio_frames(const std::string& uid) {
  std::lock_guard<std::mutex> lock(mu_);
  return audio_frames_locked(uid);
}

std::set<std::pair<int, int>> RecordingSink::sizes(const std::string& uid) {
  std::lock_guard<std::mutex> lock(mu_);
  return sizes_locked(uid);
}

int RecordingSink::calls() {
  std::lock_guard<std::mutex> lock(mu_);
  return calls_;
}

int RecordingSink::calls_in_stale_mode() {
  std::lock_guard<std::mutex> lock(mu_);
  return stale_calls_seen_;
}

bool RecordingSink::formats_ok() {
  std::lock_guard<std::mutex> lock(mu_);
  return formats_ok_;
}

void RecordingSink::set_stale_probe(std::function<int()> probe) {
  std::lock_guard<std::mutex> lock(mu_);
  stale_probe_ = std::move(probe);
}

int RecordingSink::video_frames_locked(const std::string& uid) const {
  const auto it = video_.find(uid);
  return it == video_.end() ? 0 : it->second;
}

int RecordingSink::audio_frames_locked(const std::string& uid) const {
  const auto it = audio_.find(uid);
  return it == audio_.end() ? 0 : it->second;
}

bool RecordingSink::has_locked(const std::string& entry) const {
  for (const auto& e : log_) {
    if (e == entry) return true;
  }
  return false;
}

int RecordingSink::fatal_count_locked() const {
  int n = 0;
  for (const auto& e : errors_) n += e.fatal ? 1 : 0;
  return n;
}

std::set<std::pair<int, int>> RecordingSink::sizes_locked(const std::string& uid) const {
  const auto it = sizes_.find(uid);
  return it == sizes_.end() ? std::set<std::pair<int, int>>{} : it->second;
}

namespace {

template <typename Fn>
void bind(const rtcegress::agora::SharedLibrary& lib, const char* name, Fn& out) {
  void* sym = lib.symbol(name);
  if (sym == nullptr) throw std::runtime_error(std::string("fake SDK lacks ") + name);
  std::memcpy(&out, &sym, sizeof out);
}

}  // namespace

FakeSdk& FakeSdk::get() {
  static FakeSdk instance = [] {
    std::string error;
    // Kept open for the whole run, so the fake's counters are the ones the source's own load sees.
    static auto lib = rtcegress::agora::SharedLibrary::open(
        std::string(FAKE_AGORA_SDK_DIR) + "/lib/libagora_rtc_sdk.so", RTLD_NOW | RTLD_LOCAL, error);
    if (!lib) throw std::runtime_error("cannot open the fake SDK: " + error);
    FakeSdk sdk;
    bind(*lib, "fake_agora_last_connect", sdk.last_connect_fn);
    bind(*lib, "fake_agora_live_objects", sdk.live_objects_fn);
    bind(*lib, "fake_agora_stale_calls", sdk.stale_calls_fn);
    bind(*lib, "fake_agora_reset_stale_calls", sdk.reset_stale_fn);
    return sdk;
  }();
  return instance;
}

std::string FakeSdk::last_connect() const { return last_connect_fn(); }
int FakeSdk::live_objects() const { return live_objects_fn(); }
int FakeSdk::stale_calls() const { return stale_calls_fn(); }
void FakeSdk::reset_stale_calls() const { reset_stale_fn(); }

nlohmann::json fake_task(const std::string& script, const nlohmann::json& extra) {
  nlohmann::json task = {{"task_id", "0123456789abcdef"},
                         {"app_id", "test-app"},
                         {"channel", "room1"},
                         {"access_token", "fake:" + script},
                         {"workerUid", 4242},
                         {"agora", {{"sdk_dir", FAKE_AGORA_SDK_DIR}}}};
  for (const auto& [key, value] : extra.items()) {
    if (key == "agora") {
      for (const auto& [k, v] : value.items()) task["agora"][k] = v;
    } else {
      task[key] = value;
    }
  }
  return task;
}

}  // namespace agora_test
