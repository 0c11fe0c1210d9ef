// Turns a finished fragmented MP4 into a regular MP4 with the index (moov) first, for progressive playback.
#pragma once

#include <string>

namespace rtcegress {

// Rewrites path in place (through a temporary file and an atomic rename). On failure the original file is
// left untouched (it is still playable) and error says why. The copy is not even started unless the
// filesystem keeps kFaststartReserve (or a tenth of the file, if more) free beyond it: other recordings on the
// same disk must not fail because one file is being tidied up.
bool rewrite_faststart(const std::string& path, std::string& error);

inline constexpr unsigned long long kFaststartReserve = 64ULL << 20;

}  // namespace rtcegress
