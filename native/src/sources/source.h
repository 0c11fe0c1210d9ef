// Media sources: where the recorder's per-user audio and video come from.
//
// A Source delivers decoded media for each user through a SourceSink. Callbacks come from the source's own
// threads; the sink (the pipeline) is thread-safe. After stop() returns, no callback is made any more.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "encode/ffmpeg_util.h"  // FramePtr

namespace rtcegress {

class SourceSink {
 public:
  virtual ~SourceSink() = default;
  virtual void on_user_joined(const std::string& uid) = 0;
  virtual void on_user_left(const std::string& uid, const std::string& reason) = 0;
  // Video: AV_PIX_FMT_YUV420P, any size (it may change between frames). The frame's pts is ignored:
  // the pipeline samples the latest frame of each user at its own output clock.
  virtual void on_video_frame(const std::string& uid, FramePtr frame) = 0;
  // Audio: any sample format, rate and channel layout (frame->format, sample_rate, ch_layout set);
  // the pipeline resamples per user and paces it by sample count.
  virtual void on_audio_frame(const std::string& uid, FramePtr frame) = 0;
  // The user stopped/resumed sending video or audio (camera off, mute) while staying in the channel.
  virtual void on_video_muted(const std::string& uid, bool muted) = 0;
  virtual void on_audio_muted(const std::string& uid, bool muted) = 0;
  // fatal = the task cannot go on (bad token, banned, SDK missing): the recorder finishes "failed" with reason.
  virtual void on_error(const std::string& reason, bool fatal) = 0;
};

class Source {
 public:
  virtual ~Source() = default;
  // Starts delivering to sink. Returns false with a human-readable reason when the source cannot start.
  virtual bool start(SourceSink& sink, std::string& error) = 0;
  // Stops delivering and joins the source's threads. Idempotent.
  virtual void stop() = 0;
};

// Builds the source named by task["source"]["type"] ("agora" when absent). On failure returns nullptr and
// sets error (e.g. unknown type, bad source config).
std::unique_ptr<Source> make_source(const nlohmann::json& task, std::string& error);

}  // namespace rtcegress
