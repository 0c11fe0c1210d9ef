// The recorder's task configuration: parsed from the task JSON and validated, with every problem reported as
// "<field>: <rule>" so that the supervisor can hand the caller a precise reason.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace rtcegress {

enum class Command { record, snapshot };
enum class Layout { flat, grid, spotlight, customized };
enum class Mode { composite, individual };
enum class Format { mp4, hls };

const char* to_string(Layout l);
const char* to_string(Mode m);
const char* to_string(Format f);
const char* to_string(Command c);

struct Rgb {
  std::uint8_t r = 0, g = 0, b = 0;
  bool operator==(const Rgb& o) const { return r == o.r && g == o.g && b == o.b; }
};

// A rectangle of the canvas in relative units (0..1) for the customized layout.
struct Region {
  std::string uid;
  double x = 0, y = 0, w = 0, h = 0;
  int z = 0;
};

struct VideoSettings {
  int width = 1280;
  int height = 720;
  int fps = 30;
  int bitrate_kbps = 2000;
};

struct AudioSettings {
  int sample_rate = 48000;
  int channels = 2;
  int bitrate_kbps = 128;
};

// What the compositor shows; the only part of the config that can change while recording (set_layout).
struct LayoutSettings {
  Layout layout = Layout::flat;
  std::vector<Region> regions;
  Rgb background;
  std::string spotlight_uid;  // pins the spotlight on one user; empty = the loudest user
};

struct TaskConfig {
  std::string task_id = "recording";
  std::string app_id;
  std::string channel;
  Command cmd = Command::record;
  std::vector<std::string> users;  // empty = everyone in the channel
  LayoutSettings view;
  Mode mode = Mode::composite;
  Format format = Format::mp4;
  std::string filename_pattern = "{task_id}";
  int interval_ms = 5000;
  VideoSettings video;
  AudioSettings audio;
  double max_duration_s = 0;  // 0 = unlimited
  double idle_timeout_s = 0;  // 0 = never
  std::string output_dir;
  int part = 1;
  double hls_segment_s = 4;
  double mp4_max_file_s = 0;  // 0 = no rotation
  std::string x264_preset = "veryfast";
  double stats_interval_s = 5;
  double placeholder_after_s = 2;  // a user's tile shows its last frame this long, then a placeholder
  nlohmann::json raw;              // the whole task, for the sources
};

// Fills cfg from task; returns the list of problems (empty = valid).
std::vector<std::string> parse_task_config(const nlohmann::json& task, TaskConfig& cfg);

// Validates the layout part of a set_layout command against the current settings; returns problems.
std::vector<std::string> parse_layout_update(const nlohmann::json& cmd, LayoutSettings& view);

std::optional<Rgb> parse_color(const std::string& s);

// Joins problems into one line for a finished/error reason.
std::string join_problems(const std::vector<std::string>& problems);

}  // namespace rtcegress
