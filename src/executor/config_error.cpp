#include "traverse/executor/config_error.hpp"

#include <utility>

namespace traverse {

std::string_view to_string(ConfigErrorClass error_class) {
  switch (error_class) {
    case ConfigErrorClass::InvalidCapacity:
      return "InvalidCapacity";
    case ConfigErrorClass::InvalidOption:
      return "InvalidOption";
    case ConfigErrorClass::PoolBuildFailed:
      return "PoolBuildFailed";
  }
  return "Unknown";
}

ConfigError::ConfigError(ConfigErrorClass error_class, std::string detail, std::size_t given,
                         std::size_t min, std::size_t max)
    : class_(error_class), detail_(std::move(detail)), given_(given), min_(min), max_(max) {}

ConfigError ConfigError::invalid_capacity(std::size_t given) {
  return {ConfigErrorClass::InvalidCapacity, std::string{}, given, kMinCapacity, kMaxCapacity};
}

ConfigError ConfigError::invalid_option(std::string detail) {
  return {ConfigErrorClass::InvalidOption, std::move(detail)};
}

ConfigError ConfigError::pool_build_failed(std::string detail) {
  return {ConfigErrorClass::PoolBuildFailed, std::move(detail)};
}

std::string ConfigError::message() const {
  switch (class_) {
    case ConfigErrorClass::InvalidCapacity:
      return "invalid thread pool capacity " + std::to_string(given_) + "; expected " +
             std::to_string(min_) + "..=" + std::to_string(max_);
    case ConfigErrorClass::InvalidOption:
      return "invalid thread pool option: " + detail_;
    case ConfigErrorClass::PoolBuildFailed:
      return "thread pool build failed: " + detail_;
  }
  return detail_;
}

std::string ConfigError::to_string() const {
  return std::string(traverse::to_string(class_)) + ": " + message();
}

}  // namespace traverse
