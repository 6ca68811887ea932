// Governing spec: 050-service
// `traverse serve` end to end: the real binary on 127.0.0.1 port 0, driven by curl and a
// WebSocket client (python3 websockets) — every route, the error statuses, authentication,
// the event stream (including a client that fell behind) and graceful shutdown.
#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "serve_test_support.hpp"

namespace traverse::serve_test {
namespace {

const std::string kWsClient = (kSource / "tests/integration/serve/ws_client.py").string();
constexpr const char* kPlanCapability = "expedition.planning.plan-expedition";

class ServeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new Server(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  static Server& server() { return *server_; }
  static std::string url(const std::string& path) { return server_->url() + path; }

  static HttpResult execute_plan(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"-H", "Content-Type: application/json", "--data-binary",
                                  "@" + plan_request()};
    for (auto& arg : extra)
      args.push_back(std::move(arg));
    args.push_back(url("/v1/capabilities/execute"));
    return curl(args);
  }

 private:
  static Server* server_;
};

Server* ServeTest::server_ = nullptr;

TEST_F(ServeTest, HealthAndReadinessAnswer200) {
  const auto health = curl({url("/healthz")});
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.json()["status"], "ok");
  const auto ready = curl({url("/readyz")});
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(ready.json()["status"], "ready");
  EXPECT_GE(ready.json()["capabilities"].get<int>(), 6);
}

TEST_F(ServeTest, ExecutingPlanExpeditionReturnsThePlanAndItsTrace) {
  const auto result = execute_plan();
  ASSERT_EQ(result.status, 200) << result.body;
  const Value document = result.json();
  EXPECT_EQ(document["status"], "completed");
  ASSERT_TRUE(document.contains("output"));
  EXPECT_TRUE(document["output"].is_object());
  EXPECT_EQ(document["capability_id"], kPlanCapability);
  EXPECT_EQ(document["steps"].size(), 5u);
  EXPECT_EQ(document["workflow_evidence"]["kind"], "workflow_traversal_evidence");
  const std::string trace_ref = document["trace_ref"];

  const auto trace = curl({url("/v1/traces/" + trace_ref)});
  ASSERT_EQ(trace.status, 200) << trace.body;
  const Value shown = trace.json();
  EXPECT_EQ(shown["public"]["id"], trace_ref);
  EXPECT_EQ(shown["steps"].size(), 5u);
  EXPECT_TRUE(shown.contains("workflow_run"));
  // The access log names the request with its trace id.
  EXPECT_TRUE(server().process().wait_err("trace=" + trace_ref, 30s)) << server().process().err();
}

TEST_F(ServeTest, WebSocketClientSeesTheFiveEventsOfARun) {
  // Subscribe from "now": the run's events come after the current newest sequence.
  const auto before = curl({url("/metrics")});
  ASSERT_EQ(before.status, 200);
  const std::string series = "\ntraverse_events_last_sequence ";
  const auto position = before.body.find(series);
  ASSERT_NE(position, std::string::npos);
  const std::string last =
      std::to_string(std::atoll(before.body.c_str() + position + series.size()));
  Process client(
      {"/usr/bin/python3", kWsClient, server().ws_url("/v1/events?cursor=" + last), "5", "30"});
  ASSERT_TRUE(client.wait_line("connected", 30s).has_value()) << client.err();
  ASSERT_EQ(execute_plan().status, 200);
  ASSERT_EQ(client.wait_exit(60s), 0) << client.err();
  const auto lines = cli_test::lines_of(client.out());
  ASSERT_EQ(lines.size(), 6u) << client.out();
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const auto message = parse_json(lines[i]);
    ASSERT_TRUE(message.has_value()) << lines[i];
    EXPECT_EQ((*message)["kind"], "event");
    EXPECT_TRUE((*message)["event"].is_object());
  }
}

TEST_F(ServeTest, ServerSentEventsResumeFromLastEventId) {
  ASSERT_EQ(execute_plan().status, 200);
  // Everything after sequence 0 that is retained, filtered to one type; curl stops after 3 s.
  const auto result =
      curl({"-N", "--max-time", "3", "-H", "Accept: text/event-stream", "-H", "Last-Event-ID: 0",
            url("/v1/events?type=expedition.planning.plan-assembled")});
  EXPECT_NE(result.body.find("event: expedition.planning.plan-assembled"), std::string::npos)
      << result.body;
  EXPECT_EQ(result.body.find("event: expedition.planning.objective-captured"), std::string::npos);
}

