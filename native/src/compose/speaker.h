// Picks the user the spotlight layout shows large: the loudest, with hysteresis so the picture does not flicker
// between users who talk at similar levels.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace rtcegress {

class SpeakerTracker {
 public:
  struct Params {
    double smoothing_s = 0.5;    // time constant of the level average
    double margin_db = 6.0;      // a challenger must be this much louder ...
    double hold_s = 1.0;         // ... for this long ...
    double min_dwell_s = 2.0;    // ... and the current speaker must have been shown this long
    double silence_db = -50.0;   // levels below this do not count as speaking
  };

  SpeakerTracker() : SpeakerTracker(Params{}) {}
  explicit SpeakerTracker(Params p) : p_(p) {}

  struct Level {
    std::string uid;
    double rms;  // root mean square (0..1) of the user's audio over the last dt seconds
  };
  // One time step: the level of every user present at time now. A user not listed has left: it is forgotten,
  // and if it was the speaker the loudest of those present takes over at once.
  void update(const std::vector<Level>& levels, double dt, double now);
  // The current speaker (empty until someone speaks).
  const std::string& speaker() const { return current_; }
  double level_db(const std::string& uid) const;

 private:
  Params p_;
  std::map<std::string, double> power_;
  std::string current_;
  double current_since_ = 0;
  std::string challenger_;
  double challenger_since_ = 0;
  void decide(double now);
};

}  // namespace rtcegress
