#include "control/recorder.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include "control/commands.h"
#include "control/config.h"
#include "control/events.h"
#include "pipeline/pipeline.h"
#include "sources/source.h"

namespace rtcegress {
namespace {

int fail(EventWriter& events, const std::string& reason) {
  log_error("recording failed", {{"reason", reason}});
  events.emit("finished", {{"status", "failed"}, {"reason", reason}});
  return 1;
}

bool read_task_text(const RecorderArgs& args, LineReader& stdin_lines, const std::atomic<int>& signal_flag,
                    std::string& text, std::string& error) {
  if (args.task_path == "-") {
    for (;;) {
      if (signal_flag.load()) {
        error = "task: stopped before the task config arrived on stdin";
        return false;
      }
      LineReader::Status s = stdin_lines.read_line(text, 200);
      if (s == LineReader::Status::line) return true;
      if (s == LineReader::Status::eof) {
        error = "task: stdin closed before the task config line";
        return false;
      }
      if (s == LineReader::Status::error) {
        error = "task: the config line on stdin is too long";
        return false;
      }
    }
  }
  std::ifstream in(args.task_path);
  if (!in) {
    error = "task: cannot read " + args.task_path + ": " + std::strerror(errno);
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  text = ss.str();
  return true;
}

bool prepare_output_dir(const std::string& dir, std::string& error) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    error = "output_dir: cannot create " + dir + ": " + ec.message();
    return false;
  }
  if (!std::filesystem::is_directory(dir, ec)) {
    error = "output_dir: " + dir + " is not a directory";
    return false;
  }
  std::string probe = dir + "/.rtc-egress-write-test-" + std::to_string(::getpid());
  std::FILE* f = std::fopen(probe.c_str(), "wb");
  if (!f) {
    error = "output_dir: cannot write to " + dir + ": " + std::strerror(errno);
    return false;
  }
  std::fclose(f);
  std::remove(probe.c_str());
  return true;
}

}  // namespace

int run_recorder(const RecorderArgs& args, const std::atomic<int>& signal_flag) {
  EventWriter events = EventWriter::to_stdout();
  LineReader stdin_lines(STDIN_FILENO);

  std::string text, error;
  if (!read_task_text(args, stdin_lines, signal_flag, text, error)) return fail(events, error);
  nlohmann::json task = nlohmann::json::parse(text, nullptr, false);
  if (task.is_discarded()) return fail(events, "task: not valid JSON");
  if (task.is_object()) {
    if (auto id = task.find("task_id"); id != task.end() && id->is_string()) events.set_task_id(id->get<std::string>());
  }
  TaskConfig cfg;
  std::vector<std::string> problems = parse_task_config(task, cfg);
  if (!problems.empty()) return fail(events, join_problems(problems));
  if (!prepare_output_dir(cfg.output_dir, error)) return fail(events, error);

  std::unique_ptr<Source> source = make_source(cfg.raw, error);
  if (!source) return fail(events, error);

  Pipeline pipeline(cfg, events);
  CommandReader commands(stdin_lines);
  commands.start();
  if (!source->start(pipeline.users(), error)) {
    source->stop();
    return fail(events, error.empty() ? "the media source did not start" : error);
  }
  if (!pipeline.open(error)) {
    source->stop();
    std::string ignored;
    pipeline.finish(ignored);
    return fail(events, error);
  }
  log_info("recording", {{"output_dir", cfg.output_dir}, {"mode", to_string(cfg.mode)},
                         {"format", to_string(cfg.format)}});

  // With --task FILE the recorder may run from a shell or with stdin closed: only signals and limits end it.
  FinishReason end = pipeline.run(StopInputs{&signal_flag, &commands, args.task_path == "-"});
  source->stop();
  commands.stop();
  std::string finish_error;
  bool finished_ok = pipeline.finish(finish_error);
  if (end.ok && !finished_ok) end = FinishReason{false, finish_error};
  if (!end.ok) return fail(events, end.reason);
  log_info("recording finished", {{"reason", end.reason}});
  events.emit("finished", {{"status", "ok"}, {"reason", end.reason}});
  return 0;
}

}  // namespace rtcegress
