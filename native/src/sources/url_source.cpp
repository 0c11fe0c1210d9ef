#include "sources/url_source.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "encode/ffmpeg_util.h"

namespace rtcegress {

std::string redact_url(const std::string& url) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return url;  // a local path
  std::string scheme = url.substr(0, scheme_end);
  if (scheme == "file") return url;
  std::string rest = url.substr(scheme_end + 3);
  std::string host = rest.substr(0, rest.find_first_of("/?#"));
  if (auto at = host.rfind('@'); at != std::string::npos) host = host.substr(at + 1);  // drop user:password@
  return scheme + "://" + host + "/...";
}

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

struct Input {
  std::string uid;
  std::string url;
  bool loop = false;
};

// Shared stop flag and sleeping, so every input thread wakes at once on stop().
struct StopFlag {
  std::mutex mu;
  std::condition_variable cv;
  std::atomic<bool> stopped{false};

  // Sleeps until t; false when stopped.
  bool sleep_until(Clock::time_point t) {
    std::unique_lock<std::mutex> lock(mu);
    return !cv.wait_until(lock, t, [this] { return stopped.load(); });
  }
};

int interrupt_cb(void* opaque) { return static_cast<StopFlag*>(opaque)->stopped.load() ? 1 : 0; }

struct Decoder {
  CodecContextPtr ctx;
  int stream = -1;
};

class InputReader {
 public:
  InputReader(Input in, SourceSink& sink, StopFlag& stop) : in_(std::move(in)), sink_(sink), stop_(stop) {}

  void run() {
    std::string why;
    if (!open(why)) {
      if (!stop_.stopped) sink_.on_error("input " + in_.uid + " (" + redact_url(in_.url) + "): " + why, false);
      return;
    }
    sink_.on_user_joined(in_.uid);
    std::string reason = read_all();
    if (!stop_.stopped) sink_.on_user_left(in_.uid, reason);
  }

 private:
  bool open(std::string& why) {
    AVFormatContext* raw = avformat_alloc_context();
    if (!raw) {
      why = "out of memory";
      return false;
    }
    raw->interrupt_callback.callback = interrupt_cb;
    raw->interrupt_callback.opaque = &stop_;
    Dict opts;
    opts.set("rw_timeout", "10000000");  // a stalled network input is a leaving user after 10 s
    int err = avformat_open_input(&raw, in_.url.c_str(), nullptr, opts.get());
    if (err < 0) {
      why = "cannot open: " + av_error_string(err);
      return false;  // avformat_open_input freed raw
    }
    fmt_.reset(raw);
    if ((err = avformat_find_stream_info(raw, nullptr)) < 0) {
      why = "cannot read stream info: " + av_error_string(err);
      return false;
    }
    open_decoder(AVMEDIA_TYPE_VIDEO, video_);
    open_decoder(AVMEDIA_TYPE_AUDIO, audio_);
    if (!video_.ctx && !audio_.ctx) {
      why = "has no decodable audio or video";
      return false;
    }
    return true;
  }

  void open_decoder(AVMediaType type, Decoder& d) {
    const AVCodec* codec = nullptr;
    int idx = av_find_best_stream(fmt_.get(), type, -1, -1, &codec, 0);
    if (idx < 0 || !codec) return;
    CodecContextPtr ctx(avcodec_alloc_context3(codec));
    if (!ctx || avcodec_parameters_to_context(ctx.get(), fmt_->streams[idx]->codecpar) < 0) return;
    ctx->pkt_timebase = fmt_->streams[idx]->time_base;
    ctx->thread_count = 1;  // one input is small; threads would only add latency and memory
    if (avcodec_open2(ctx.get(), codec, nullptr) < 0) return;
    d.ctx = std::move(ctx);
    d.stream = idx;
  }

  // Reads and delivers until the input ends (or breaks); returns the reason for user_left.
  std::string read_all() {
    PacketPtr pkt = make_packet();
    FramePtr frame = make_frame();
    start_ = Clock::now();
    for (;;) {
      if (stop_.stopped) return "stopped";
      int err = av_read_frame(fmt_.get(), pkt.get());
      if (err == AVERROR_EOF) {
        drain(video_, frame.get(), nullptr);
        drain(audio_, frame.get(), nullptr);
        if (!in_.loop || stop_.stopped) return "ended";
        if (!rewind()) return "ended";
        continue;
      }
      if (err < 0) return stop_.stopped ? "stopped" : "input error: " + av_error_string(err);
      Decoder* d = pkt->stream_index == video_.stream ? &video_ : pkt->stream_index == audio_.stream ? &audio_ : nullptr;
      bool decoded = !d || drain(*d, frame.get(), pkt.get());
      av_packet_unref(pkt.get());
      if (!decoded) return stop_.stopped ? "stopped" : "input error: cannot decode";
    }
  }

  bool rewind() {
    // The next round continues right where this one ended.
    loop_offset_ += std::max(0.0, last_end_ - first_ts_);
    first_ts_set_ = false;
    if (av_seek_frame(fmt_.get(), -1, fmt_->start_time != AV_NOPTS_VALUE ? fmt_->start_time : 0,
                      AVSEEK_FLAG_BACKWARD) < 0) {
      return false;
    }
    if (video_.ctx) avcodec_flush_buffers(video_.ctx.get());
    if (audio_.ctx) avcodec_flush_buffers(audio_.ctx.get());
    return true;
  }

