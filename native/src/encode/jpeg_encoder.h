// JPEG encoding of single frames for snapshots.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "encode/ffmpeg_util.h"

namespace rtcegress {

class JpegEncoder {
 public:
  // Encodes a YUV420P frame (any size) to JPEG bytes.
  bool encode(const AVFrame* frame, std::vector<std::uint8_t>& out, std::string& error);

 private:
  bool reopen(int w, int h, std::string& error);
  CodecContextPtr ctx_;
  SwsPtr sws_;
  FramePtr full_range_;
};

}  // namespace rtcegress
