// One output file written by a libavformat muxer, fed with encoded packets from the pipeline's encoders.
#pragma once

#include <string>
#include <vector>

#include "encode/ffmpeg_util.h"

namespace rtcegress {

class FileMuxer {
 public:
  FileMuxer() = default;
  FileMuxer(const FileMuxer&) = delete;
  FileMuxer& operator=(const FileMuxer&) = delete;
  ~FileMuxer();

  // One output stream per codec context, in order.
  bool open(const std::string& path, const char* format, const std::vector<const AVCodecContext*>& codecs,
            Dict& options, std::string& error);
  // Writes pkt (timestamps in enc_tb, minus offset, also in enc_tb) to stream; takes the packet's data.
  bool write(int stream, AVPacket* pkt, AVRational enc_tb, int64_t offset, std::string& error);
  // Writes the trailer and closes the file.
  bool close(std::string& error);

  const std::string& path() const { return path_; }
  // Span of the written media in seconds (the video stream's, when there is one).
  double duration_s() const;

 private:
  struct Span {
    double start = 0, end = 0;
    bool any = false;
  };
  OutputFormatPtr fmt_;
  std::string path_;
  std::vector<Span> spans_;
};

}  // namespace rtcegress
