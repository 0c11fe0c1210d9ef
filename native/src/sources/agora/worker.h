// One thread of the Agora source's own: timeouts (join, reconnect) and SDK calls that must not run inside an SDK
// callback (subscriptions on user join).
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

namespace rtcegress::agora {

class Worker {
 public:
  using Clock = std::chrono::steady_clock;

  Worker();
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Runs fn on the worker thread, in posting order. Ignored after stop().
  void post(std::function<void()> fn);
  // Runs fn once after `after` unless cancelled or replaced (same id) first.
  void set_timer(int id, Clock::duration after, std::function<void()> fn);
  void cancel_timer(int id);
  // Drops pending work and joins the thread. Idempotent. Called on the worker thread itself it only asks the
  // loop to end; the destructor joins.
  void stop();
  bool on_worker_thread() const { return std::this_thread::get_id() == thread_.get_id(); }

 private:
  struct Timer {
    Clock::time_point due;
    std::function<void()> fn;
  };
  void run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  std::map<int, Timer> timers_;
  bool stopping_ = false;
  std::thread thread_;  // last: started once the members above exist
};

}  // namespace rtcegress::agora
