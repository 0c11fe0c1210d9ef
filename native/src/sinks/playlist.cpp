#include "sinks/playlist.h"

#include <cstdio>

namespace rtcegress {

std::string render_event_playlist(const std::vector<PlaylistEntry>& entries, int target_duration_s, bool ended) {
  std::string out = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-PLAYLIST-TYPE:EVENT\n";
  out += "#EXT-X-TARGETDURATION:" + std::to_string(target_duration_s) + "\n";
  out += "#EXT-X-MEDIA-SEQUENCE:0\n";
  char line[64];
  for (const auto& e : entries) {
    std::snprintf(line, sizeof line, "#EXTINF:%.3f,\n", e.duration_s);
    out += line;
    out += e.uri + "\n";
  }
  if (ended) out += "#EXT-X-ENDLIST\n";
  return out;
}

}  // namespace rtcegress
