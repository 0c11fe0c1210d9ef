#include "sources/agora/frame_convert.h"

#include <cstdint>
#include <cstring>

extern "C" {
#include <libavutil/channel_layout.h>
#include <libavutil/samplefmt.h>
}

namespace rtcegress::agora {
namespace {

constexpr int kMaxDimension = 8192;
constexpr int kMaxChannels = 8;
constexpr int kMaxSampleRate = 192000;

struct Plane {
  const uint8_t* data;
  int stride;
  int width;
  int height;
};

// Writes src rotated clockwise by `degrees` into dst (whose size is the rotated size).
void rotate_plane(const Plane& src, uint8_t* dst, int dst_stride, int degrees) {
  const int w = src.width;
  const int h = src.height;
  switch (degrees) {
    case 90:  // dst(x, y) = src(y, h-1-x); dst is h wide, w high
      for (int y = 0; y < w; ++y) {
        uint8_t* row = dst + static_cast<std::ptrdiff_t>(y) * dst_stride;
        for (int x = 0; x < h; ++x) row[x] = src.data[static_cast<std::ptrdiff_t>(h - 1 - x) * src.stride + y];
      }
      break;
    case 180:
      for (int y = 0; y < h; ++y) {
        uint8_t* row = dst + static_cast<std::ptrdiff_t>(y) * dst_stride;
        const uint8_t* in = src.data + static_cast<std::ptrdiff_t>(h - 1 - y) * src.stride;
        for (int x = 0; x < w; ++x) row[x] = in[w - 1 - x];
      }
      break;
    case 270:  // dst(x, y) = src(w-1-y, x)
      for (int y = 0; y < w; ++y) {
        uint8_t* row = dst + static_cast<std::ptrdiff_t>(y) * dst_stride;
        for (int x = 0; x < h; ++x) row[x] = src.data[static_cast<std::ptrdiff_t>(x) * src.stride + (w - 1 - y)];
      }
      break;
    default:
      for (int y = 0; y < h; ++y) {
        std::memcpy(dst + static_cast<std::ptrdiff_t>(y) * dst_stride,
                    src.data + static_cast<std::ptrdiff_t>(y) * src.stride, static_cast<std::size_t>(w));
      }
      break;
  }
}

int normalized_rotation(int rotation) {
  const int r = ((rotation % 360) + 360) % 360;
  return (r == 90 || r == 180 || r == 270) ? r : 0;
}

}  // namespace

FramePtr copy_video_frame(const VideoFrame& in, std::string& error) {
  if (in.type != kPixelI420) {
    error = "video frame in pixel format " + std::to_string(in.type) + " (only I420 is supported)";
    return nullptr;
  }
  if (in.width <= 0 || in.height <= 0 || in.width > kMaxDimension || in.height > kMaxDimension) {
    error = "video frame of invalid size " + std::to_string(in.width) + "x" + std::to_string(in.height);
    return nullptr;
  }
  const int cw = (in.width + 1) / 2;
  const int ch = (in.height + 1) / 2;
  if (in.y_buffer == nullptr || in.u_buffer == nullptr || in.v_buffer == nullptr || in.y_stride < in.width ||
      in.u_stride < cw || in.v_stride < cw) {
    error = "video frame with missing planes or strides shorter than its width";
    return nullptr;
  }
  const int rotation = normalized_rotation(in.rotation);
  const bool swap = rotation == 90 || rotation == 270;

  FramePtr out = make_frame();
  if (!out) {
    error = "out of memory";
    return nullptr;
  }
  out->format = AV_PIX_FMT_YUV420P;
  out->width = swap ? in.height : in.width;
  out->height = swap ? in.width : in.height;
  if (av_frame_get_buffer(out.get(), 0) < 0) {
    error = "out of memory for a video frame";
    return nullptr;
  }
  rotate_plane({in.y_buffer, in.y_stride, in.width, in.height}, out->data[0], out->linesize[0], rotation);
  rotate_plane({in.u_buffer, in.u_stride, cw, ch}, out->data[1], out->linesize[1], rotation);
  rotate_plane({in.v_buffer, in.v_stride, cw, ch}, out->data[2], out->linesize[2], rotation);
  return out;
}

FramePtr copy_audio_frame(const AudioFrame& in, std::string& error) {
  if (in.bytes_per_sample != 2) {
    error = "audio frame with " + std::to_string(in.bytes_per_sample) + " bytes per sample (only 16-bit PCM)";
    return nullptr;
  }
  if (in.channels < 1 || in.channels > kMaxChannels || in.samples_per_sec <= 0 ||
      in.samples_per_sec > kMaxSampleRate || in.samples_per_channel <= 0 ||
      in.samples_per_channel > in.samples_per_sec || in.buffer == nullptr) {
    error = "audio frame with invalid parameters (" + std::to_string(in.channels) + " channels, " +
            std::to_string(in.samples_per_sec) + " Hz, " + std::to_string(in.samples_per_channel) + " samples)";
    return nullptr;
  }
  FramePtr out = make_frame();
  if (!out) {
    error = "out of memory";
    return nullptr;
  }
  out->format = AV_SAMPLE_FMT_S16;
  out->sample_rate = in.samples_per_sec;
  out->nb_samples = in.samples_per_channel;
  av_channel_layout_default(&out->ch_layout, in.channels);
  if (av_frame_get_buffer(out.get(), 0) < 0) {
    error = "out of memory for an audio frame";
    return nullptr;
  }
  const std::size_t bytes =
      static_cast<std::size_t>(in.samples_per_channel) * static_cast<std::size_t>(in.channels) * 2U;
  std::memcpy(out->data[0], in.buffer, bytes);
  return out;
}

}  // namespace rtcegress::agora
