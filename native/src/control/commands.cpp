#include "control/commands.h"

#include <cerrno>

#include <poll.h>
#include <unistd.h>

namespace rtcegress {

namespace {
constexpr std::size_t kMaxLine = 4 << 20;  // a task config is small; anything larger is an error
}

LineReader::Status LineReader::read_line(std::string& line, int timeout_ms) {
  for (;;) {
    auto nl = buf_.find('\n');
    if (nl != std::string::npos) {
      line = buf_.substr(0, nl);
      buf_.erase(0, nl + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      return Status::line;
    }
    if (eof_) {
      if (!buf_.empty()) {  // a last line without newline
        line.swap(buf_);
        buf_.clear();
        return Status::line;
      }
      return Status::eof;
    }
    if (buf_.size() > kMaxLine) {
      buf_.clear();
      return Status::error;
    }
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, timeout_ms);
    if (r < 0) {
      if (errno == EINTR) continue;
      return Status::error;
    }
    if (r == 0) return Status::timeout;
    char chunk[4096];
    ssize_t n = ::read(fd_, chunk, sizeof chunk);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      eof_ = true;  // an unreadable stdin is as good as a closed one
      continue;
    }
    if (n == 0) {
      eof_ = true;
      continue;
    }
    buf_.append(chunk, static_cast<std::size_t>(n));
  }
}

void CommandReader::start() {
  thread_ = std::thread([this] {
    std::string line;
    while (!stop_) {
      LineReader::Status s = reader_.read_line(line, 100);
      if (s == LineReader::Status::line) {
        if (line.find_first_not_of(" \t") == std::string::npos) continue;
        std::lock_guard<std::mutex> lock(mu_);
        lines_.push_back(line);
      } else if (s == LineReader::Status::eof) {
        eof_ = true;
        return;
      } else if (s == LineReader::Status::error) {
        std::lock_guard<std::mutex> lock(mu_);
        lines_.emplace_back("\x01too long");
      }
    }
  });
}

void CommandReader::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

std::optional<std::string> CommandReader::pop() {
  std::lock_guard<std::mutex> lock(mu_);
  if (lines_.empty()) return std::nullopt;
  std::string s = std::move(lines_.front());
  lines_.pop_front();
  return s;
}

}  // namespace rtcegress
