#include "sinks/media_sink.h"

#include <ctime>

namespace rtcegress {

bool MediaSink::start(std::string& error) { return split_at(0, error); }

bool MediaSink::split_at(int64_t video_pts, std::string& error) {
  auto p = std::make_unique<Piece>();
  p->index = ctx_.fields.index + static_cast<int>(opened_);
  p->start_pts = video_pts;
  if (!open_piece(*p, error)) return false;
  if (opened_ > 0) boundaries_.push_back(video_pts);
  pieces_.push_back(std::move(p));
  ++opened_;
  return true;
}

bool MediaSink::write(int stream, PacketPtr pkt, std::string& error) {
  if (pieces_.empty()) return true;
  const AVCodecContext* enc = encoder(stream);
  // The open piece this packet belongs to: the last whose start (a split point, in increasing order) its pts
  // has reached. A packet from before the first open piece goes to that piece.
  std::size_t pos = 0;
  for (std::size_t b = first_open_; b < boundaries_.size(); ++b) {
    if (pkt->pts < av_rescale_q(boundaries_[b], ctx_.video->time_base, enc->time_base)) break;
    ++pos;
  }
  Piece& p = *pieces_[pos];
  if (!p.mux.write(stream, pkt.get(), enc->time_base, piece_offset(p, stream), error)) return false;
  // Earlier pieces will get no more packets of this stream; close those that are complete.
  for (std::size_t i = 0; i < pos; ++i) pieces_[i]->done[stream] = true;
  while (pieces_.size() > 1 && pieces_.front()->done[0] && pieces_.front()->done[1]) {
    if (!close_front(error)) return false;
  }
  return true;
}

bool MediaSink::close_front(std::string& error) {
  std::unique_ptr<Piece> p = std::move(pieces_.front());
  pieces_.pop_front();
  ++first_open_;
  double duration = p->mux.duration_s();
  if (first_open_ - 1 < boundaries_.size()) {
    // A piece closed by a split lasts exactly until the split.
    std::size_t i = first_open_ - 1;
    int64_t start = i == 0 ? 0 : boundaries_[i - 1];
    duration = video_seconds(boundaries_[i] - start);
  }
  return close_piece(*p, duration, error);
}

bool MediaSink::finish(std::string& error) {
  bool ok = true;
  while (!pieces_.empty()) {
    std::string e;
    if (!close_front(e) && ok) {
      ok = false;
      error = e;
    }
  }
  return ok;
}

std::vector<std::string> MediaSink::open_files() const {
  std::vector<std::string> out;
  for (const auto& p : pieces_) out.push_back(p->name);
  return out;
}

std::string output_name(const SinkContext& ctx, int index) {
  NameFields f = ctx.fields;
  f.index = index;
  f.when = std::time(nullptr);
  return expand_filename(ctx.pattern, f, ctx.needs);
}

ClosedFile closed_file(const SinkContext& ctx, const std::string& name, FileKind kind) {
  ClosedFile f;
  f.name = name;
  f.path = join_path(ctx.output_dir, name);
  f.kind = kind;
  f.uid = ctx.fields.uid;
  f.part = ctx.fields.part;
  return f;
}

void MediaSink::emit_opened(const std::string& name, FileKind kind) const {
  nlohmann::json j = {{"path", join_path(ctx_.output_dir, name)}, {"name", name}, {"kind", to_string(kind)},
                      {"part", ctx_.fields.part}};
  if (!ctx_.fields.uid.empty()) j["uid"] = ctx_.fields.uid;
  if (ctx_.events) ctx_.events->emit("file_opened", j);
}

void MediaSink::emit_closed(const std::string& name, FileKind kind, double duration_s) const {
  ClosedFile f = closed_file(ctx_, name, kind);
  f.duration_s = duration_s;
  f.sha256 = sha256_file(f.path, &f.bytes);
  if (ctx_.events) ctx_.events->emit("file_closed", to_json(f));
  log_info("file closed", {{"name", name}, {"bytes", f.bytes}, {"duration_s", duration_s}});
}

double MediaSink::video_seconds(int64_t pts) const { return static_cast<double>(pts) * av_q2d(ctx_.video->time_base); }

}  // namespace rtcegress
