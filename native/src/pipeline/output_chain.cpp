#include "pipeline/output_chain.h"

#include "sinks/hls_sink.h"
#include "sinks/mp4_sink.h"

namespace rtcegress {

SinkContext sink_context(const TaskConfig& cfg, EventWriter& events, const std::string& uid, int index) {
  SinkContext ctx;
  ctx.output_dir = cfg.output_dir;
  ctx.pattern = cfg.filename_pattern;
  ctx.fields.task_id = cfg.task_id;
  ctx.fields.channel = cfg.channel;
  ctx.fields.uid = uid;
  ctx.fields.index = index;
  ctx.fields.part = cfg.part;
  ctx.needs.uid = !uid.empty();
  ctx.events = &events;
  return ctx;
}

OutputChain::OutputChain(const TaskConfig& cfg, EventWriter& events, std::string uid, int first_index)
    : cfg_(cfg), events_(events), uid_(std::move(uid)), first_index_(first_index) {}

bool OutputChain::open(std::string& error) {
  bool mp4 = cfg_.format == Format::mp4;
  if (!venc_.open(cfg_.video, cfg_.x264_preset, mp4, error)) return false;
  if (!aenc_.open(cfg_.audio, mp4, error)) return false;
  SinkContext ctx = sink_context(cfg_, events_, uid_, first_index_);
  ctx.needs.index = !uid_.empty() || (mp4 && cfg_.mp4_max_file_s > 0);  // rejoins, rotation
  ctx.video = venc_.context();
  ctx.audio = aenc_.context();
  if (mp4) sink_ = std::make_unique<Mp4Sink>(std::move(ctx), cfg_.mp4_max_file_s);
  else sink_ = std::make_unique<HlsSink>(std::move(ctx), cfg_.hls_segment_s);
  return sink_->start(error);
}

bool OutputChain::push(AVFrame* video, int64_t pts, const PlanarBuffer& audio, std::string& error) {
  std::vector<PacketPtr> vpk, apk;
  bool key = false;
  if (video && pts > 0 && sink_->wants_split(pts)) {
    if (!sink_->split_at(pts, error)) return false;
    key = true;
  }
  if (video && !venc_.encode(video, pts, key, vpk, error)) return false;
  if (audio.samples > 0 && !aenc_.push(audio.planes(), audio.samples, apk, error)) return false;
  return write_all(vpk, apk, error);
}

bool OutputChain::write_all(std::vector<PacketPtr>& video, std::vector<PacketPtr>& audio, std::string& error) {
  // Interleave roughly by time; the muxer's interleaving queue does the rest.
  for (auto& p : video) {
    if (!sink_->write_video(std::move(p), error)) return false;
  }
  for (auto& p : audio) {
    if (!sink_->write_audio(std::move(p), error)) return false;
  }
  return true;
}

bool OutputChain::finish(std::string& error) {
  if (finished_ || !sink_) return true;
  finished_ = true;
  std::vector<PacketPtr> vpk, apk;
  bool ok = venc_.encode(nullptr, 0, false, vpk, error) && aenc_.flush(apk, error) && write_all(vpk, apk, error);
  std::string e;
  if (!sink_->finish(e) && ok) {
    error = e;
    ok = false;
  }
  return ok;
}

}  // namespace rtcegress
