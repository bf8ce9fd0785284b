// A second thread for a job that splits each round of work in two: the job hands it a task,
// does its own share, then waits. Rounds are megabytes long, so one handoff per round is cheap.
#pragma once
#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>

namespace deltanode {

class HelperThread {
 public:
  HelperThread() : thread_([this] { loop(); }) {}
  ~HelperThread() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }
  HelperThread(const HelperThread&) = delete;
  HelperThread& operator=(const HelperThread&) = delete;

  void start(std::function<void()> task) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      task_ = std::move(task);
      busy_ = true;
    }
    wake_.notify_one();
  }

  // Waits for the task started last; rethrows what it threw.
  void wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [this] { return !busy_; });
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
  }

  // One round: `task` on the helper while `own` runs on the calling thread, then waits for
  // the helper. An error of `own` is the one reported (once the helper has stopped: it may be
  // using what `own`'s caller holds); otherwise the helper's, if it had one.
  template <class Own>
  void share(std::function<void()> task, Own&& own) {
    start(std::move(task));
    try {
      own();
    } catch (...) {
      try {
        wait();
      } catch (...) {  // the calling thread's error is the one reported
      }
      throw;
    }
    wait();
  }

 private:
  void loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      wake_.wait(lock, [this] { return stopping_ || busy_; });
      if (!busy_) return;
      std::function<void()> task = std::move(task_);
      lock.unlock();
      try {
        task();
      } catch (...) {
        lock.lock();
        error_ = std::current_exception();
        lock.unlock();
      }
      lock.lock();
      busy_ = false;
      done_.notify_one();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  std::function<void()> task_;
  std::exception_ptr error_;
  bool busy_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace deltanode
