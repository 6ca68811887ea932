// Governing spec: 050-service
// ServiceApi's execution path: executions go to TraverseRuntime::submit_document and are
// answered from the thread that finished the capability (no thread of the service's own in
// between), bounded by max_executions (503 + Retry-After beyond it), and Prefer: respond-async
// answers 202 before the capability has finished.
#include "traverse/service/service_api.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "service_test_support.hpp"
#include "traverse/json/parse.hpp"
#include "traverse/registry/artifact_reference.hpp"
#include "traverse/runtime/traverse_runtime.hpp"

namespace traverse {
namespace {

using namespace std::chrono_literals;

using service_test::gate_contract;
using service_test::kCapability;

std::string request_body() {
  return R"({"kind":"runtime_request","schema_version":"1.0.0","request_id":"r1",)"
         R"("intent":{"capability_id":"test.service.gate","capability_version":"1.0.0"},)"
         R"("input":{"n":1},"lookup":{"scope":"public_only","allow_ambiguity":false},)"
         R"("context":{"requested_target":"local"},)"
         R"("governing_spec":"006-runtime-request-execution"})";
}

// One answer delivered through dispatch's `done`, and the thread it arrived on.
struct Answer {
  std::promise<std::pair<ApiResponse, std::thread::id>> promise;
  std::future<std::pair<ApiResponse, std::thread::id>> future = promise.get_future();
  std::function<void(ApiResponse)> callback() {
    return [this](ApiResponse response) {
      promise.set_value({std::move(response), std::this_thread::get_id()});
    };
  }
};

// A runtime whose one native capability blocks until released and reports its thread; the
// API over it. Declaration order: the runtime outlives the API and everything it refers to.
class ServiceApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TraverseRuntime::Builder builder;
    builder.with_native_handler(kCapability, [this](const Value& input) {
      {
        std::lock_guard lock(mutex_);
        handler_thread_ = std::this_thread::get_id();
      }
      started_.set_value();
      release_future_.wait();
      return NativeHandler::Result(input);
    });
    auto runtime = builder.build();
    ASSERT_TRUE(runtime.has_value()) << runtime.error().to_string();
    runtime_ = std::move(*runtime);
    ASSERT_TRUE(runtime_->register_capability(Scope::Public, gate_contract(),
                                              ArtifactReference::native(kCapability)));
    config_.max_executions = 1;
    pool_ = std::make_unique<WorkerPool>(1, 4);
    hub_ = std::make_unique<EventHub>(runtime_->broker(), runtime_->event_catalog(), 16);
    ServiceDependencies dependencies;
    dependencies.runtime = runtime_.get();
    api_ = std::make_unique<ServiceApi>(std::move(dependencies), config_, *pool_, metrics_, *hub_);
  }
  void TearDown() override {
    release();
    if (api_) {
      api_->wait_for_executions();
    }
    api_.reset();
    hub_.reset();
    pool_.reset();
  }

  void dispatch(ApiRequest request, Answer& answer) {
    api_->dispatch(std::move(request), std::chrono::steady_clock::now() + 30s, answer.callback());
  }
  static ApiRequest execute_request(std::string prefer = {}) {
    ApiRequest request;
    request.method = "POST";
    request.target = "/v1/capabilities/execute";
    request.body = request_body();
    request.prefer = std::move(prefer);
    return request;
  }
  void release() {
    std::call_once(released_, [this] { release_.set_value(); });
  }
  std::thread::id handler_thread() {
    std::lock_guard lock(mutex_);
    return handler_thread_;
  }

  std::unique_ptr<TraverseRuntime> runtime_;
  ServiceConfig config_;
  ServiceMetrics metrics_;
  std::unique_ptr<WorkerPool> pool_;
  std::unique_ptr<EventHub> hub_;
  std::unique_ptr<ServiceApi> api_;

  std::promise<void> started_;
  std::future<void> started_future_ = started_.get_future();
  std::promise<void> release_;
  std::shared_future<void> release_future_ = release_.get_future().share();
  std::once_flag released_;
  std::mutex mutex_;
  std::thread::id handler_thread_;
};

