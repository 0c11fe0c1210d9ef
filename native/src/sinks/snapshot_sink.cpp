#include "sinks/snapshot_sink.h"

#include <vector>

namespace rtcegress {

bool SnapshotSink::write(const AVFrame* frame, double ts_s, std::string& error) {
  std::vector<std::uint8_t> jpeg;
  if (!jpeg_.encode(frame, jpeg, error)) return false;
  ClosedFile cf = closed_file(ctx_, output_name(ctx_, ctx_.fields.index) + ".jpg", FileKind::snapshot);
  cf.bytes = jpeg.size();
  cf.sha256 = sha256_bytes(jpeg.data(), jpeg.size());
  if (!write_file_atomically(cf.path, std::string(jpeg.begin(), jpeg.end()), error)) return false;
  ++ctx_.fields.index;
  nlohmann::json snap = {{"path", cf.path}, {"name", cf.name}, {"ts", ts_s}, {"width", frame->width},
                         {"height", frame->height}};
  if (!cf.uid.empty()) snap["uid"] = cf.uid;
  if (ctx_.events) {
    ctx_.events->emit("file_closed", to_json(cf));
    ctx_.events->emit("snapshot", snap);
  }
  return true;
}

}  // namespace rtcegress