TEST_F(ServeTest, CapabilitiesAndWorkflowsAreListedAndShown) {
  const auto list = curl({url("/v1/capabilities")});
  ASSERT_EQ(list.status, 200);
  EXPECT_GE(list.json()["count"].get<int>(), 6);
  const auto one = curl({url(std::string("/v1/capabilities/") + kPlanCapability)});
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(one.json()["versions"][0]["contract"]["id"], kPlanCapability);
  const auto workflows = curl({url("/v1/workflows")});
  ASSERT_EQ(workflows.status, 200);
  ASSERT_GE(workflows.json()["count"].get<int>(), 1);
  const std::string workflow_id = workflows.json()["workflows"][0]["id"];
  const auto workflow = curl({url("/v1/workflows/" + workflow_id)});
  ASSERT_EQ(workflow.status, 200);
  EXPECT_TRUE(workflow.json()["versions"][0].contains("definition"));
}

TEST_F(ServeTest, TraceListingMatchesTheCli) {
  ASSERT_EQ(execute_plan().status, 200);
  const auto listed = curl(
      {url(std::string("/v1/traces?capability=") + kPlanCapability + "&outcome=success&limit=2")});
  ASSERT_EQ(listed.status, 200) << listed.body;
  const Value document = listed.json();
  EXPECT_LE(document["returned"].get<int>(), 2);
  ASSERT_GE(document["returned"].get<int>(), 1);
  for (const auto& entry : document["entries"]) {
    EXPECT_EQ(entry["capability_id"], kPlanCapability);
  }
  const auto cli =
      cli_test::run_cli({"trace", "list", "--json", "--trace-db", server().dir().file("traces.db"),
                         "--capability", kPlanCapability, "--outcome", "success", "--limit", "2"});
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  EXPECT_EQ(cli_test::json_of(cli)["entries"], document["entries"]);
}

TEST_F(ServeTest, AsyncExecutionIsAcceptedThenPolled) {
  const auto accepted = execute_plan({"-H", "Prefer: respond-async"});
  ASSERT_EQ(accepted.status, 202) << accepted.body;
  const std::string id = accepted.json()["execution_id"];
  // Bounded polling: each poll is a real request; at most 600 of them.
  Value status;
  for (int i = 0; i < 600; ++i) {
    const auto polled = curl({url("/v1/executions/" + id)});
    ASSERT_EQ(polled.status, 200);
    status = polled.json();
    if (status["status"] == "finished")
      break;
  }
  ASSERT_EQ(status["status"], "finished");
  EXPECT_EQ(status["http_status"], 200);
  EXPECT_EQ(status["result"]["status"], "completed");
  EXPECT_EQ(curl({url("/v1/executions/async_nope")}).status, 404);
}

TEST_F(ServeTest, BadInputGetsItsStatusNever500) {
  const auto not_json = curl({"--data-binary", "{nope", url("/v1/capabilities/execute")});
  EXPECT_EQ(not_json.status, 400);
  EXPECT_EQ(not_json.json()["error"]["code"], "invalid_json");

  const auto invalid =
      curl({"--data-binary", R"({"kind":"runtime_request"})", url("/v1/capabilities/execute")});
  EXPECT_EQ(invalid.status, 400);
  const Value error = invalid.json()["error"];
  EXPECT_EQ(error["code"], "request_invalid");
  ASSERT_GE(error["details"]["violations"].size(), 2u);
  EXPECT_EQ(error["details"]["violations"][0]["path"].get<std::string>().rfind("$", 0), 0u);

  const auto unknown = curl({"--data-binary",
                             R"({"kind":"runtime_request","schema_version":"1.0.0",)"
                             R"("request_id":"r1","intent":{"capability_id":"no.such.thing"},)"
                             R"("input":{},"lookup":{"scope":"public_only",)"
                             R"("allow_ambiguity":false},"context":{"requested_target":"local"},)"
                             R"("governing_spec":"006-runtime-request-execution"})",
                             url("/v1/capabilities/execute")});
  EXPECT_EQ(unknown.status, 404) << unknown.body;
  EXPECT_EQ(unknown.json()["error"]["code"], "capability_not_found");

  EXPECT_EQ(curl({url("/v1/nothing")}).status, 404);
  EXPECT_EQ(curl({url("/v1/capabilities/no.such.capability")}).status, 404);
  EXPECT_EQ(curl({url("/v1/traces/no-such-trace")}).status, 404);
  EXPECT_EQ(curl({url("/v1/capabilities/execute")}).status, 405);  // GET
  EXPECT_EQ(curl({url("/v1/traces?limit=0")}).status, 400);
  EXPECT_EQ(curl({url("/v1/traces?outcome=maybe")}).status, 400);
  EXPECT_EQ(execute_plan({"-H", "X-Traverse-Timeout-Ms: soon"}).status, 400);
  // Registration is off: no token has the `register` scope.
  EXPECT_EQ(curl({"--data-binary", "{}", url("/v1/capabilities/register")}).status, 403);
  EXPECT_EQ(curl({"--data-binary", "{}", url("/v1/workflows/register")}).status, 403);
}

