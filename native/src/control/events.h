// The recorder's two output channels: events (stdout, one JSON object per line, for the supervisor) and logs
// (stderr, JSON lines, for humans and log collectors). Both are safe to use from any thread.
#pragma once

#include <functional>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

namespace rtcegress {

double unix_time_now();

class EventWriter {
 public:
  using Output = std::function<bool(const std::string& line)>;  // returns false when the line could not be written

  explicit EventWriter(Output out) : out_(std::move(out)) {}
  // Writes to stdout, flushing each line.
  static EventWriter to_stdout();

  void set_task_id(const std::string& id);
  // Emits {"event": name, "ts": ..., "task_id": ..., ...fields}.
  void emit(const std::string& name, nlohmann::json fields = nlohmann::json::object());

 private:
  std::mutex mu_;
  Output out_;
  std::string task_id_;
};

enum class LogLevel { info, warning, error };

void log(LogLevel level, const std::string& msg, const nlohmann::json& fields = nlohmann::json::object());
inline void log_info(const std::string& msg, const nlohmann::json& f = nlohmann::json::object()) {
  log(LogLevel::info, msg, f);
}
inline void log_warning(const std::string& msg, const nlohmann::json& f = nlohmann::json::object()) {
  log(LogLevel::warning, msg, f);
}
inline void log_error(const std::string& msg, const nlohmann::json& f = nlohmann::json::object()) {
  log(LogLevel::error, msg, f);
}

// Sends FFmpeg's own log lines (warnings and worse) through log() so stderr stays JSON.
void route_ffmpeg_logs();

}  // namespace rtcegress
