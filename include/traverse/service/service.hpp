// traverse/service/service.hpp — the runtime as a network service: HTTP/1.1 (keep-alive) and
// WebSocket on one port, JSON routes of ServiceApi, the event stream, Prometheus metrics.
//
// start() validates the configuration (a non-loopback address needs tokens; TLS files are read
// and checked here), binds, and runs `io_threads` event loops plus a WorkerPool of `workers`
// threads for blocking calls other than executions (which run on the runtime's executors). The
// service is bounded everywhere (ServiceConfig): connections beyond the cap are closed, bodies
// and headers beyond their caps are refused (413/431) without being buffered, slow senders are
// cut off after header_timeout, idle keep-alive connections after idle_timeout. With TLS
// (tls_cert_file/tls_key_file) HTTP and WebSocket are served over TLS 1.2+ on the same port.
// shutdown(): stop accepting, close idle connections and event streams, let in-flight requests
// finish (bounded by shutdown_grace), then stop the threads. wait() blocks until that is done.
//
// Ownership: the service refers to the dependencies' runtime (it must outlive the service).
// Thread safety: port/url/shutdown/wait may be called from any thread.
#pragma once

#include <cstdint>
#include <expected>
#include <memory>
#include <string>

#include "traverse/service/service_api.hpp"
#include "traverse/service/service_config.hpp"
#include "traverse/service/service_error.hpp"

namespace traverse {

class Service {
 public:
  // Failure: InvalidConfig, Insecure (a non-loopback address without tokens), Tls (certificate
  // or key unreadable, malformed or not matching), Bind.
  [[nodiscard]] static std::expected<std::unique_ptr<Service>, ServiceError> start(
      ServiceDependencies dependencies, ServiceConfig config);

  ~Service();  // shutdown() and wait()
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // The port listened on (the chosen one when configured with port 0).
  [[nodiscard]] std::uint16_t port() const;
  // "http://<address>:<port>" ("https://" with TLS).
  [[nodiscard]] std::string url() const;

  // Begins a graceful shutdown (see the file comment). Idempotent; returns at once.
  void shutdown();
  // Blocks until the service has stopped (after shutdown(), or a signal with handle_signals).
  void wait();

  struct Impl;

 private:
  explicit Service(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace traverse
