#include "control/events.h"

#include <chrono>
#include <cstdio>

extern "C" {
#include <libavutil/log.h>
}

namespace rtcegress {

double unix_time_now() {
  using namespace std::chrono;
  return static_cast<double>(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count()) / 1000.0;
}

EventWriter EventWriter::to_stdout() {
  return EventWriter([](const std::string& line) {
    bool ok = std::fwrite(line.data(), 1, line.size(), stdout) == line.size() && std::fputc('\n', stdout) != EOF;
    return std::fflush(stdout) == 0 && ok;
  });
}

void EventWriter::set_task_id(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  task_id_ = id;
}

void EventWriter::emit(const std::string& name, nlohmann::json fields) {
  nlohmann::json line = {{"event", name}, {"ts", unix_time_now()}};
  std::lock_guard<std::mutex> lock(mu_);
  if (!task_id_.empty()) line["task_id"] = task_id_;
  for (auto& [k, v] : fields.items()) line[k] = std::move(v);
  // A supervisor that went away is noticed through stdin EOF; a failed write only gets logged once.
  static bool warned = false;
  if (!out_(line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)) && !warned) {
    warned = true;
    std::fprintf(stderr, "{\"level\":\"warning\",\"msg\":\"cannot write events to stdout\"}\n");
  }
}

namespace {

const char* level_name(LogLevel l) {
  switch (l) {
    case LogLevel::info: return "info";
    case LogLevel::warning: return "warning";
    case LogLevel::error: return "error";
  }
  return "info";
}

void ffmpeg_log_callback(void* avcl, int level, const char* fmt, va_list vl) {
  if (level > av_log_get_level()) return;
  char line[1024];
  int print_prefix = 1;
  av_log_format_line2(avcl, level, fmt, vl, line, sizeof line, &print_prefix);
  std::string msg(line);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == '\r')) msg.pop_back();
  if (msg.empty()) return;
  log(level <= AV_LOG_ERROR ? LogLevel::error : LogLevel::warning, msg, {{"component", "ffmpeg"}});
}

}  // namespace

void log(LogLevel level, const std::string& msg, const nlohmann::json& fields) {
  nlohmann::json line = {{"ts", unix_time_now()}, {"level", level_name(level)}, {"msg", msg}};
  for (auto& [k, v] : fields.items()) line[k] = v;
  std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::fprintf(stderr, "%s\n", text.c_str());  // one call: lines from several threads never interleave
}

void route_ffmpeg_logs() {
  av_log_set_level(AV_LOG_WARNING);
  av_log_set_callback(ffmpeg_log_callback);
}

}  // namespace rtcegress
