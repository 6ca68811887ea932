// traverse/wasm/wasm_worker_error.hpp — why the sandbox worker executable could not be used.
//
// Returned by find_wasm_worker; carried by the runtime into the error of every Wasm call when
// no worker is available, so users learn which path was tried and why it failed (e.g.
// "sandbox worker /opt/w ($TRAVERSE_WASM_WORKER) cannot be used: No such file or directory").
//
// Value type; thread-compatible.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace traverse {

enum class WasmWorkerErrorKind {
  ConfiguredPathUnusable,   // WasmExecutorConfig::worker_path is not an executable file
  EnvironmentPathUnusable,  // $TRAVERSE_WASM_WORKER is not an executable file
  NotFound,                 // none of the default places holds the worker
};

[[nodiscard]] std::string_view to_string(WasmWorkerErrorKind kind);

class WasmWorkerError {
 public:
  // One path tried and why it could not be used ("No such file or directory", "not
  // executable", "is a directory", ...).
  struct Attempt {
    std::string path;
    std::string reason;
  };

  WasmWorkerError(WasmWorkerErrorKind kind, std::vector<Attempt> attempts)
      : kind_(kind), attempts_(std::move(attempts)) {}

  [[nodiscard]] WasmWorkerErrorKind kind() const { return kind_; }
  // Every path tried, in search order.
  [[nodiscard]] const std::vector<Attempt>& attempts() const { return attempts_; }
  // Human text naming each path tried, why it failed, and how to configure the worker.
  [[nodiscard]] std::string message() const;
  // "<kind>: <message>".
  [[nodiscard]] std::string to_string() const;

 private:
  WasmWorkerErrorKind kind_;
  std::vector<Attempt> attempts_;
};

}  // namespace traverse
