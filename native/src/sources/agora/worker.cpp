#include "sources/agora/worker.h"

#include <utility>

namespace rtcegress::agora {

Worker::Worker() : thread_([this] { run(); }) {}

Worker::~Worker() {
  stop();
  if (thread_.joinable()) {
    if (on_worker_thread()) {
      thread_.detach();  // destroyed from its own task: the loop has been told to end and touches nothing after
    } else {
      thread_.join();
    }
  }
}

void Worker::post(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    tasks_.push_back(std::move(fn));
  }
  cv_.notify_one();
}

void Worker::set_timer(int id, Clock::duration after, std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    timers_[id] = Timer{Clock::now() + after, std::move(fn)};
  }
  cv_.notify_one();
}

void Worker::cancel_timer(int id) {
  std::lock_guard<std::mutex> lock(mu_);
  timers_.erase(id);
}

void Worker::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    tasks_.clear();
    timers_.clear();
  }
  cv_.notify_one();
  if (thread_.joinable() && !on_worker_thread()) thread_.join();
}

void Worker::run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    if (!tasks_.empty()) {
      auto fn = std::move(tasks_.front());
      tasks_.pop_front();
      lock.unlock();
      fn();
      lock.lock();
      continue;
    }
    auto next = timers_.end();
    for (auto it = timers_.begin(); it != timers_.end(); ++it) {
      if (next == timers_.end() || it->second.due < next->second.due) next = it;
    }
    if (next == timers_.end()) {
      cv_.wait(lock);
      continue;
    }
    const Clock::time_point due = next->second.due;  // a copy: the timer may be erased while we wait
    if (Clock::now() < due) {
      cv_.wait_until(lock, due);
      continue;  // re-evaluate: the timer may have been cancelled or replaced meanwhile
    }
    auto fn = std::move(next->second.fn);
    timers_.erase(next);
    lock.unlock();
    fn();
    lock.lock();
  }
}

}  // namespace rtcegress::agora
