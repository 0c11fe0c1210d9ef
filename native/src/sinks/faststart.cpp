#include "sinks/faststart.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <system_error>

#include "encode/ffmpeg_util.h"

namespace rtcegress {

namespace {

bool room_for_copy(const std::string& path, std::string& error) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec) {
    error = "cannot size " + path + ": " + ec.message();
    return false;
  }
  const fs::path dir = fs::path(path).parent_path();
  const auto space = fs::space(dir.empty() ? fs::path(".") : dir, ec);
  if (ec) {
    error = "cannot read the free space of " + dir.string() + ": " + ec.message();
    return false;
  }
  const unsigned long long need = size + std::max<unsigned long long>(kFaststartReserve, size / 10);
  if (space.available < need) {
    error = "not enough free space to rewrite it (" + std::to_string(space.available >> 20) + " MiB free, " +
            std::to_string(need >> 20) + " MiB needed)";
    return false;
  }
  return true;
}

}  // namespace

bool rewrite_faststart(const std::string& path, std::string& error) {
  if (!room_for_copy(path, error)) return false;
  AVFormatContext* raw = nullptr;
  int err = avformat_open_input(&raw, path.c_str(), nullptr, nullptr);
  if (err < 0) {
    error = "cannot reopen " + path + ": " + av_error_string(err);
    return false;
  }
  InputFormatPtr in(raw);
  err = avformat_find_stream_info(in.get(), nullptr);
  if (err < 0) {
    error = "cannot read " + path + ": " + av_error_string(err);
    return false;
  }
  std::string tmp = path + ".faststart.tmp";
  AVFormatContext* oraw = nullptr;
  err = avformat_alloc_output_context2(&oraw, nullptr, "mp4", tmp.c_str());
  if (err < 0 || !oraw) {
    error = "cannot create an MP4 muxer: " + av_error_string(err);
    return false;
  }
  OutputFormatPtr out(oraw);
  for (unsigned i = 0; i < in->nb_streams; ++i) {
    AVStream* ist = in->streams[i];
    AVStream* ost = avformat_new_stream(out.get(), nullptr);
    if (!ost || avcodec_parameters_copy(ost->codecpar, ist->codecpar) < 0) {
      error = "cannot copy the streams of " + path;
      return false;
    }
    ost->codecpar->codec_tag = 0;
    ost->time_base = ist->time_base;
    ost->avg_frame_rate = ist->avg_frame_rate;
  }
  err = avio_open(&out->pb, tmp.c_str(), AVIO_FLAG_WRITE);
  if (err < 0) {
    error = "cannot create " + tmp + ": " + av_error_string(err);
    return false;
  }
  bool ok = false;
  {
    Dict opts;
    opts.set("movflags", "+faststart");
    err = avformat_write_header(out.get(), opts.get());
    if (err < 0) {
      error = "cannot write " + tmp + ": " + av_error_string(err);
    } else {
      PacketPtr pkt = make_packet();
      ok = true;
      while ((err = av_read_frame(in.get(), pkt.get())) >= 0) {
        AVStream* ist = in->streams[pkt->stream_index];
        av_packet_rescale_ts(pkt.get(), ist->time_base, out->streams[pkt->stream_index]->time_base);
        pkt->pos = -1;
        if ((err = av_interleaved_write_frame(out.get(), pkt.get())) < 0) {
          error = "cannot write " + tmp + ": " + av_error_string(err);
          ok = false;
          break;
        }
      }
      if (ok && (err = av_write_trailer(out.get())) < 0) {
        error = "cannot finish " + tmp + ": " + av_error_string(err);
        ok = false;
      }
    }
  }
  if (out->pb) {
    avio_flush(out->pb);
    if (out->pb->error < 0 && ok) {
      error = "cannot write " + tmp + ": " + av_error_string(out->pb->error);
      ok = false;
    }
    avio_closep(&out->pb);
  }
  if (ok && std::rename(tmp.c_str(), path.c_str()) != 0) {
    error = "cannot rename " + tmp + " to " + path;
    ok = false;
  }
  if (!ok) std::remove(tmp.c_str());
  return ok;
}

}  // namespace rtcegress
