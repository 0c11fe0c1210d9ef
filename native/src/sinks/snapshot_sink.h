// Snapshot output: one JPEG file per interval, announced with file_closed and snapshot events.
#pragma once

#include <string>

#include "encode/jpeg_encoder.h"
#include "sinks/media_sink.h"

namespace rtcegress {

class SnapshotSink {
 public:
  explicit SnapshotSink(SinkContext ctx) : ctx_(std::move(ctx)) { ctx_.needs.index = true; }
  // Writes frame as the next snapshot; ts_s is the output clock time it shows.
  bool write(const AVFrame* frame, double ts_s, std::string& error);

 private:
  SinkContext ctx_;  // fields.index: the next snapshot's
  JpegEncoder jpeg_;
};

}  // namespace rtcegress
