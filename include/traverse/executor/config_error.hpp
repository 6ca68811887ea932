// traverse/executor/config_error.hpp — why a ThreadPoolExecutor could not be built.
//
// Classes (docs/native-capabilities.md, plus one for the options Traverse C++ adds):
//   InvalidCapacity — capacity outside 1..=256; `given()`, `min()` = 1, `max()` = 256.
//     Message: "invalid thread pool capacity N; expected 1..=256". Fix the configuration.
//   InvalidOption — another option is out of range; `detail()` names the option, the value given
//     and what was expected. Fix the configuration.
//   PoolBuildFailed — the worker threads could not be started (the OS refused a thread, or the
//     configured worker-start hook failed). Message: "thread pool build failed: <detail>". Retry
//     may help once the host has resources again.
//
// Value type; thread-compatible.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace traverse {

enum class ConfigErrorClass { InvalidCapacity, InvalidOption, PoolBuildFailed };

[[nodiscard]] std::string_view to_string(ConfigErrorClass error_class);

class ConfigError {
 public:
  static constexpr std::size_t kMinCapacity = 1;
  static constexpr std::size_t kMaxCapacity = 256;

  [[nodiscard]] static ConfigError invalid_capacity(std::size_t given);
  [[nodiscard]] static ConfigError invalid_option(std::string detail);
  [[nodiscard]] static ConfigError pool_build_failed(std::string detail);

  [[nodiscard]] ConfigErrorClass kind() const { return class_; }
  // Stable class name, e.g. "InvalidCapacity".
  [[nodiscard]] std::string_view class_name() const { return traverse::to_string(class_); }
  // InvalidCapacity only (0 otherwise): the capacity given and the accepted range.
  [[nodiscard]] std::size_t given() const { return given_; }
  [[nodiscard]] std::size_t min() const { return min_; }
  [[nodiscard]] std::size_t max() const { return max_; }
  // InvalidOption / PoolBuildFailed: the payload text; InvalidCapacity: empty.
  [[nodiscard]] const std::string& detail() const { return detail_; }
  // Display text, e.g. "invalid thread pool capacity 0; expected 1..=256".
  [[nodiscard]] std::string message() const;
  // "<Class>: <message>", e.g. "InvalidCapacity: invalid thread pool capacity 0; expected 1..=256".
  [[nodiscard]] std::string to_string() const;

  friend bool operator==(const ConfigError&, const ConfigError&) = default;

 private:
  ConfigError(ConfigErrorClass error_class, std::string detail, std::size_t given = 0,
              std::size_t min = 0, std::size_t max = 0);
  ConfigErrorClass class_;
  std::string detail_;
  std::size_t given_;
  std::size_t min_;
  std::size_t max_;
};

}  // namespace traverse
