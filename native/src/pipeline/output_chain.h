// One encoded recording: H.264 + AAC encoders feeding an MP4 or HLS sink. The composite recording has one
// chain; individual mode has one per user.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "compose/mixer.h"
#include "control/config.h"
#include "encode/audio_encoder.h"
#include "encode/video_encoder.h"
#include "sinks/media_sink.h"

namespace rtcegress {

// What a sink of the task writes for uid (empty: the composite output), numbered from index.
SinkContext sink_context(const TaskConfig& cfg, EventWriter& events, const std::string& uid, int index);

class OutputChain {
 public:
  // uid: empty for the composite chain. first_index: the first {index} this chain's files use.
  OutputChain(const TaskConfig& cfg, EventWriter& events, std::string uid, int first_index);
  bool open(std::string& error);
  // One tick: the video frame with pts (frames since the chain started) and the audio of the same tick.
  bool push(AVFrame* video, int64_t pts, const PlanarBuffer& audio, std::string& error);
  // Flushes the encoders and finalizes every file.
  bool finish(std::string& error);

  const std::string& uid() const { return uid_; }
  int next_index() const { return sink_ ? sink_->next_index() : first_index_; }
  std::vector<std::string> open_files() const { return sink_ ? sink_->open_files() : std::vector<std::string>{}; }

 private:
  bool write_all(std::vector<PacketPtr>& video, std::vector<PacketPtr>& audio, std::string& error);

  const TaskConfig& cfg_;
  EventWriter& events_;
  std::string uid_;
  int first_index_;
  VideoEncoder venc_;
  AudioEncoder aenc_;
  std::unique_ptr<MediaSink> sink_;
  bool finished_ = false;
};

}  // namespace rtcegress
