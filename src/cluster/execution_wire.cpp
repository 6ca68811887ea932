#include "traverse/cluster/execution_wire.hpp"

#include <array>
#include <utility>

#include "traverse/json/parse.hpp"

namespace traverse {

namespace {

constexpr int kWireVersion = 1;

ClusterError malformed(std::string what) {
  return ClusterError(ClusterErrorKind::MalformedMessage, std::move(what));
}

std::expected<std::string, ClusterError> bounded(std::string text, const char* what) {
  if (text.size() > kMaxExecutionPayloadBytes) {
    return std::unexpected(ClusterError(ClusterErrorKind::PayloadTooLarge,
                                        std::string(what) + " of " + std::to_string(text.size()) +
                                            " bytes exceeds the bound of " +
                                            std::to_string(kMaxExecutionPayloadBytes) + " bytes"));
  }
  return text;
}

std::expected<Value, ClusterError> parse_document(std::string_view text, const char* what) {
  if (text.size() > kMaxExecutionPayloadBytes) {
    return std::unexpected(ClusterError(
        ClusterErrorKind::PayloadTooLarge,
        std::string(what) + " of " + std::to_string(text.size()) + " bytes exceeds the bound"));
  }
  auto parsed = parse_json(text);
  if (!parsed) {
    return std::unexpected(malformed(std::string(what) + ": " + parsed.error().message()));
  }
  if (!parsed->is_object()) {
    return std::unexpected(malformed(std::string(what) + ": $: expected an object"));
  }
  const auto version = parsed->find("v");
  if (version == parsed->end() || !version->is_number_integer() || *version != kWireVersion) {
    return std::unexpected(malformed(std::string(what) + ": $.v: expected 1"));
  }
  return std::move(*parsed);
}

std::expected<std::string, ClusterError> string_field(const Value& document, const char* key,
                                                      const char* what, bool required = true) {
  const auto it = document.find(key);
  if (it == document.end()) {
    if (!required) {
      return std::string();
    }
    return std::unexpected(malformed(std::string(what) + ": $." + key + ": missing"));
  }
  if (!it->is_string()) {
    return std::unexpected(malformed(std::string(what) + ": $." + key + ": expected a string"));
  }
  return it->get<std::string>();
}

std::expected<std::uint64_t, ClusterError> count_field(const Value& document, const char* key,
                                                       const char* what) {
  const auto it = document.find(key);
  if (it == document.end()) {
    return 0;
  }
  if (!it->is_number_unsigned() && !(it->is_number_integer() && it->get<std::int64_t>() >= 0)) {
    return std::unexpected(
        malformed(std::string(what) + ": $." + key + ": expected a non-negative integer"));
  }
  return it->get<std::uint64_t>();
}

bool valid_token_text(std::string_view text) {
  if (text.empty() || text.front() == '.' || text.back() == '.' ||
      text.find("..") != std::string_view::npos) {
    return false;
  }
  for (const char c : text) {
    if (c == '*' || c == '>' || static_cast<unsigned char>(c) <= ' ' || c == 0x7f) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::expected<std::string, ClusterError> execution_subject(std::string_view capability_id,
                                                           std::string_view capability_version) {
  if (!valid_token_text(capability_id) || !valid_token_text(capability_version)) {
    return std::unexpected(ClusterError(
        ClusterErrorKind::InvalidOptions,
        "capability " + std::string(capability_id) + "@" + std::string(capability_version) +
            " cannot be a NATS subject (whitespace, '*', '>' or an empty token)"));
  }
  std::string subject = "traverse.exec.";
  subject.append(capability_id).append(".").append(capability_version);
  return subject;
}

std::expected<std::string, ClusterError> encode(const RemoteExecutionRequest& request) {
  Value document{{"v", kWireVersion},
                 {"capability_id", request.capability_id},
                 {"capability_version", request.capability_version},
                 {"input", request.input},
                 {"timeout_ms", request.timeout_ms},
                 {"execution_id", request.execution_id},
                 {"trace_id", request.trace_id},
                 {"attempt", request.attempt}};
  if (request.workflow_run_id) {
    document["workflow_run_id"] = *request.workflow_run_id;
  }
  return bounded(canonical_dump(document), "execution request");
}

std::expected<std::string, ClusterError> encode(const RemoteExecutionResponse& response) {
  Value document{
      {"v", kWireVersion}, {"node", response.node}, {"duration_us", response.duration_us}};
  if (response.error) {
    document["status"] = "error";
    document["error"] = Value{{"class", to_string(response.error->kind())},
                              {"code", response.error->code()},
                              {"message", response.error->message()}};
  } else {
    document["status"] = "ok";
    document["output"] = response.output.value_or(Value());
  }
  return bounded(canonical_dump(document), "execution response");
}

std::expected<RemoteExecutionRequest, ClusterError> decode_execution_request(
    std::string_view text) {
  constexpr const char* what = "execution request";
  auto document = parse_document(text, what);
  if (!document) {
    return std::unexpected(std::move(document.error()));
  }
  RemoteExecutionRequest request;
  auto id = string_field(*document, "capability_id", what);
  auto version = string_field(*document, "capability_version", what);
  auto execution_id = string_field(*document, "execution_id", what, false);
  auto trace_id = string_field(*document, "trace_id", what);
  auto timeout = count_field(*document, "timeout_ms", what);
  for (const auto* failed : {&id, &version, &execution_id, &trace_id}) {
    if (!*failed) {
      return std::unexpected(failed->error());
    }
  }
  if (!timeout) {
    return std::unexpected(timeout.error());
  }
  const auto input = document->find("input");
  if (input == document->end()) {
    return std::unexpected(malformed(std::string(what) + ": $.input: missing"));
  }
  request.capability_id = std::move(*id);
  request.capability_version = std::move(*version);
  request.execution_id = std::move(*execution_id);
  request.trace_id = std::move(*trace_id);
  request.timeout_ms = *timeout;
  request.input = std::move(*input);
  auto attempt = count_field(*document, "attempt", what);
  if (!attempt) {
    return std::unexpected(attempt.error());
  }
  if (*attempt > 100) {
    return std::unexpected(malformed(std::string(what) + ": $.attempt: expected 1..100"));
  }
  request.attempt = *attempt == 0 ? 1 : static_cast<std::uint32_t>(*attempt);
  if (document->contains("workflow_run_id")) {
    auto run = string_field(*document, "workflow_run_id", what);
    if (!run) {
      return std::unexpected(run.error());
    }
    request.workflow_run_id = std::move(*run);
  }
  return request;
}

std::expected<RemoteExecutionResponse, ClusterError> decode_execution_response(
    std::string_view text) {
  constexpr const char* what = "execution response";
  auto document = parse_document(text, what);
  if (!document) {
    return std::unexpected(std::move(document.error()));
  }
  RemoteExecutionResponse response;
  auto node = string_field(*document, "node", what);
  auto status = string_field(*document, "status", what);
  auto duration = count_field(*document, "duration_us", what);
  if (!node) {
    return std::unexpected(node.error());
  }
  if (!status) {
    return std::unexpected(status.error());
  }
  if (!duration) {
    return std::unexpected(duration.error());
  }
  response.node = std::move(*node);
  response.duration_us = *duration;
  if (*status == "ok") {
    const auto output = document->find("output");
    if (output == document->end()) {
      return std::unexpected(malformed(std::string(what) + ": $.output: missing"));
    }
    response.output = std::move(*output);
    return response;
  }
  if (*status != "error") {
    return std::unexpected(
        malformed(std::string(what) + ": $.status: expected \"ok\" or \"error\""));
  }
  const auto error = document->find("error");
  if (error == document->end() || !error->is_object()) {
    return std::unexpected(malformed(std::string(what) + ": $.error: expected an object"));
  }
  auto error_class = string_field(*error, "class", "execution response error");
  auto code = string_field(*error, "code", "execution response error", false);
  auto message = string_field(*error, "message", "execution response error");
  for (const auto* failed : {&error_class, &code, &message}) {
    if (!*failed) {
      return std::unexpected(failed->error());
    }
  }
  response.error = RemoteExecutionError(executor_error_class(*error_class), std::move(*code),
                                        std::move(*message));
  return response;
}

ExecutorErrorClass executor_error_class(std::string_view name) {
  constexpr std::array kClasses = {
      ExecutorErrorClass::BinaryLoadFailed,        ExecutorErrorClass::ChecksumMismatch,
      ExecutorErrorClass::RuntimeSetupFailed,      ExecutorErrorClass::MalformedWasmArtifact,
      ExecutorErrorClass::UnsupportedAbiVersion,   ExecutorErrorClass::UnauthorizedHostImport,
      ExecutorErrorClass::ExecutionFailed,         ExecutorErrorClass::Timeout,
      ExecutorErrorClass::ResourceExhausted,       ExecutorErrorClass::OutputDeserializationFailed,
      ExecutorErrorClass::UnsupportedArtifactType, ExecutorErrorClass::Overloaded,
      ExecutorErrorClass::RemoteUnavailable,
  };
  for (const ExecutorErrorClass error_class : kClasses) {
    if (to_string(error_class) == name) {
      return error_class;
    }
  }
  return ExecutorErrorClass::ExecutionFailed;
}

std::string RemoteExecutionError::to_string() const {
  std::string text(traverse::to_string(kind_));
  text += ": ";
  if (!code_.empty()) {
    text += code_ + ": ";
  }
  return text + message_;
}

ExecutorError to_executor_error(const RemoteExecutionError& error, std::string_view node) {
  std::string detail = "node " + std::string(node) + ": ";
  if (!error.code().empty()) {
    detail += error.code() + ": ";
  }
  detail += error.message();
  switch (error.kind()) {
    case ExecutorErrorClass::RuntimeSetupFailed:
      return ExecutorError::runtime_setup_failed(std::move(detail));
    case ExecutorErrorClass::Timeout:
      return ExecutorError::timeout(std::move(detail));
    case ExecutorErrorClass::ResourceExhausted:
      return ExecutorError::resource_exhausted(std::move(detail));
    case ExecutorErrorClass::OutputDeserializationFailed:
      return ExecutorError::output_deserialization_failed(std::move(detail));
    case ExecutorErrorClass::Overloaded:
      return ExecutorError::overloaded(std::move(detail));
    case ExecutorErrorClass::RemoteUnavailable:
      return ExecutorError::remote_unavailable(std::move(detail));
    case ExecutorErrorClass::BinaryLoadFailed:
      return ExecutorError::binary_load_failed(std::move(detail));
    case ExecutorErrorClass::MalformedWasmArtifact:
      return ExecutorError::malformed_wasm_artifact(std::move(detail));
    default:
      return ExecutorError::execution_failed(std::move(detail));
  }
}

}  // namespace traverse
