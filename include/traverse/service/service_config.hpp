// traverse/service/service_config.hpp — the bounds and addresses of a Service.
//
// Every resource the service holds is bounded here: connections, request bodies and headers,
// queued executions, retained asynchronous executions, retained events. Defaults suit a
// production service on a small machine. Value type; thread-compatible.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <functional>
#include <string>
#include <string_view>

#include "traverse/service/service_error.hpp"

namespace traverse {

struct ServiceConfig {
  // Where to listen. Port 0: the system chooses (Service::port() tells which).
  std::string address = "127.0.0.1";
  std::uint16_t port = 8080;

  // TLS: both set, or neither. With both, the port speaks HTTPS and WSS only (a plain HTTP
  // request is answered 400 and closed); the files are PEM: the certificate chain (leaf first)
  // and its private key, read once at start (an unreadable or mismatched pair fails start()).
  std::string tls_cert_file;
  std::string tls_key_file;

  // I/O threads (each runs its own event loop; connections are spread over them): 1..=64.
  std::size_t io_threads = 2;
  // Executions run on the runtime's executors (TraverseRuntime::submit_document); at most this
  // many are in flight at once (beyond it: 503 with Retry-After).
  std::size_t max_executions = 1024;
  // Threads running the other blocking calls (registration, trace queries) off the I/O threads
  // (1..=1024), and how many calls may wait for one (beyond it: 503 with Retry-After).
  std::size_t workers = 4;
  std::size_t max_queued = 1024;

  std::size_t max_connections = 1024;        // beyond it new connections are closed at once
  std::size_t max_body_bytes = 1 << 20;      // larger bodies: 413, never buffered
  std::size_t max_header_bytes = 16 * 1024;  // larger headers: 431, never buffered
  // A request's header (and body) must arrive within this time: slow senders are cut off.
  std::chrono::milliseconds header_timeout{10'000};
  // A keep-alive connection with no request for this long is closed.
  std::chrono::milliseconds idle_timeout{60'000};
  // Bound (and default) of a request's X-Traverse-Timeout-Ms deadline.
  std::chrono::milliseconds max_request_timeout{60'000};
  // On shutdown, in-flight requests get this long to finish.
  std::chrono::milliseconds shutdown_grace{10'000};

  // Asynchronous executions (Prefer: respond-async) kept for polling; the oldest finished one
  // is forgotten first; when all are running, new ones get 503.
  std::size_t max_async_executions = 4096;
  // Events retained for /v1/events (a client further behind is told how many it missed).
  std::size_t event_buffer = 4096;
  // How often the event stream looks for newly published events.
  std::chrono::milliseconds event_poll_interval{20};

  // Install SIGINT/SIGTERM handlers that shut the service down gracefully.
  bool handle_signals = false;

  // One line per request (method, path, status, duration, trace id); empty: no log. Called from
  // I/O threads; must be thread-safe.
  std::function<void(std::string_view line)> access_log;
};

// Checks every bound, and that the TLS files come as a pair. Failure: InvalidConfig naming the
// field.
[[nodiscard]] std::expected<void, ServiceError> validate(const ServiceConfig& config);

// True for 127.0.0.0/8, ::1 and "localhost".
[[nodiscard]] bool is_loopback_address(std::string_view address);

}  // namespace traverse
