// The text of an HLS media playlist of type EVENT (it only grows; ENDLIST when the recording ends).
#pragma once

#include <string>
#include <vector>

namespace rtcegress {

struct PlaylistEntry {
  std::string uri;
  double duration_s = 0;
};

std::string render_event_playlist(const std::vector<PlaylistEntry>& entries, int target_duration_s, bool ended);

}  // namespace rtcegress
