// AAC encoding of the mixed audio: takes any number of planar float samples per tick and emits packets of
// the encoder's frame size, timestamped by sample count.
#pragma once

#include <string>
#include <vector>

#include "control/config.h"
#include "encode/ffmpeg_util.h"

namespace rtcegress {

class AudioEncoder {
 public:
  bool open(const AudioSettings& a, bool global_header, std::string& error);
  bool push(const float* const* planes, int n, std::vector<PacketPtr>& out, std::string& error);
  // Encodes what is left (padded) and drains the encoder.
  bool flush(std::vector<PacketPtr>& out, std::string& error);
  AVCodecContext* context() const { return ctx_.get(); }

 private:
  bool send(int n, std::vector<PacketPtr>& out, std::string& error);
  CodecContextPtr ctx_;
  AudioFifoPtr fifo_;
  FramePtr frame_;
  std::vector<PacketPtr> pending_;  // produced while opening, handed out with the first push
  int64_t next_pts_ = 0;
};

}  // namespace rtcegress
