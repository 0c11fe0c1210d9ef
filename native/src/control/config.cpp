#include "control/config.h"

#include <cmath>
#include <initializer_list>
#include <set>
#include <sstream>
#include <utility>

#include "sinks/naming.h"

namespace rtcegress {

using nlohmann::json;

const char* to_string(Layout l) {
  switch (l) {
    case Layout::flat: return "flat";
    case Layout::grid: return "grid";
    case Layout::spotlight: return "spotlight";
    case Layout::customized: return "customized";
  }
  return "?";
}
const char* to_string(Mode m) { return m == Mode::composite ? "composite" : "individual"; }
const char* to_string(Format f) { return f == Format::mp4 ? "mp4" : "hls"; }
const char* to_string(Command c) { return c == Command::record ? "record" : "snapshot"; }

namespace {

std::string show(const json& v) {
  std::string s = v.dump();
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

// Reads typed fields from a JSON object and collects "<path>: <rule> (got <value>)" problems.
class Reader {
 public:
  explicit Reader(std::vector<std::string>& problems) : problems_(problems) {}

  void fail(const std::string& path, const std::string& rule, const json* got = nullptr) {
    problems_.push_back(path + ": " + rule + (got ? " (got " + show(*got) + ")" : ""));
  }

  // Returns the member or nullptr when absent or null.
  static const json* member(const json& obj, const char* key) {
    if (!obj.is_object()) return nullptr;
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return nullptr;
    return &*it;
  }

  void integer(const json& obj, const char* key, const std::string& path, int lo, int hi, int& out) {
    const json* v = member(obj, key);
    if (!v) return;
    if (v->is_number() && std::isfinite(v->get<double>())) {
      double d = v->get<double>();
      if (d == std::floor(d) && d >= lo && d <= hi) {
        out = static_cast<int>(d);
        return;
      }
    }
    fail(path, "must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi), v);
  }

  void number(const json& obj, const char* key, const std::string& path, double lo, double hi, double& out) {
    const json* v = member(obj, key);
    if (!v) return;
    if (v->is_number() && std::isfinite(v->get<double>())) {
      double d = v->get<double>();
      if (d >= lo && d <= hi) {
        out = d;
        return;
      }
    }
    std::ostringstream rule;
    rule << "must be a number from " << lo << " to " << hi;
    fail(path, rule.str(), v);
  }

  void string(const json& obj, const char* key, const std::string& path, std::string& out,
              std::size_t max_len = 1024) {
    const json* v = member(obj, key);
    if (!v) return;
    if (v->is_string() && v->get<std::string>().size() <= max_len) {
      out = v->get<std::string>();
      return;
    }
    fail(path, "must be a string of at most " + std::to_string(max_len) + " characters", v);
  }

  // One of the names, as its value; rule is the problem when it is something else.
  template <typename E>
  void choice(const json& obj, const char* key, std::initializer_list<std::pair<const char*, E>> names,
              const std::string& rule, E& out) {
    const json* v = member(obj, key);
    if (!v) return;
    for (const auto& [name, value] : names) {
      if (v->is_string() && v->get<std::string>() == name) {
        out = value;
        return;
      }
    }
    fail(key, rule, v);
  }

  // A uid given as a string or a JSON integer (Agora uids are numbers).
  bool uid(const json& v, const std::string& path, std::string& out) {
    if (v.is_string() && !v.get<std::string>().empty() && v.get<std::string>().size() <= 64) {
      out = v.get<std::string>();
      return true;
    }
    if (v.is_number_integer() || v.is_number_unsigned()) {
      out = v.dump();
      return true;
    }
    fail(path, "must be a non-empty string (or integer) uid of at most 64 characters", &v);
    return false;
  }

 private:
  std::vector<std::string>& problems_;
};

const char* kLayouts = "flat, grid, spotlight, customized";

bool parse_layout_name(const std::string& s, Layout& out) {
  if (s == "flat") out = Layout::flat;
  else if (s == "grid") out = Layout::grid;
  else if (s == "spotlight") out = Layout::spotlight;
  else if (s == "customized") out = Layout::customized;
  else return false;
  return true;
}

void read_view(Reader& r, const json& obj, LayoutSettings& view, bool require_regions_for_custom) {
  if (const json* v = Reader::member(obj, "layout")) {
    if (!v->is_string()) {
      r.fail("layout", std::string("must be one of ") + kLayouts, v);
    } else if (v->get<std::string>() == "freestyle") {
      r.fail("layout", "freestyle records web pages and is not available to the native recorder", v);
    } else if (!v->get<std::string>().empty() && !parse_layout_name(v->get<std::string>(), view.layout)) {
      r.fail("layout", std::string("must be one of ") + kLayouts, v);
    }
  }
  if (const json* v = Reader::member(obj, "background")) {
    std::optional<Rgb> c = v->is_string() ? parse_color(v->get<std::string>()) : std::nullopt;
    if (c) view.background = *c;
    else r.fail("background", "must be a colour written #rrggbb", v);
  }
  if (const json* v = Reader::member(obj, "spotlight_uid")) {
    std::string uid;
    if (r.uid(*v, "spotlight_uid", uid)) view.spotlight_uid = uid;
  }
  if (const json* v = Reader::member(obj, "regions")) {
    if (!v->is_array() || v->size() > 64) {
      r.fail("regions", "must be a list of at most 64 regions", v);
    } else {
      std::vector<Region> regions;
      for (std::size_t i = 0; i < v->size(); ++i) {
        const json& item = (*v)[i];
        std::string path = "regions[" + std::to_string(i) + "]";
        if (!item.is_object()) {
          r.fail(path, "must be an object {uid, x, y, w, h, z}", &item);
          continue;
        }
        Region reg;
        const json* uid = Reader::member(item, "uid");
        if (!uid) r.fail(path + ".uid", "is required");
        else r.uid(*uid, path + ".uid", reg.uid);
        for (const char* k : {"x", "y", "w", "h"}) {
          if (!Reader::member(item, k)) r.fail(path + "." + k, "is required (a number from 0 to 1)");
        }
        r.number(item, "x", path + ".x", 0, 1, reg.x);
        r.number(item, "y", path + ".y", 0, 1, reg.y);
        r.number(item, "w", path + ".w", 0, 1, reg.w);
        r.number(item, "h", path + ".h", 0, 1, reg.h);
        r.integer(item, "z", path + ".z", -1000, 1000, reg.z);
        if (Reader::member(item, "w") && reg.w <= 0) r.fail(path + ".w", "must be greater than 0");
        if (Reader::member(item, "h") && reg.h <= 0) r.fail(path + ".h", "must be greater than 0");
        if (reg.x + reg.w > 1.0 + 1e-6) r.fail(path, "x + w must not exceed 1");
        if (reg.y + reg.h > 1.0 + 1e-6) r.fail(path, "y + h must not exceed 1");
        regions.push_back(reg);
      }
      view.regions = regions;
    }
  }
  if (require_regions_for_custom && view.layout == Layout::customized && view.regions.empty()) {
    r.fail("regions", "is required with layout customized (a list of {uid, x, y, w, h, z})");
  }
}

}  // namespace

std::optional<Rgb> parse_color(const std::string& s) {
  if (s.size() != 7 || s[0] != '#') return std::nullopt;
  unsigned v[3];
  for (int i = 0; i < 3; ++i) {
    v[i] = 0;
    for (int j = 0; j < 2; ++j) {
      char c = s[static_cast<std::size_t>(1 + i * 2 + j)];
      unsigned d;
      if (c >= '0' && c <= '9') d = static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'f') d = static_cast<unsigned>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') d = static_cast<unsigned>(c - 'A' + 10);
      else return std::nullopt;
      v[i] = v[i] * 16 + d;
    }
  }
  return Rgb{static_cast<std::uint8_t>(v[0]), static_cast<std::uint8_t>(v[1]), static_cast<std::uint8_t>(v[2])};
}

std::string join_problems(const std::vector<std::string>& problems) {
  std::string out;
  for (const auto& p : problems) {
    if (!out.empty()) out += "; ";
    out += p;
  }
  return out;
}

std::vector<std::string> parse_task_config(const json& task, TaskConfig& cfg) {
  std::vector<std::string> problems;
  Reader r(problems);
  if (!task.is_object()) {
    problems.emplace_back("task: must be a JSON object");
    return problems;
  }
  cfg.raw = task;
  r.string(task, "task_id", "task_id", cfg.task_id, 128);
  r.string(task, "app_id", "app_id", cfg.app_id, 128);
  r.string(task, "channel", "channel", cfg.channel, 128);

  r.choice(task, "cmd", {{"record", Command::record}, {"snapshot", Command::snapshot}}, "must be record or snapshot",
           cfg.cmd);
  if (const json* v = Reader::member(task, "users")) {
    if (!v->is_array() || v->size() > 128) {
      r.fail("users", "must be a list of at most 128 uids", v);
    } else {
      std::set<std::string> seen;
      for (std::size_t i = 0; i < v->size(); ++i) {
        std::string uid;
        if (r.uid((*v)[i], "users[" + std::to_string(i) + "]", uid) && seen.insert(uid).second) {
          cfg.users.push_back(uid);
        }
      }
    }
  }
  read_view(r, task, cfg.view, true);

  r.choice(task, "mode", {{"composite", Mode::composite}, {"individual", Mode::individual}},
           "must be composite or individual", cfg.mode);
  r.choice(task, "format", {{"mp4", Format::mp4}, {"hls", Format::hls}}, "must be mp4 or hls", cfg.format);
  if (const json* v = Reader::member(task, "filename_pattern")) {
    if (!v->is_string()) {
      r.fail("filename_pattern", "must be a string", v);
    } else if (!v->get<std::string>().empty()) {
      std::string why;
      if (validate_filename_pattern(v->get<std::string>(), why)) cfg.filename_pattern = v->get<std::string>();
      else r.fail("filename_pattern", why, v);
    }
  }
  r.integer(task, "interval_in_ms", "interval_in_ms", 100, 3600000, cfg.interval_ms);

  if (const json* v = Reader::member(task, "video")) {
    if (!v->is_object()) {
      r.fail("video", "must be an object {width, height, frameRate, bitrate}", v);
    } else {
      r.integer(*v, "width", "video.width", 16, 4096, cfg.video.width);
      r.integer(*v, "height", "video.height", 16, 4096, cfg.video.height);
      r.integer(*v, "frameRate", "video.frameRate", 1, 60, cfg.video.fps);
      r.integer(*v, "bitrate", "video.bitrate", 50, 50000, cfg.video.bitrate_kbps);
    }
  }
  // H.264 4:2:0 needs even sizes; round down rather than refuse a size upstream clients may send.
  cfg.video.width &= ~1;
  cfg.video.height &= ~1;
  if (const json* v = Reader::member(task, "audio")) {
    if (!v->is_object()) {
      r.fail("audio", "must be an object {sampleRate, channels, bitrate}", v);
    } else {
      r.integer(*v, "sampleRate", "audio.sampleRate", 8000, 96000, cfg.audio.sample_rate);
      static const std::set<int> kRates = {8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 64000,
                                           88200, 96000};
      if (!kRates.count(cfg.audio.sample_rate)) {
        r.fail("audio.sampleRate", "must be one of 8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, "
                                   "48000, 64000, 88200, 96000", Reader::member(*v, "sampleRate"));
      }
      r.integer(*v, "channels", "audio.channels", 1, 2, cfg.audio.channels);
      r.integer(*v, "bitrate", "audio.bitrate", 8, 512, cfg.audio.bitrate_kbps);
    }
  }
  r.number(task, "max_duration_s", "max_duration_s", 0, 7 * 24 * 3600, cfg.max_duration_s);
  r.number(task, "idle_timeout_s", "idle_timeout_s", 0, 7 * 24 * 3600, cfg.idle_timeout_s);
  if (const json* v = Reader::member(task, "output_dir")) {
    if (v->is_string() && !v->get<std::string>().empty()) cfg.output_dir = v->get<std::string>();
    else r.fail("output_dir", "must be a non-empty path", v);
  } else {
    r.fail("output_dir", "is required (the directory the recording is written to)");
  }
  r.integer(task, "part", "part", 1, 100000, cfg.part);
  r.number(task, "hls_segment_s", "hls_segment_s", 1, 60, cfg.hls_segment_s);
  r.number(task, "mp4_max_file_s", "mp4_max_file_s", 0, 7 * 24 * 3600, cfg.mp4_max_file_s);
  if (Reader::member(task, "mp4_max_file_s") && cfg.mp4_max_file_s > 0 && cfg.mp4_max_file_s < 2) {
    r.fail("mp4_max_file_s", "must be 0 (no rotation) or at least 2 seconds");
  }
  if (const json* v = Reader::member(task, "x264_preset")) {
    static const std::set<std::string> kPresets = {"ultrafast", "superfast", "veryfast", "faster", "fast",
                                                   "medium", "slow", "slower", "veryslow"};
    if (v->is_string() && kPresets.count(v->get<std::string>())) cfg.x264_preset = v->get<std::string>();
    else r.fail("x264_preset", "must be one of ultrafast, superfast, veryfast, faster, fast, medium, slow, "
                               "slower, veryslow", v);
  }
  r.number(task, "stats_interval_s", "stats_interval_s", 0.2, 3600, cfg.stats_interval_s);
  r.number(task, "placeholder_after_s", "placeholder_after_s", 0, 3600, cfg.placeholder_after_s);
  if (const json* v = Reader::member(task, "source")) {
    if (!v->is_object()) r.fail("source", "must be an object with a type (agora, synthetic, url)", v);
  }
  return problems;
}

std::vector<std::string> parse_layout_update(const json& cmd, LayoutSettings& view) {
  std::vector<std::string> problems;
  Reader r(problems);
  LayoutSettings next = view;
  read_view(r, cmd, next, true);
  if (problems.empty()) view = next;
  return problems;
}

}  // namespace rtcegress