TEST_F(ServeTest, OversizedBodiesAndHeadersAreRefused) {
  const cli_test::TempDir dir;
  const std::string big = dir.write("big.json", std::string(2 << 20, 'x'));
  const auto body = curl({"--data-binary", "@" + big, url("/v1/capabilities/execute")});
  EXPECT_EQ(body.status, 413);
  const auto header = curl({"-H", "X-Big: " + std::string(20000, 'y'), url("/healthz")});
  EXPECT_EQ(header.status, 431);
  // The server still answers afterwards.
  EXPECT_EQ(curl({url("/healthz")}).status, 200);
}

TEST_F(ServeTest, MetricsCountRequestsAndExecutions) {
  ASSERT_EQ(execute_plan().status, 200);
  const auto metrics = curl({url("/metrics")});
  ASSERT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("traverse_http_requests_total{route=\"/v1/capabilities/execute\","
                              "status=\"200\"}"),
            std::string::npos);
  EXPECT_NE(metrics.body.find(std::string("traverse_executions_total{capability=\"") +
                              kPlanCapability + "\",outcome=\"completed\"}"),
            std::string::npos);
  EXPECT_NE(metrics.body.find("traverse_execution_duration_seconds_bucket"), std::string::npos);
  EXPECT_NE(metrics.body.find("traverse_trace_write_failures_total 0"), std::string::npos);
  EXPECT_NE(metrics.body.find("traverse_service_queue_depth"), std::string::npos);
}

TEST(ServeAuthTest, TokensGateEveryRouteButHealth) {
  const cli_test::TempDir dir;
  const std::string tokens = dir.write("tokens.txt",
                                       "# token scopes\n"
                                       "reader-token-0123456789 read\n"
                                       "runner-token-0123456789 execute read\n"
                                       "admin-token-0123456789 register read\n");
  Server server({"--token-file", tokens});
  const auto url = [&](const std::string& path) { return server.url() + path; };
  EXPECT_EQ(curl({url("/healthz")}).status, 200);
  EXPECT_EQ(curl({url("/v1/capabilities")}).status, 401);
  EXPECT_EQ(
      curl({"-H", "Authorization: Bearer wrong-token-0123456789", url("/v1/capabilities")}).status,
      401);
  EXPECT_EQ(
      curl({"-H", "Authorization: Bearer reader-token-0123456789", url("/v1/capabilities")}).status,
      200);
  const std::vector<std::string> plan{"--data-binary", "@" + plan_request()};
  auto as = [&](const std::string& token, std::vector<std::string> args, const std::string& path) {
    args.insert(args.begin(), {"-H", "Authorization: Bearer " + token});
    args.push_back(url(path));
    return curl(args);
  };
  EXPECT_EQ(as("reader-token-0123456789", plan, "/v1/capabilities/execute").status, 403);
  EXPECT_EQ(as("runner-token-0123456789", plan, "/v1/capabilities/execute").status, 200);
  // Registration is on (a token has `register`): an invalid contract is 400, a valid one 201,
  // the same again 200, a changed one under the same version 409.
  const std::vector<std::string> bad{"--data-binary", R"({"kind":"capability_contract"})"};
  EXPECT_EQ(as("runner-token-0123456789", bad, "/v1/capabilities/register").status, 403);
  const auto invalid = as("admin-token-0123456789", bad, "/v1/capabilities/register");
  EXPECT_EQ(invalid.status, 400) << invalid.body;
  EXPECT_FALSE(invalid.json()["error"]["details"]["violations"].empty());
  std::ifstream in(cli_test::example("contracts/capture-expedition-objective.json"));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto contract = parse_json(text);
  ASSERT_TRUE(contract.has_value());
  (*contract)["version"] = "9.0.0";
  const std::string file = dir.write("contract.json", canonical_dump(*contract));
  const std::vector<std::string> good{"--data-binary", "@" + file};
  EXPECT_EQ(as("admin-token-0123456789", good, "/v1/capabilities/register").status, 201);
  EXPECT_EQ(as("admin-token-0123456789", good, "/v1/capabilities/register").status, 200);
  (*contract)["summary"] = "A different summary for the same immutable version.";
  const std::string changed = dir.write("changed.json", canonical_dump(*contract));
  EXPECT_EQ(
      as("admin-token-0123456789", {"--data-binary", "@" + changed}, "/v1/capabilities/register")
          .status,
      409);
}

