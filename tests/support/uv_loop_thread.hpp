// A libuv loop on a background thread for integration tests that drive gateway objects directly:
// the test thread blocks in socket calls (playing remote clients) while the loop runs.
#pragma once

#include <gtest/gtest.h>
#include <uv.h>

#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

namespace testsupport {

// A libuv loop on its own thread; run() executes a function there and returns its result.
class LoopThread {
 public:
  LoopThread() {
    uv_loop_init(&loop_);
    uv_async_init(&loop_, &async_, [](uv_async_t* a) { static_cast<LoopThread*>(a->data)->drain(); });
    async_.data = this;
    thread_ = std::thread([this] { uv_run(&loop_, UV_RUN_DEFAULT); });
  }
  ~LoopThread() {
    run([this] {
      uv_close(reinterpret_cast<uv_handle_t*>(&async_), nullptr);
      // Safety net: a handle someone forgot would keep the loop (and this join) alive forever.
      auto* guard = new uv_timer_t;
      uv_timer_init(&loop_, guard);
      uv_timer_start(guard, [](uv_timer_t* t) {
        ADD_FAILURE() << "libuv handles left open after teardown";
        uv_walk(t->loop, [](uv_handle_t* h, void*) { if (!uv_is_closing(h)) uv_close(h, nullptr); }, nullptr);
      }, 10000, 0);
      uv_unref(reinterpret_cast<uv_handle_t*>(guard));
      guard_ = guard;
    });
    thread_.join();
    // The guard is unreferenced, so it did not keep the loop running, but it is still open.
    uv_close(reinterpret_cast<uv_handle_t*>(guard_), [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop_), 0) << "libuv handles left open";
  }
  LoopThread(const LoopThread&) = delete;
  LoopThread& operator=(const LoopThread&) = delete;

  uv_loop_t* loop() { return &loop_; }

  template <class F>
  auto run(F f) -> decltype(f()) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto result = task.get_future();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      jobs_.emplace_back([&task] { task(); });
    }
    uv_async_send(&async_);
    return result.get();
  }

 private:
  void drain() {
    std::deque<std::function<void()>> jobs;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      jobs.swap(jobs_);
    }
    for (auto& job : jobs) job();
  }

  uv_loop_t loop_{};
  uv_async_t async_{};
  uv_timer_t* guard_ = nullptr;
  std::thread thread_;
  std::mutex mutex_;
  std::deque<std::function<void()>> jobs_;
};

}  // namespace testsupport