  // Sends pkt (nullptr = flush) and delivers every decoded frame at its time.
  bool drain(Decoder& d, AVFrame* frame, AVPacket* pkt) {
    if (!d.ctx) return true;
    int err = avcodec_send_packet(d.ctx.get(), pkt);
    if (err < 0 && err != AVERROR_EOF && err != AVERROR_INVALIDDATA) return false;
    for (;;) {
      err = avcodec_receive_frame(d.ctx.get(), frame);
      if (err == AVERROR(EAGAIN) || err == AVERROR_EOF) return true;
      if (err == AVERROR_INVALIDDATA) continue;
      if (err < 0) return false;
      deliver(d, frame);
      av_frame_unref(frame);
      if (stop_.stopped) return true;
    }
  }

  void deliver(Decoder& d, AVFrame* frame) {
    int64_t ts = frame->best_effort_timestamp;
    double t = ts == AV_NOPTS_VALUE ? last_ts_ : ts * av_q2d(fmt_->streams[d.stream]->time_base);
    if (!first_ts_set_) {
      first_ts_set_ = true;
      first_ts_ = last_ts_ = last_end_ = t;
    }
    last_ts_ = std::max(last_ts_, t);
    double dur = frame->pkt_duration > 0 ? frame->pkt_duration * av_q2d(fmt_->streams[d.stream]->time_base) : 0.0;
    if (d.ctx->codec_type == AVMEDIA_TYPE_AUDIO && frame->sample_rate > 0) {
      dur = static_cast<double>(frame->nb_samples) / frame->sample_rate;
    }
    last_end_ = std::max(last_end_, t + dur);
    double at = loop_offset_ + (t - first_ts_);
    // Real time: wait until the frame is due (a live input that is late is delivered at once).
    auto due = start_ + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(at));
    if (due > Clock::now() && !stop_.sleep_until(due)) return;
    FramePtr out = make_frame();
    if (!out) return;
    if (d.ctx->codec_type == AVMEDIA_TYPE_VIDEO) {
      if (frame->format == AV_PIX_FMT_YUV420P) {
        if (av_frame_ref(out.get(), frame) < 0) return;
      } else if (!to_yuv420p(frame, out.get())) {
        return;
      }
      sink_.on_video_frame(in_.uid, std::move(out));
    } else {
      if (av_frame_ref(out.get(), frame) < 0) return;
      sink_.on_audio_frame(in_.uid, std::move(out));
    }
  }

  bool to_yuv420p(const AVFrame* in, AVFrame* out) {
    SwsContext* sws = cached_sws(sws_, in->width, in->height, static_cast<AVPixelFormat>(in->format), in->width,
                                 in->height, AV_PIX_FMT_YUV420P, SWS_BILINEAR);
    const int w = in->width & ~1, h = in->height & ~1;
    if (!sws || w < 2 || h < 2 || !alloc_yuv_frame(out, w, h)) return false;
    sws_scale(sws, in->data, in->linesize, 0, in->height, out->data, out->linesize);
    return true;
  }

  Input in_;
  SourceSink& sink_;
  StopFlag& stop_;
  InputFormatPtr fmt_;
  Decoder video_, audio_;
  SwsPtr sws_;
  Clock::time_point start_;
  bool first_ts_set_ = false;
  double first_ts_ = 0, last_ts_ = 0, last_end_ = 0, loop_offset_ = 0;
};

class UrlSource final : public Source {
 public:
  explicit UrlSource(std::vector<Input> inputs) : inputs_(std::move(inputs)) {}
  ~UrlSource() override { stop(); }

  bool start(SourceSink& sink, std::string& /*error*/) override {
    for (const Input& in : inputs_) {
      threads_.emplace_back([this, in, &sink] {
        InputReader reader(in, sink, stop_);
        reader.run();
      });
    }
    return true;
  }

  void stop() override {
    {
      std::lock_guard<std::mutex> lock(stop_.mu);
      stop_.stopped = true;
    }
    stop_.cv.notify_all();
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
    threads_.clear();
  }

 private:
  std::vector<Input> inputs_;
  StopFlag stop_;
  std::vector<std::thread> threads_;
};

}  // namespace

std::unique_ptr<Source> make_url_source(const json& task, std::string& error) {
  const json& src = task.at("source");
  auto inputs = src.find("inputs");
  if (inputs == src.end() || !inputs->is_array() || inputs->empty() || inputs->size() > 32) {
    error = "source.inputs: must be a list of 1 to 32 inputs {uid, url}";
    return nullptr;
  }
  std::vector<Input> out;
  for (std::size_t i = 0; i < inputs->size(); ++i) {
    const json& o = (*inputs)[i];
    std::string p = "source.inputs[" + std::to_string(i) + "]";
    if (!o.is_object()) {
      error = p + ": must be an object {uid, url}";
      return nullptr;
    }
    Input in;
    auto uid = o.find("uid");
    if (uid != o.end() && uid->is_string() && !uid->get<std::string>().empty()) in.uid = uid->get<std::string>();
    else if (uid != o.end() && uid->is_number_integer()) in.uid = uid->dump();
    else {
      error = p + ".uid: is required (a non-empty string)";
      return nullptr;
    }
    auto url = o.find("url");
    if (url == o.end() || !url->is_string() || url->get<std::string>().empty() || url->get<std::string>().size() > 4096) {
      error = p + ".url: is required (a URL or path FFmpeg can open)";
      return nullptr;
    }
    in.url = url->get<std::string>();
    if (auto loop = o.find("loop"); loop != o.end() && !loop->is_null()) {
      if (!loop->is_boolean()) {
        error = p + ".loop: must be true or false";
        return nullptr;
      }
      in.loop = loop->get<bool>();
    }
    for (const Input& seen : out) {
      if (seen.uid == in.uid) {
        error = p + ".uid: \"" + in.uid + "\" is used by another input";
        return nullptr;
      }
    }
    out.push_back(std::move(in));
  }
  return std::make_unique<UrlSource>(std::move(out));
}

}  // namespace rtcegress