TEST(ServeSecurityTest, NonLoopbackWithoutTokensIsRefusedAtStart) {
  const cli_test::TempDir dir;
  const auto result = run({TRAVERSE_CLI_PATH, "serve", "--bundle", cli_test::example("bundle.json"),
                           "--listen", "0.0.0.0:0", "--trace-db", dir.file("t.db")});
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.err.find("without tokens"), std::string::npos) << result.err;
}

TEST(ServeEventsTest, AClientBehindTheBufferIsToldWhatItMissed) {
  Server server({"--event-buffer", "3"});
  ASSERT_EQ(curl({"--data-binary", "@" + plan_request(), server.url() + "/v1/capabilities/execute"})
                .status,
            200);
  // 5 events published, 3 retained: a client resuming from 0 missed 2.
  Process client({"/usr/bin/python3", kWsClient, server.ws_url("/v1/events?cursor=0"), "4", "30"});
  ASSERT_EQ(client.wait_exit(60s), 0) << client.err();
  const auto lines = cli_test::lines_of(client.out());
  ASSERT_EQ(lines.size(), 5u) << client.out();
  const auto dropped = parse_json(lines[1]);
  ASSERT_TRUE(dropped.has_value());
  EXPECT_EQ((*dropped)["kind"], "dropped");
  EXPECT_EQ((*dropped)["dropped"], 2);
  for (std::size_t i = 2; i < lines.size(); ++i) {
    EXPECT_EQ((*parse_json(lines[i]))["kind"], "event");
  }
}

TEST(ServeShutdownTest, SigtermFinishesInFlightRequestsAndExitsZero) {
  Server server;
  constexpr int kRequests = 6;
  std::vector<std::unique_ptr<Process>> clients;
  for (int i = 0; i < kRequests; ++i) {
    clients.push_back(std::make_unique<Process>(std::vector<std::string>{
        "curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "60", "--data-binary",
        "@" + plan_request(), server.url() + "/v1/capabilities/execute"}));
  }
  // Wait (bounded) until the server has every request in hand (answered or in flight), then
  // SIGTERM: none of them may be lost.
  const auto gauge = [](const std::string& text, const std::string& series) {
    const auto at = text.find("\n" + series + " ");
    return at == std::string::npos ? 0 : std::atoi(text.c_str() + at + series.size() + 2);
  };
  bool in_hand = false;
  for (int i = 0; i < 400 && !in_hand; ++i) {
    const auto metrics = curl({server.url() + "/metrics"});
    const int in_flight = gauge(metrics.body, "traverse_http_requests_in_flight") - 1;
    const int answered =
        gauge(metrics.body,
              "traverse_http_requests_total{route=\"/v1/capabilities/execute\",status=\"200\"}");
    in_hand = in_flight + answered >= kRequests;
  }
  EXPECT_TRUE(in_hand);
  const auto code = server.stop();
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << server.process().err();
  for (auto& client : clients) {
    ASSERT_EQ(client->wait_exit(60s), 0);
    EXPECT_EQ(client->out(), "200") << client->err();
  }
}

}  // namespace
}  // namespace traverse::serve_test
