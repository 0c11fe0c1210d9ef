// Small RAII wrappers and helpers around FFmpeg's C objects, shared by every stage of the pipeline.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/audio_fifo.h>
#include <libavutil/dict.h>
#include <libavutil/error.h>
#include <libavutil/frame.h>
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>
}

namespace rtcegress {

struct CodecContextDeleter {
  void operator()(AVCodecContext* c) const noexcept { avcodec_free_context(&c); }
};
using CodecContextPtr = std::unique_ptr<AVCodecContext, CodecContextDeleter>;

struct FrameDeleter {
  void operator()(AVFrame* f) const noexcept { av_frame_free(&f); }
};
using FramePtr = std::unique_ptr<AVFrame, FrameDeleter>;

inline FramePtr make_frame() { return FramePtr(av_frame_alloc()); }

struct PacketDeleter {
  void operator()(AVPacket* p) const noexcept { av_packet_free(&p); }
};
using PacketPtr = std::unique_ptr<AVPacket, PacketDeleter>;

inline PacketPtr make_packet() { return PacketPtr(av_packet_alloc()); }

struct SwsDeleter {
  void operator()(SwsContext* s) const noexcept { sws_freeContext(s); }
};
using SwsPtr = std::unique_ptr<SwsContext, SwsDeleter>;

struct SwrDeleter {
  void operator()(SwrContext* s) const noexcept { swr_free(&s); }
};
using SwrPtr = std::unique_ptr<SwrContext, SwrDeleter>;

struct AudioFifoDeleter {
  void operator()(AVAudioFifo* f) const noexcept { av_audio_fifo_free(f); }
};
using AudioFifoPtr = std::unique_ptr<AVAudioFifo, AudioFifoDeleter>;

// An input format context (avformat_open_input); closing it also frees it.
struct InputFormatDeleter {
  void operator()(AVFormatContext* f) const noexcept { avformat_close_input(&f); }
};
using InputFormatPtr = std::unique_ptr<AVFormatContext, InputFormatDeleter>;

// An output format context; its AVIOContext is closed separately by the owner (see sinks/muxer.h).
struct OutputFormatDeleter {
  void operator()(AVFormatContext* f) const noexcept { avformat_free_context(f); }
};
using OutputFormatPtr = std::unique_ptr<AVFormatContext, OutputFormatDeleter>;

// An AVDictionary that frees itself.
class Dict {
 public:
  Dict() = default;
  Dict(const Dict&) = delete;
  Dict& operator=(const Dict&) = delete;
  ~Dict() { av_dict_free(&d_); }
  void set(const char* key, const std::string& value) { av_dict_set(&d_, key, value.c_str(), 0); }
  AVDictionary** get() { return &d_; }

 private:
  AVDictionary* d_ = nullptr;
};

inline std::string av_error_string(int err) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {0};
  av_strerror(err, buf, sizeof buf);
  return buf;
}

// Re-points a cached SwsContext at new geometry, keeping ownership in the unique_ptr.
inline SwsContext* cached_sws(SwsPtr& sws, int src_w, int src_h, AVPixelFormat src_fmt, int dst_w, int dst_h,
                              AVPixelFormat dst_fmt, int flags) {
  SwsContext* ctx = sws_getCachedContext(sws.release(), src_w, src_h, src_fmt, dst_w, dst_h, dst_fmt, flags,
                                         nullptr, nullptr, nullptr);
  sws.reset(ctx);
  return ctx;
}

// Makes frame (a fresh one) a w x h picture of format with buffers aligned for swscale; false when out of memory.
bool alloc_yuv_frame(AVFrame* frame, int w, int h, AVPixelFormat format = AV_PIX_FMT_YUV420P);

// Allocates an encoder context for codec (null: not in this FFmpeg), lets configure() set it up and opens it with
// options. On failure returns null, with an error naming the "<name> encoder".
CodecContextPtr open_encoder(const AVCodec* codec, const std::string& name,
                             const std::function<void(AVCodecContext*)>& configure, AVDictionary** options,
                             std::string& error);

// Appends every packet the encoder has ready to out; errors read "<what> encoding failed: ...".
bool receive_packets(AVCodecContext* encoder, std::vector<PacketPtr>& out, const std::string& what,
                     std::string& error);

}  // namespace rtcegress
