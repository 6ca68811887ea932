// Helpers shared by the trace unit tests.
#pragma once

#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>

#include "traverse/support/ids.hpp"
#include "traverse/trace/trace_entry.hpp"

namespace traverse::trace_test {

// A directory under the system temp dir, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() : path_(std::filesystem::temp_directory_path() / ("traverse-trace-" + new_uuid_v4())) {
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// 2026-11-26T12:00:00.000Z + `seconds`.
inline std::chrono::system_clock::time_point base_time(int seconds = 0) {
  using namespace std::chrono;
  return sys_days{year{2026} / November / 26} + hours{12} + std::chrono::seconds{seconds};
}

inline PublicTraceEntry entry(std::string id, std::string capability_id = "demo.echo",
                              TraceOutcome outcome = TraceOutcome::Success, int seconds = 0) {
  PublicTraceEntry e;
  e.id = std::move(id);
  e.execution_id = "exec-" + e.id;
  e.capability_id = std::move(capability_id);
  e.source = "traverse-runtime/" + e.capability_id;
  e.capability_version = "1.0.0";
  e.placement_target = "Local";
  e.outcome = outcome;
  if (outcome == TraceOutcome::Failure) {
    e.error_class = "ExecutionFailed";
    e.error_message = "execution failed: boom";
  }
  e.duration_ms = 3;
  e.time = rfc3339(base_time(seconds));
  return e;
}

// Runs `body` on a new thread whose file permission checks are those of an ordinary user: when
// the tests run as root, the thread drops CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH and CAP_FOWNER
// (capabilities are per thread on Linux), so a file or folder without write permission really
// cannot be written. Returns false if the capabilities could not be dropped.
inline bool run_without_file_privileges(const std::function<void()>& body) {
  bool dropped = true;
  std::thread thread([&] {
    if (geteuid() == 0) {
      __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
      __user_cap_data_struct data[2]{};
      if (syscall(SYS_capget, &header, data) != 0) {
        dropped = false;
        return;
      }
      for (const unsigned cap : {CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER}) {
        data[cap / 32U].effective &= ~(1U << (cap % 32U));
      }
      if (syscall(SYS_capset, &header, data) != 0) {
        dropped = false;
        return;
      }
    }
    body();
  });
  thread.join();
  return dropped;
}

}  // namespace traverse::trace_test
