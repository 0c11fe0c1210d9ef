// H.264 (libx264) encoding of the output clock's frames: constant frame rate, keyframe every 2 s, forced
// keyframes where a sink starts a new file or segment.
#pragma once

#include <string>
#include <vector>

#include "control/config.h"
#include "encode/ffmpeg_util.h"

namespace rtcegress {

class VideoEncoder {
 public:
  // global_header: parameter sets in extradata (MP4) instead of in-band before each keyframe (MPEG-TS).
  bool open(const VideoSettings& v, const std::string& preset, bool global_header, std::string& error);
  // Encodes frame with pts counted in frames; nullptr flushes. Encoded packets are appended to out.
  bool encode(AVFrame* frame, int64_t pts, bool force_keyframe, std::vector<PacketPtr>& out, std::string& error);
  AVCodecContext* context() const { return ctx_.get(); }

 private:
  CodecContextPtr ctx_;
};

}  // namespace rtcegress
