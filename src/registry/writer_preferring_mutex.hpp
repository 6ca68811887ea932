// writer_preferring_mutex.hpp (private to the registry module) — the registries' reader/writer
// lock.
//
// Meets the SharedMutex requirements (std::unique_lock / std::shared_lock work with it). Unlike
// glibc's std::shared_mutex, which prefers readers so that a steady stream of lookups can starve a
// registration indefinitely, a waiting writer here blocks new readers: it gets the lock as soon as
// the readers already inside leave. Not recursive: a thread holding it must not lock it again.
// Thread safety: safe for concurrent access from many threads (that is its purpose).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <mutex>

namespace traverse {

class WriterPreferringMutex {
 public:
  WriterPreferringMutex() = default;
  WriterPreferringMutex(const WriterPreferringMutex&) = delete;
  WriterPreferringMutex& operator=(const WriterPreferringMutex&) = delete;

  void lock() {
    std::unique_lock guard(state_mutex_);
    ++waiting_writers_;
    writer_turn_.wait(guard, [this] { return !writer_active_ && active_readers_ == 0; });
    --waiting_writers_;
    writer_active_ = true;
  }

  [[nodiscard]] bool try_lock() {
    std::unique_lock guard(state_mutex_);
    if (writer_active_ || active_readers_ > 0) {
      return false;
    }
    writer_active_ = true;
    return true;
  }

  void unlock() {
    std::unique_lock guard(state_mutex_);
    writer_active_ = false;
    if (waiting_writers_ > 0) {
      writer_turn_.notify_one();
    } else {
      readers_turn_.notify_all();
    }
  }

  void lock_shared() {
    std::unique_lock guard(state_mutex_);
    readers_turn_.wait(guard, [this] { return !writer_active_ && waiting_writers_ == 0; });
    ++active_readers_;
  }

  // Fails while a writer holds the lock or waits for it.
  [[nodiscard]] bool try_lock_shared() {
    std::unique_lock guard(state_mutex_);
    if (writer_active_ || waiting_writers_ > 0) {
      return false;
    }
    ++active_readers_;
    return true;
  }

  void unlock_shared() {
    std::unique_lock guard(state_mutex_);
    if (--active_readers_ == 0 && waiting_writers_ > 0) {
      writer_turn_.notify_one();
    }
  }

  // Writers blocked in lock() right now (diagnostics and tests).
  [[nodiscard]] std::size_t waiting_writers() const {
    std::unique_lock guard(state_mutex_);
    return waiting_writers_;
  }

 private:
  mutable std::mutex state_mutex_;
  // State below is protected by state_mutex_.
  std::condition_variable writer_turn_;
  std::condition_variable readers_turn_;
  std::size_t active_readers_ = 0;
  std::size_t waiting_writers_ = 0;
  bool writer_active_ = false;
};

}  // namespace traverse
