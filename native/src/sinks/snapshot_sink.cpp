#include "sinks/snapshot_sink.h"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <vector>

#include "sinks/playlist.h"

namespace rtcegress {

bool SnapshotSink::write(const AVFrame* frame, double ts_s, std::string& error) {
  std::vector<std::uint8_t> jpeg;
  if (!jpeg_.encode(frame, jpeg, error)) return false;
  NameFields f = ctx_.fields;
  f.when = std::time(nullptr);
  std::string name = expand_filename(ctx_.pattern, f, ctx_.needs) + ".jpg";
  ClosedFile cf;
  cf.name = name;
  cf.path = join_path(ctx_.output_dir, name);
  cf.kind = FileKind::snapshot;
  cf.uid = ctx_.fields.uid;
  cf.part = ctx_.fields.part;
  cf.bytes = jpeg.size();
  cf.sha256 = sha256_bytes(jpeg.data(), jpeg.size());
  if (!write_file_atomically(cf.path, std::string(jpeg.begin(), jpeg.end()), error)) return false;
  ++ctx_.fields.index;
  ++written_;
  nlohmann::json snap = {{"path", cf.path}, {"name", name}, {"ts", ts_s}, {"width", frame->width},
                         {"height", frame->height}};
  if (!cf.uid.empty()) snap["uid"] = cf.uid;
  if (ctx_.events) {
    ctx_.events->emit("file_closed", to_json(cf));
    ctx_.events->emit("snapshot", snap);
  }
  return true;
}

}  // namespace rtcegress
