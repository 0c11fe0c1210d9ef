#include "sinks/playlist.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

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

bool write_file_atomically(const std::string& path, const std::string& content, std::string& error) {
  std::string tmp = path + ".tmp";
  struct Closer {
    void operator()(std::FILE* f) const noexcept { std::fclose(f); }
  };
  {
    std::unique_ptr<std::FILE, Closer> f(std::fopen(tmp.c_str(), "wb"));
    if (!f) {
      error = "cannot create " + tmp + ": " + std::strerror(errno);
      return false;
    }
    if (std::fwrite(content.data(), 1, content.size(), f.get()) != content.size() || std::fflush(f.get()) != 0) {
      error = "cannot write " + tmp + ": " + std::strerror(errno);
      return false;
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    error = "cannot rename " + tmp + ": " + std::strerror(errno);
    std::remove(tmp.c_str());
    return false;
  }
  return true;
}

}  // namespace rtcegress
