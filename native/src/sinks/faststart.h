// Turns a finished fragmented MP4 into a regular MP4 with the index (moov) first, for progressive playback.
#pragma once

#include <string>

namespace rtcegress {

// Rewrites path in place (through a temporary file and an atomic rename). On failure the original file is
// left untouched (it is still playable) and error says why.
bool rewrite_faststart(const std::string& path, std::string& error);

}  // namespace rtcegress
