// rtc-egress-recorder: records one task (see docs/recorder.md for the control protocol).
#include <atomic>
#include <csignal>
#include <cstdio>
#include <string>

#include <sys/prctl.h>

#include "control/events.h"
#include "control/recorder.h"

namespace {

std::atomic<int> g_signal{0};

void on_signal(int sig) { g_signal.store(sig); }

void usage(std::FILE* out) {
  std::fprintf(out,
               "usage: rtc-egress-recorder --task FILE|-\n"
               "  --task FILE   read the task config (JSON) from FILE\n"
               "  --task -      read it from the first line of stdin\n"
               "Commands on stdin (one JSON object per line): {\"cmd\":\"stop\"}, {\"cmd\":\"status\"},\n"
               "{\"cmd\":\"set_layout\",...}. Events on stdout, logs on stderr, both JSON lines.\n");
}

}  // namespace

int main(int argc, char** argv) {
  rtcegress::RecorderArgs args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if ((a == "--task" || a == "-t") && i + 1 < argc) {
      args.task_path = argv[++i];
    } else if (a.rfind("--task=", 0) == 0) {
      args.task_path = a.substr(7);
    } else if (a == "--help" || a == "-h") {
      usage(stdout);
      return 0;
    } else {
      std::fprintf(stderr, "unknown argument: %s\n", a.c_str());
      usage(stderr);
      return 2;
    }
  }
  if (args.task_path.empty()) {
    usage(stderr);
    return 2;
  }
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  // The supervisor's death is a stop (as is EOF on stdin): no recorder outlives the process that started it.
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  rtcegress::route_ffmpeg_logs();
  return rtcegress::run_recorder(args, g_signal);
}
