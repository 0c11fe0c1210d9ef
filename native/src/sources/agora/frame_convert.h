// Copies the SDK's per-user frames (valid only during its callback) into FFmpeg frames the pipeline owns.
#pragma once

#include <string>

#include "sources/agora/sdk_api.h"
#include "sources/source.h"

namespace rtcegress::agora {

// I420 -> AV_PIX_FMT_YUV420P, with the frame's clockwise rotation (90/180/270) applied so the picture is upright.
// Returns nullptr with a reason for frames that cannot be used (other pixel formats, bad sizes or strides).
FramePtr copy_video_frame(const VideoFrame& in, std::string& error);

// 16-bit interleaved PCM -> AV_SAMPLE_FMT_S16 with sample_rate and ch_layout set.
// Returns nullptr with a reason for frames that cannot be used.
FramePtr copy_audio_frame(const AudioFrame& in, std::string& error);

}  // namespace rtcegress::agora
