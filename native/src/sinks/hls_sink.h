// HLS output: MPEG-TS segments of a fixed duration and an EVENT playlist rewritten after every segment,
// ended with ENDLIST when the recording finishes.
#pragma once

#include "sinks/media_sink.h"
#include "sinks/playlist.h"

namespace rtcegress {

class HlsSink final : public MediaSink {
 public:
  HlsSink(SinkContext ctx, double segment_s);
  bool wants_split(int64_t video_pts) const override;
  bool finish(std::string& error) override;

 protected:
  bool open_piece(Piece& p, std::string& error) override;
  bool close_piece(Piece& p, double duration_s, std::string& error) override;
  int64_t piece_offset(const Piece& p, int stream) const override;

 private:
  bool write_playlist(bool ended, std::string& error) const;

  double segment_s_;
  int target_duration_s_;
  std::string base_;
  std::string playlist_name_;
  std::vector<PlaylistEntry> entries_;
};

}  // namespace rtcegress
