// Governing spec: 060-cluster
#include "traverse/cluster/execution_wire.hpp"

#include <gtest/gtest.h>

namespace traverse {
namespace {

TEST(ExecutionWire, RequestRoundTripsEveryField) {
  RemoteExecutionRequest request;
  request.capability_id = "demo.echo";
  request.capability_version = "1.2.3";
  request.input = Value{{"text", "héllo"}, {"n", 3}};
  request.timeout_ms = 1500;
  request.execution_id = "exec_r1";
  request.trace_id = "t-1";
  request.workflow_run_id = "run-9";
  request.attempt = 2;
  auto text = encode(request);
  ASSERT_TRUE(text.has_value());
  auto decoded = decode_execution_request(*text);
  ASSERT_TRUE(decoded.has_value()) << decoded.error().to_string();
  EXPECT_EQ(decoded->capability_id, "demo.echo");
  EXPECT_EQ(decoded->capability_version, "1.2.3");
  EXPECT_EQ(decoded->input, request.input);
  EXPECT_EQ(decoded->timeout_ms, 1500u);
  EXPECT_EQ(decoded->execution_id, "exec_r1");
  EXPECT_EQ(decoded->trace_id, "t-1");
  EXPECT_EQ(decoded->workflow_run_id, "run-9");
  EXPECT_EQ(decoded->attempt, 2u);
}

TEST(ExecutionWire, RequestWithoutAnAttemptIsTheFirstTry) {
  auto decoded = decode_execution_request(
      R"({"v":1,"capability_id":"a","capability_version":"1","input":{},"trace_id":"t"})");
  ASSERT_TRUE(decoded.has_value()) << decoded.error().to_string();
  EXPECT_EQ(decoded->attempt, 1u);
  auto bad = decode_execution_request(
      R"({"v":1,"capability_id":"a","capability_version":"1","input":{},"trace_id":"t",)"
      R"("attempt":1000})");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message().find("$.attempt"), std::string::npos);
}

TEST(ExecutionWire, ResponsesRoundTripOutputAndTypedError) {
  RemoteExecutionResponse ok;
  ok.node = "n1";
  ok.output = Value{{"sum", 3}};
  ok.duration_us = 42;
  auto decoded = decode_execution_response(*encode(ok));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->node, "n1");
  EXPECT_EQ(decoded->output, ok.output);
  EXPECT_EQ(decoded->duration_us, 42u);
  EXPECT_FALSE(decoded->error.has_value());

  RemoteExecutionResponse failed;
  failed.node = "n2";
  failed.error = RemoteExecutionError(ExecutorErrorClass::Timeout, "execution_failed", "too slow");
  decoded = decode_execution_response(*encode(failed));
  ASSERT_TRUE(decoded.has_value());
  ASSERT_TRUE(decoded->error.has_value());
  EXPECT_EQ(decoded->error->kind(), ExecutorErrorClass::Timeout);
  EXPECT_EQ(decoded->error->code(), "execution_failed");
  EXPECT_EQ(decoded->error->message(), "too slow");
}

TEST(ExecutionWire, OversizedRequestIsPayloadTooLarge) {
  RemoteExecutionRequest request;
  request.capability_id = "demo.echo";
  request.capability_version = "1.0.0";
  request.input = Value{{"blob", std::string(kMaxExecutionPayloadBytes, 'x')}};
  auto text = encode(request);
  ASSERT_FALSE(text.has_value());
  EXPECT_EQ(text.error().kind(), ClusterErrorKind::PayloadTooLarge);
  auto decoded = decode_execution_request(std::string(kMaxExecutionPayloadBytes + 1, ' '));
  ASSERT_FALSE(decoded.has_value());
  EXPECT_EQ(decoded.error().kind(), ClusterErrorKind::PayloadTooLarge);
}

TEST(ExecutionWire, MalformedDocumentsNameTheJsonPath) {
  for (const auto& [text, path] : std::vector<std::pair<std::string, std::string>>{
           {R"({"v":1,"capability_version":"1","input":{},"trace_id":"t"})", "$.capability_id"},
           {R"({"v":1,"capability_id":"a","capability_version":"1","trace_id":"t"})", "$.input"},
           {R"({"v":2,"capability_id":"a"})", "$.v"},
           {R"({"v":1,"capability_id":"a","capability_version":"1","input":{},"trace_id":"t",)"
            R"("timeout_ms":-1})",
            "$.timeout_ms"},
       }) {
    auto decoded = decode_execution_request(text);
    ASSERT_FALSE(decoded.has_value()) << text;
    EXPECT_EQ(decoded.error().kind(), ClusterErrorKind::MalformedMessage);
    EXPECT_NE(decoded.error().message().find(path), std::string::npos) << decoded.error().message();
  }
  auto response = decode_execution_response(R"({"v":1,"node":"n","status":"maybe"})");
  ASSERT_FALSE(response.has_value());
  EXPECT_NE(response.error().message().find("$.status"), std::string::npos);
  EXPECT_FALSE(decode_execution_response("not json").has_value());
}

TEST(ExecutionWire, SubjectRefusesWildcardsAndWhitespace) {
  EXPECT_EQ(*execution_subject("demo.echo", "1.0.0"), "traverse.exec.demo.echo.1.0.0");
  for (const auto& [id, version] : std::vector<std::pair<std::string, std::string>>{
           {"demo.*", "1.0.0"}, {"demo >", "1"}, {"", "1"}, {"a..b", "1"}, {"a", "1."}}) {
    auto subject = execution_subject(id, version);
    ASSERT_FALSE(subject.has_value()) << id << "@" << version;
    EXPECT_EQ(subject.error().kind(), ClusterErrorKind::InvalidOptions);
  }
}

TEST(ExecutionWire, NodeErrorKeepsItsClassAndNamesTheNode) {
  const ExecutorError timeout = to_executor_error({ExecutorErrorClass::Timeout, "", "slow"}, "n1");
  EXPECT_EQ(timeout.kind(), ExecutorErrorClass::Timeout);
  EXPECT_EQ(timeout.detail(), "node n1: slow");
  const ExecutorError other = to_executor_error(
      {executor_error_class("SomethingNew"), "request_invalid", "bad input"}, "n2");
  EXPECT_EQ(other.kind(), ExecutorErrorClass::ExecutionFailed);
  EXPECT_EQ(other.detail(), "node n2: request_invalid: bad input");
}

TEST(ExecutionWire, UnknownErrorClassOnTheWireDecodesAsExecutionFailed) {
  auto decoded =
      decode_execution_response(R"({"v":1,"node":"n","status":"error","duration_us":1,)"
                                R"("error":{"class":"SomethingNew","code":"","message":"m"}})");
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message();
  ASSERT_TRUE(decoded->error.has_value());
  EXPECT_EQ(decoded->error->kind(), ExecutorErrorClass::ExecutionFailed);
  EXPECT_EQ(decoded->error->to_string(), "ExecutionFailed: m");
  EXPECT_EQ(
      RemoteExecutionError(ExecutorErrorClass::Timeout, "execution_failed", "slow").to_string(),
      "Timeout: execution_failed: slow");
}

}  // namespace
}  // namespace traverse
