#include "traverse/service/service_config.hpp"

#include <arpa/inet.h>

#include <string>

namespace traverse {
namespace {

std::expected<void, ServiceError> out_of_range(std::string field, std::string range) {
  return std::unexpected(
      ServiceError{ServiceErrorKind::InvalidConfig, field + " is out of range; expected " + range});
}

}  // namespace

std::expected<void, ServiceError> validate(const ServiceConfig& config) {
  if (config.address.empty()) {
    return std::unexpected(
        ServiceError{ServiceErrorKind::InvalidConfig, "address is empty; expected an IP address"});
  }
  if (config.tls_cert_file.empty() != config.tls_key_file.empty()) {
    return std::unexpected(ServiceError{
        ServiceErrorKind::InvalidConfig,
        config.tls_cert_file.empty()
            ? "tls_key_file is set without tls_cert_file; TLS needs both (--tls-cert, --tls-key)"
            : "tls_cert_file is set without tls_key_file; TLS needs both (--tls-cert, --tls-key)"});
  }
  if (config.io_threads < 1 || config.io_threads > 64) {
    return out_of_range("io_threads", "1..=64");
  }
  if (config.workers < 1 || config.workers > 1024) {
    return out_of_range("workers", "1..=1024");
  }
  if (config.max_executions < 1) {
    return out_of_range("max_executions", ">= 1");
  }
  if (config.max_queued < 1) {
    return out_of_range("max_queued", ">= 1");
  }
  if (config.max_connections < 1) {
    return out_of_range("max_connections", ">= 1");
  }
  if (config.max_body_bytes < 1 || config.max_body_bytes > (std::size_t{1} << 30)) {
    return out_of_range("max_body_bytes", "1..=1 GiB");
  }
  if (config.max_header_bytes < 1024 || config.max_header_bytes > (std::size_t{1} << 20)) {
    return out_of_range("max_header_bytes", "1 KiB..=1 MiB");
  }
  if (config.header_timeout.count() <= 0 || config.idle_timeout.count() <= 0 ||
      config.max_request_timeout.count() <= 0 || config.shutdown_grace.count() < 0 ||
      config.event_poll_interval.count() <= 0) {
    return out_of_range("timeouts", "positive durations");
  }
  if (config.max_async_executions < 1) {
    return out_of_range("max_async_executions", ">= 1");
  }
  if (config.event_buffer < 1) {
    return out_of_range("event_buffer", ">= 1");
  }
  return {};
}

bool is_loopback_address(std::string_view address) {
  if (address == "localhost") {
    return true;
  }
  const std::string text(address);
  in_addr v4{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    return IN6_IS_ADDR_LOOPBACK(&v6);
  }
  return false;
}

}  // namespace traverse
