// Where one encoder chain's packets go. A sink writes a sequence of pieces (MP4 files when rotating, HLS
// segments); a new piece starts at a video keyframe that the chain forces where the sink asks for it.
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "control/events.h"
#include "encode/ffmpeg_util.h"
#include "sinks/file_info.h"
#include "sinks/muxer.h"
#include "sinks/naming.h"

namespace rtcegress {

// What every sink of a chain needs to know.
struct SinkContext {
  std::string output_dir;
  std::string pattern;
  NameFields fields;  // uid set for per-user outputs; index is the first index to use
  NameNeeds needs;
  EventWriter* events = nullptr;
  const AVCodecContext* video = nullptr;  // encoder contexts, for stream parameters and time bases
  const AVCodecContext* audio = nullptr;
};

// The base name (no extension) of ctx's output with this index, dated now.
std::string output_name(const SinkContext& ctx, int index);
// A ClosedFile for the file name in ctx's output directory, with what ctx knows of it (path, uid, part).
ClosedFile closed_file(const SinkContext& ctx, const std::string& name, FileKind kind);

class MediaSink {
 public:
  explicit MediaSink(SinkContext ctx) : ctx_(std::move(ctx)) {}
  virtual ~MediaSink() = default;
  MediaSink(const MediaSink&) = delete;
  MediaSink& operator=(const MediaSink&) = delete;

  bool start(std::string& error);
  // Asked before each video frame is encoded: should the frame with this pts start a new piece?
  virtual bool wants_split(int64_t video_pts) const = 0;
  // The chain forces a keyframe at video_pts; packets from there on go to a new piece.
  bool split_at(int64_t video_pts, std::string& error);
  bool write_video(PacketPtr pkt, std::string& error) { return write(0, std::move(pkt), error); }
  bool write_audio(PacketPtr pkt, std::string& error) { return write(1, std::move(pkt), error); }
  // Closes every piece (encoders already flushed) and finalizes the output.
  virtual bool finish(std::string& error);
  // Names of files currently being written.
  std::vector<std::string> open_files() const;
  // The next index a following chain for the same user should use.
  int next_index() const { return ctx_.fields.index + static_cast<int>(opened_); }

 protected:
  struct Piece {
    FileMuxer mux;
    std::string name;
    int index = 1;
    int64_t start_pts = 0;  // video pts where the piece starts
    bool done[2] = {false, false};
  };
  virtual bool open_piece(Piece& p, std::string& error) = 0;
  virtual bool close_piece(Piece& p, double duration_s, std::string& error) = 0;
  // Offset subtracted from the piece's timestamps, in the given stream's encoder time base.
  virtual int64_t piece_offset(const Piece& p, int stream) const = 0;

  // The encoder of stream 0 (video) or 1 (audio).
  const AVCodecContext* encoder(int stream) const { return stream == 0 ? ctx_.video : ctx_.audio; }
  void emit_opened(const std::string& name, FileKind kind) const;
  void emit_closed(const std::string& name, FileKind kind, double duration_s) const;
  double video_seconds(int64_t pts) const;

  SinkContext ctx_;
  std::deque<std::unique_ptr<Piece>> pieces_;
  std::vector<int64_t> boundaries_;  // video pts where pieces after the first start
  std::size_t opened_ = 0;
  std::size_t first_open_ = 0;  // index (in opening order) of pieces_.front()

 private:
  bool write(int stream, PacketPtr pkt, std::string& error);
  bool close_front(std::string& error);
};

}  // namespace rtcegress
