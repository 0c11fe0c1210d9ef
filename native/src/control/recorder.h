// The recorder's life cycle, from reading the task to the final `finished` event and exit status.
#pragma once

#include <atomic>
#include <string>

namespace rtcegress {

struct RecorderArgs {
  std::string task_path;  // "-" = the first line of stdin
};

// Runs one task; returns the process exit status (0 = finished ok).
int run_recorder(const RecorderArgs& args, const std::atomic<int>& signal_flag);

}  // namespace rtcegress
