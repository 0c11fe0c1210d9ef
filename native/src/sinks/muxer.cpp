#include "sinks/muxer.h"

#include <algorithm>

namespace rtcegress {

FileMuxer::~FileMuxer() {
  // Error paths only: the file is left as far as it got (a fragmented MP4 stays playable).
  if (fmt_ && fmt_->pb && !(fmt_->oformat->flags & AVFMT_NOFILE)) avio_closep(&fmt_->pb);
}

bool FileMuxer::open(const std::string& path, const char* format, const std::vector<const AVCodecContext*>& codecs,
                     Dict& options, std::string& error) {
  path_ = path;
  AVFormatContext* raw = nullptr;
  int err = avformat_alloc_output_context2(&raw, nullptr, format, path.c_str());
  if (err < 0 || !raw) {
    error = "cannot create a " + std::string(format) + " muxer: " + av_error_string(err);
    return false;
  }
  fmt_.reset(raw);
  for (const AVCodecContext* c : codecs) {
    AVStream* st = avformat_new_stream(raw, nullptr);
    if (!st || avcodec_parameters_from_context(st->codecpar, c) < 0) {
      error = "cannot add a stream to " + path;
      fmt_.reset();
      return false;
    }
    st->time_base = c->time_base;
    if (c->codec_type == AVMEDIA_TYPE_VIDEO) st->avg_frame_rate = c->framerate;
  }
  spans_.assign(codecs.size(), Span{});
  err = avio_open(&raw->pb, path.c_str(), AVIO_FLAG_WRITE);
  if (err < 0) {
    error = "cannot create " + path + ": " + av_error_string(err);
    fmt_.reset();
    return false;
  }
  err = avformat_write_header(raw, options.get());
  if (err < 0) {
    error = "cannot write the header of " + path + ": " + av_error_string(err);
    avio_closep(&raw->pb);
    fmt_.reset();
    return false;
  }
  return true;
}

bool FileMuxer::write(int stream, AVPacket* pkt, AVRational enc_tb, int64_t offset, std::string& error) {
  if (!fmt_) {
    error = "write to a closed file";
    return false;
  }
  AVStream* st = fmt_->streams[stream];
  if (pkt->pts != AV_NOPTS_VALUE) pkt->pts -= offset;
  if (pkt->dts != AV_NOPTS_VALUE) pkt->dts -= offset;
  Span& s = spans_[static_cast<size_t>(stream)];
  double start = pkt->pts * av_q2d(enc_tb), end = (pkt->pts + pkt->duration) * av_q2d(enc_tb);
  if (!s.any) s = Span{start, end, true};
  s.start = std::min(s.start, start);
  s.end = std::max(s.end, end);
  av_packet_rescale_ts(pkt, enc_tb, st->time_base);
  pkt->stream_index = stream;
  int err = av_interleaved_write_frame(fmt_.get(), pkt);
  if (err < 0) {
    error = "cannot write to " + path_ + ": " + av_error_string(err);
    return false;
  }
  return true;
}

bool FileMuxer::close(std::string& error) {
  if (!fmt_) return true;
  bool ok = true;
  int err = av_write_trailer(fmt_.get());  // the header is written: open() keeps fmt_ only when it succeeds
  if (err < 0) {
    error = "cannot finish " + path_ + ": " + av_error_string(err);
    ok = false;
  }
  if (fmt_->pb) {
    avio_flush(fmt_->pb);
    if (fmt_->pb->error < 0 && ok) {
      error = "cannot write " + path_ + ": " + av_error_string(fmt_->pb->error);
      ok = false;
    }
    err = avio_closep(&fmt_->pb);
    if (err < 0 && ok) {
      error = "cannot close " + path_ + ": " + av_error_string(err);
      ok = false;
    }
  }
  fmt_.reset();
  return ok;
}

double FileMuxer::duration_s() const {
  if (spans_.empty()) return 0;
  const Span& v = spans_[0];
  if (v.any) return std::max(0.0, v.end - v.start);
  double d = 0;
  for (const auto& s : spans_) {
    if (s.any) d = std::max(d, s.end - s.start);
  }
  return d;
}

}  // namespace rtcegress