TEST_F(ServiceApiTest, AnExecutionIsAnsweredFromTheThreadThatRanTheCapability) {
  Answer answer;
  dispatch(execute_request(), answer);
  // dispatch returned while the capability still runs: the caller (an I/O thread) never waits.
  ASSERT_EQ(started_future_.wait_for(30s), std::future_status::ready);
  EXPECT_EQ(answer.future.wait_for(0ms), std::future_status::timeout);
  EXPECT_EQ(api_->executions_in_flight(), 1u);
  release();
  ASSERT_EQ(answer.future.wait_for(30s), std::future_status::ready);
  const auto [response, thread] = answer.future.get();
  EXPECT_EQ(response.status, 200u) << response.body;
  EXPECT_NE(response.body.find("\"status\":\"completed\""), std::string::npos) << response.body;
  EXPECT_FALSE(response.trace_id.empty());
  // No hop through a thread of the service's own: the executor's worker answered.
  EXPECT_EQ(thread, handler_thread());
  EXPECT_NE(thread, std::this_thread::get_id());
  EXPECT_EQ(pool_->stats().busy + pool_->stats().queued, 0u);
  api_->wait_for_executions();
  EXPECT_EQ(api_->executions_in_flight(), 0u);
}

TEST_F(ServiceApiTest, ExecutionsBeyondTheBoundAreRefusedWith503AndRetryAfter) {
  Answer first;
  dispatch(execute_request(), first);
  ASSERT_EQ(started_future_.wait_for(30s), std::future_status::ready);
  Answer second;
  dispatch(execute_request(), second);
  // Refused at once, on the caller, without running.
  ASSERT_EQ(second.future.wait_for(0ms), std::future_status::ready);
  const auto [refused, refused_thread] = second.future.get();
  EXPECT_EQ(refused.status, 503u);
  EXPECT_EQ(refused_thread, std::this_thread::get_id());
  EXPECT_NE(refused.body.find("overloaded"), std::string::npos) << refused.body;
  bool retry_after = false;
  for (const auto& [name, value] : refused.headers) {
    retry_after = retry_after || (name == "Retry-After" && value == "1");
  }
  EXPECT_TRUE(retry_after);
  release();
  ASSERT_EQ(first.future.wait_for(30s), std::future_status::ready);
  EXPECT_EQ(first.future.get().first.status, 200u);
}

TEST_F(ServiceApiTest, RespondAsyncAnswers202BeforeTheCapabilityFinishes) {
  Answer accepted;
  dispatch(execute_request("respond-async"), accepted);
  ASSERT_EQ(accepted.future.wait_for(0ms), std::future_status::ready);
  const auto [response, thread] = accepted.future.get();
  ASSERT_EQ(response.status, 202u) << response.body;
  const auto document = parse_json(response.body);
  ASSERT_TRUE(document.has_value());
  const std::string id = (*document)["execution_id"];

  const auto poll = [&] {
    ApiRequest request;
    request.method = "GET";
    request.target = "/v1/executions/" + id;
    Answer status;
    dispatch(request, status);
    EXPECT_EQ(status.future.wait_for(30s), std::future_status::ready);
    return parse_json(status.future.get().first.body).value_or(Value());
  };
  ASSERT_EQ(started_future_.wait_for(30s), std::future_status::ready);
  EXPECT_EQ(poll()["status"], "running");
  release();
  api_->wait_for_executions();
  const Value finished = poll();
  EXPECT_EQ(finished["status"], "finished");
  EXPECT_EQ(finished["http_status"], 200);
  EXPECT_EQ(finished["result"]["status"], "completed");
}

TEST_F(ServiceApiTest, MalformedJsonIsAnswered400WithoutRunning) {
  ApiRequest request = execute_request();
  request.body = "{not json";
  Answer answer;
  dispatch(request, answer);
  ASSERT_EQ(answer.future.wait_for(0ms), std::future_status::ready);
  const auto [response, thread] = answer.future.get();
  EXPECT_EQ(response.status, 400u);
  EXPECT_NE(response.body.find("invalid_json"), std::string::npos);
  EXPECT_EQ(api_->executions_in_flight(), 0u);
}

}  // namespace
}  // namespace traverse
