// MP4 output: written fragmented while recording (a killed process leaves a playable file, at most about a
// second short), rewritten fast-start when the file is finished; optional rotation into several files.
#pragma once

#include "sinks/media_sink.h"

namespace rtcegress {

class Mp4Sink final : public MediaSink {
 public:
  // max_file_s: start a new file after this many seconds (0 = one file).
  Mp4Sink(SinkContext ctx, double max_file_s) : MediaSink(std::move(ctx)), max_file_s_(max_file_s) {}
  bool wants_split(int64_t video_pts) const override;

 protected:
  bool open_piece(Piece& p, std::string& error) override;
  bool close_piece(Piece& p, double duration_s, std::string& error) override;
  int64_t piece_offset(const Piece& p, int stream) const override;

 private:
  double max_file_s_;
};

}  // namespace rtcegress
