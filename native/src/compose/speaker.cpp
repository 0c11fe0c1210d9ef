#include "compose/speaker.h"

#include <cmath>
#include <utility>

namespace rtcegress {

void SpeakerTracker::update(const std::vector<Level>& levels, double dt, double now) {
  double a = dt / (p_.smoothing_s + dt);
  std::map<std::string, double> present;
  for (const Level& l : levels) {
    auto it = power_.find(l.uid);
    double p = it == power_.end() ? 0.0 : it->second;
    present[l.uid] = p + a * (l.rms * l.rms - p);
  }
  power_ = std::move(present);
  if (!power_.count(current_)) current_.clear();
  if (!power_.count(challenger_)) challenger_.clear();
  decide(now);
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
