// traverse/cluster/execution_wire.hpp — the JSON documents of one remote execution: the request
// a caller sends on `traverse.exec.<capability_id>.<version>` and the response a node replies
// with (docs/cluster.md, "Wire format").
//
// Request:  {"v":1, "capability_id", "capability_version", "input", "timeout_ms",
//            "execution_id", "trace_id", "attempt", "workflow_run_id"?}
// Response: {"v":1, "node", "status":"ok", "output", "duration_us"}
//        or {"v":1, "node", "status":"error", "error":{"class", "code", "message"},
//            "duration_us"}
// where error.class is an ExecutorErrorClass name (executor_error.hpp) and code the node's
// runtime error code (runtime_result.hpp) when the node's pipeline refused or failed the call.
//
// Every encoded document is at most kMaxExecutionPayloadBytes (PayloadTooLarge otherwise), and
// decoding refuses larger text before parsing it. Decoding never throws: a malformed document is
// MalformedMessage naming the JSON path. Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "traverse/cluster/cluster_error.hpp"
#include "traverse/executor/executor_error.hpp"
#include "traverse/json/value.hpp"

namespace traverse {

// The largest request or response document (1 MiB, the NATS server's default max_payload).
inline constexpr std::size_t kMaxExecutionPayloadBytes = std::size_t{1} << 20;

// `traverse.exec.<capability_id>.<version>`, or InvalidOptions when the id or version holds a
// character a NATS subject cannot (whitespace, '*', '>', or an empty token).
[[nodiscard]] std::expected<std::string, ClusterError> execution_subject(
    std::string_view capability_id, std::string_view capability_version);

struct RemoteExecutionRequest {
  std::string capability_id;
  std::string capability_version;
  Value input;
  std::uint64_t timeout_ms = 0;  // how long the caller waits, from sending
  std::string execution_id;
  std::string trace_id;       // the caller's trace entry (also the node-side call id)
  std::uint32_t attempt = 1;  // which try this is (retries resend with the same trace_id)
  std::optional<std::string> workflow_run_id;
};

// A node's error reply. kind() is the ExecutorErrorClass the node named (a name this build does
// not know decodes as ExecutionFailed); code() the node's runtime error code, empty when the node's
// pipeline did not produce one.
class RemoteExecutionError {
 public:
  RemoteExecutionError() = default;
  RemoteExecutionError(ExecutorErrorClass kind, std::string code, std::string message)
      : kind_(kind), code_(std::move(code)), message_(std::move(message)) {}

  [[nodiscard]] ExecutorErrorClass kind() const { return kind_; }
  // The node's runtime error code, e.g. "request_invalid"; may be empty.
  [[nodiscard]] const std::string& code() const { return code_; }
  // The node's text, e.g. "execution failed: boom".
  [[nodiscard]] const std::string& message() const { return message_; }
  // "<Class>: <code>: <message>" (the code part only when set), e.g.
  // "Timeout: execution_failed: too slow".
  [[nodiscard]] std::string to_string() const;

  friend bool operator==(const RemoteExecutionError&, const RemoteExecutionError&) = default;

 private:
  ExecutorErrorClass kind_ = ExecutorErrorClass::ExecutionFailed;
  std::string code_;
  std::string message_;
};

struct RemoteExecutionResponse {
  std::string node;
  std::optional<Value> output;                // status ok
  std::optional<RemoteExecutionError> error;  // status error
  std::uint64_t duration_us = 0;              // time the node spent on the call
};

[[nodiscard]] std::expected<std::string, ClusterError> encode(
    const RemoteExecutionRequest& request);
[[nodiscard]] std::expected<std::string, ClusterError> encode(
    const RemoteExecutionResponse& response);
[[nodiscard]] std::expected<RemoteExecutionRequest, ClusterError> decode_execution_request(
    std::string_view text);
[[nodiscard]] std::expected<RemoteExecutionResponse, ClusterError> decode_execution_response(
    std::string_view text);

// The ExecutorErrorClass named `name` (e.g. "Timeout"); a name this build does not know is
// ExecutionFailed.
[[nodiscard]] ExecutorErrorClass executor_error_class(std::string_view name);

// The ExecutorError a caller reports for a node's error: the same class (classes only a local
// executor reports, e.g. ChecksumMismatch, become ExecutionFailed) with a detail naming the node,
// e.g. "node n1: execution failed: boom".
[[nodiscard]] ExecutorError to_executor_error(const RemoteExecutionError& error,
                                              std::string_view node);

}  // namespace traverse
