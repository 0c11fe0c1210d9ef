#include "sinks/hls_sink.h"

#include <cmath>
#include <cstdio>

namespace rtcegress {

HlsSink::HlsSink(SinkContext ctx, double segment_s) : MediaSink(std::move(ctx)), segment_s_(segment_s) {
  // Segments are cut at the first frame at or after segment_s, so they last at most that rounded up to a frame.
  double fps = av_q2d(av_inv_q(ctx_.video->time_base));
  double longest = std::ceil(segment_s * fps - 1e-9) / fps;
  target_duration_s_ = std::max(1, static_cast<int>(std::ceil(longest - 1e-6)));
  base_ = output_name(ctx_, ctx_.fields.index);
  playlist_name_ = base_ + ".m3u8";
}

bool HlsSink::wants_split(int64_t video_pts) const {
  if (pieces_.empty()) return false;
  return video_seconds(video_pts - pieces_.back()->start_pts) >= segment_s_ - 1e-9;
}

bool HlsSink::open_piece(Piece& p, std::string& error) {
  if (opened_ == 0) {  // the first segment
    emit_opened(playlist_name_, FileKind::playlist);
    // An empty playlist from the start, so a player can poll it right away.
    if (!write_playlist(false, error)) return false;
  }
  char seq[16];
  std::snprintf(seq, sizeof seq, "_%05d", static_cast<int>(opened_));  // segments count from 0
  p.name = base_ + seq + ".ts";
  Dict opts;
  if (!p.mux.open(join_path(ctx_.output_dir, p.name), "mpegts", {ctx_.video, ctx_.audio}, opts, error)) return false;
  emit_opened(p.name, FileKind::media);
  return true;
}

bool HlsSink::close_piece(Piece& p, double duration_s, std::string& error) {
  bool ok = p.mux.close(error);
  emit_closed(p.name, FileKind::media, duration_s);
  entries_.push_back(PlaylistEntry{p.name, duration_s});
  std::string e;
  if (!write_playlist(false, e) && ok) {
    error = e;
    ok = false;
  }
  return ok;
}

int64_t HlsSink::piece_offset(const Piece& /*p*/, int stream) const {
  // One timeline across all segments, shifted by a second so that no timestamp is negative (encoder delay).
  return -av_rescale_q(1, AVRational{1, 1}, encoder(stream)->time_base);
}

bool HlsSink::write_playlist(bool ended, std::string& error) const {
  return write_file_atomically(join_path(ctx_.output_dir, playlist_name_),
                               render_event_playlist(entries_, target_duration_s_, ended), error);
}

bool HlsSink::finish(std::string& error) {
  bool ok = MediaSink::finish(error);
  std::string e;
  if (!write_playlist(true, e)) {
    if (ok) error = e;
    ok = false;
  }
  double total = 0;
  for (const auto& en : entries_) total += en.duration_s;
  emit_closed(playlist_name_, FileKind::playlist, total);
  return ok;
}

}  // namespace rtcegress
