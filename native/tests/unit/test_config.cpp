#include <doctest/doctest.h>

#include "control/config.h"

using namespace rtcegress;
using nlohmann::json;

namespace {
std::vector<std::string> parse(json j, TaskConfig& cfg) {
  if (!j.contains("output_dir")) j["output_dir"] = "/tmp/x";
  return parse_task_config(j, cfg);
}
}  // namespace

TEST_CASE("defaults are what a service would choose") {
  TaskConfig cfg;
  CHECK(parse(json::object(), cfg).empty());
  CHECK(cfg.video.width == 1280);
  CHECK(cfg.video.height == 720);
  CHECK(cfg.video.fps == 30);
  CHECK(cfg.video.bitrate_kbps == 2000);
  CHECK(cfg.audio.sample_rate == 48000);
  CHECK(cfg.audio.channels == 2);
  CHECK(cfg.view.layout == Layout::flat);
  CHECK(cfg.mode == Mode::composite);
  CHECK(cfg.format == Format::mp4);
  CHECK(cfg.hls_segment_s == 4);
  CHECK(cfg.x264_preset == "veryfast");
  CHECK(cfg.part == 1);
}

TEST_CASE("upstream fields are read") {
  TaskConfig cfg;
  auto problems = parse(json::parse(R"({
    "task_id": "abc", "cmd": "snapshot", "channel": "c1", "users": ["1", 2, "1"], "layout": "customized",
    "regions": [{"uid": 2, "x": 0, "y": 0, "w": 0.5, "h": 1}], "mode": "individual", "format": "hls",
    "interval_in_ms": 2000, "video": {"width": 641, "height": 360, "frameRate": 15, "bitrate": 500},
    "audio": {"sampleRate": 44100, "channels": 1, "bitrate": 64}, "background": "#FF8000"})"), cfg);
  CHECK(problems.empty());
  CHECK(cfg.users == std::vector<std::string>{"1", "2"});
  CHECK(cfg.view.regions.at(0).uid == "2");
  CHECK(cfg.video.width == 640);  // rounded down to even
  CHECK(cfg.cmd == Command::snapshot);
  CHECK(cfg.interval_ms == 2000);
  CHECK(cfg.view.background == Rgb{255, 128, 0});
}

TEST_CASE("problems name the field and the rule") {
  TaskConfig cfg;
  auto p = parse(json::parse(R"({"video": {"width": -1}, "users": "all", "layout": "freestyle",
                                  "max_duration_s": -5, "regions": [{"uid": "", "x": 2}]})"),
                 cfg);
  std::string all = join_problems(p);
  CHECK(all.find("video.width: must be an integer from 16 to 4096 (got -1)") != std::string::npos);
  CHECK(all.find("users: must be a list") != std::string::npos);
  CHECK(all.find("layout: freestyle records web pages") != std::string::npos);
  CHECK(all.find("max_duration_s: must be a number from 0 to") != std::string::npos);
  CHECK(all.find("regions[0].uid: must be a non-empty string") != std::string::npos);
  CHECK(all.find("regions[0].x: must be a number from 0 to 1 (got 2)") != std::string::npos);
  CHECK(all.find("regions[0].w: is required") != std::string::npos);
}

TEST_CASE("layout updates are all-or-nothing") {
  LayoutSettings view;
  CHECK(parse_layout_update(json::parse(R"({"layout": "grid", "background": "#102030"})"), view).empty());
  CHECK(view.layout == Layout::grid);
  CHECK(view.background == Rgb{16, 32, 48});
  auto bad = parse_layout_update(json::parse(R"({"layout": "spotlight", "background": "blue"})"), view);
  CHECK(bad.size() == 1);
  CHECK(view.layout == Layout::grid);  // unchanged
  CHECK_FALSE(parse_layout_update(json::parse(R"({"layout": "customized"})"), view).empty());
}

TEST_CASE("colours") {
  CHECK(parse_color("#00ff7F") == Rgb{0, 255, 127});
  CHECK_FALSE(parse_color("00ff7f"));
  CHECK_FALSE(parse_color("#00ff7g"));
  CHECK_FALSE(parse_color("#fff"));
}
