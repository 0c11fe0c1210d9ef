#include "compose/speaker.h"

#include <cmath>

namespace rtcegress {

void SpeakerTracker::update(const std::string& uid, double rms, double dt, double now) {
  double a = dt / (p_.smoothing_s + dt);
  double& p = power_[uid];
  p += a * (rms * rms - p);
  if (now != last_now_) {
    // Decide once per time step, after the first update of the step; the remaining users' updates of the same
    // step are reflected at the next step, which is finer than the hold time anyway.
    last_now_ = now;
    decide(now);
  }
}

void SpeakerTracker::forget(const std::string& uid) {
  power_.erase(uid);
  if (current_ == uid) current_.clear();
  if (challenger_ == uid) challenger_.clear();
}

double SpeakerTracker::level_db(const std::string& uid) const {
  auto it = power_.find(uid);
  if (it == power_.end() || it->second <= 1e-12) return -120.0;
  return 10.0 * std::log10(it->second);
}

void SpeakerTracker::decide(double now) {
  std::string loudest;
  double best = p_.silence_db;
  for (const auto& [uid, power] : power_) {
    double db = level_db(uid);
    if (db > best) {
      best = db;
      loudest = uid;
    }
  }
  if (loudest.empty()) return;  // nobody speaks: keep whoever was shown
  if (current_.empty()) {
    current_ = loudest;
    current_since_ = now;
    challenger_.clear();
    return;
  }
  if (loudest == current_ || best < level_db(current_) + p_.margin_db) {
    challenger_.clear();
    return;
  }
  if (challenger_ != loudest) {
    challenger_ = loudest;
    challenger_since_ = now;
  }
  if (now - challenger_since_ >= p_.hold_s && now - current_since_ >= p_.min_dwell_s) {
    current_ = loudest;
    current_since_ = now;
    challenger_.clear();
  }
}

}  // namespace rtcegress
