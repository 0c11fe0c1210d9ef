// Control input: newline-delimited JSON on stdin. The first line may be the task config (--task -); every
// later line is a command. EOF means the supervisor is gone.
#pragma once

#include <atomic>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace rtcegress {

class LineReader {
 public:
  enum class Status { line, eof, timeout, error };
  explicit LineReader(int fd) : fd_(fd) {}
  // Waits up to timeout_ms for a complete line (without its newline).
  Status read_line(std::string& line, int timeout_ms);

 private:
  int fd_;
  std::string buf_;
  bool eof_ = false;
};

// Reads command lines on its own thread; the output clock polls them.
class CommandReader {
 public:
  explicit CommandReader(LineReader& reader) : reader_(reader) {}
  ~CommandReader() { stop(); }
  CommandReader(const CommandReader&) = delete;
  CommandReader& operator=(const CommandReader&) = delete;

  void start();
  void stop();
  std::optional<std::string> pop();
  bool eof() const { return eof_.load(); }

 private:
  LineReader& reader_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> eof_{false};
  std::mutex mu_;
  std::deque<std::string> lines_;
};

}  // namespace rtcegress
