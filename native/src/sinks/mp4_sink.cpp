#include "sinks/mp4_sink.h"

#include "sinks/faststart.h"

namespace rtcegress {

bool Mp4Sink::wants_split(int64_t video_pts) const {
  if (max_file_s_ <= 0 || pieces_.empty()) return false;
  return video_seconds(video_pts - pieces_.back()->start_pts) >= max_file_s_ - 1e-9;
}

bool Mp4Sink::open_piece(Piece& p, std::string& error) {
  p.name = output_name(ctx_, p.index) + ".mp4";
  Dict opts;
  // Fragments of at most a second, flushed as they complete: a SIGKILL loses at most the fragment in progress.
  opts.set("movflags", "+frag_keyframe+empty_moov+default_base_moof");
  opts.set("frag_duration", "1000000");
  opts.set("flush_packets", "1");
  if (!p.mux.open(join_path(ctx_.output_dir, p.name), "mp4", {ctx_.video, ctx_.audio}, opts, error)) return false;
  emit_opened(p.name, FileKind::media);
  return true;
}

bool Mp4Sink::close_piece(Piece& p, double duration_s, std::string& error) {
  bool ok = p.mux.close(error);
  if (ok) {
    std::string why;
    if (!rewrite_faststart(p.mux.path(), why)) {
      log_warning("kept the fragmented MP4: " + why, {{"name", p.name}});
    }
  }
  emit_closed(p.name, FileKind::media, duration_s);
  return ok;
}

int64_t Mp4Sink::piece_offset(const Piece& p, int stream) const {
  // Every file starts at zero.
  return av_rescale_q(p.start_pts, ctx_.video->time_base, encoder(stream)->time_base);
}

}  // namespace rtcegress
