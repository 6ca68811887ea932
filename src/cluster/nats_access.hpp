// src/cluster/nats_access.hpp — the libnats handle behind a NatsConnection, for the module's
// JetStream code (never exported: libnats is a private dependency of the cluster module).
#pragma once

#include <nats/nats.h>

#include <expected>
#include <memory>
#include <string>

#include "traverse/cluster/cluster_error.hpp"
#include "traverse/cluster/nats_connection.hpp"

namespace traverse {

struct NatsConnectionAccess {
  // The connection's natsConnection (valid while `connection` lives).
  static natsConnection* native(const NatsConnection& connection);
};

// "<status text> (<last error detail>)" for a libnats status.
std::string nats_status_text(natsStatus status);

struct JsContextDeleter {
  void operator()(jsCtx* js) const { jsCtx_Destroy(js); }
};
using JsContextPtr = std::unique_ptr<jsCtx, JsContextDeleter>;

// A JetStream context on `connection` (options may be null). Failure: StreamUnavailable.
std::expected<JsContextPtr, ClusterError> jetstream_context(const NatsConnection& connection,
                                                            jsOptions* options);

}  // namespace traverse
