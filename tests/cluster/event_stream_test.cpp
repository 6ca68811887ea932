// Governing spec: 060-cluster
//
// The JetStream event stream as users run it: a real nats-server -js, `traverse workflow run
// --nats` copying its events to TRAVERSE_EVENTS, `traverse events watch` in a second process
// receiving them and replaying from a sequence without gaps or duplicates, the server storing
// one emission once (Nats-Msg-Id), and `traverse serve --nats` placing a capability on a node.
#include "traverse/cluster/event_stream.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <set>
#include <sstream>

#include "../integration/serve_test_support.hpp"
#include "cluster_test_support.hpp"
#include "traverse/cluster/cluster_client.hpp"
#include "traverse/cluster/event_stream_reader.hpp"
#include "traverse/cluster/jetstream_event_bridge.hpp"
#include "traverse/support/ids.hpp"

namespace traverse {
namespace {

using namespace std::chrono_literals;
using cli_test::CliRun;
using cli_test::run_cli;
using cluster_test::ChildProcess;
using cluster_test::NatsServer;
using serve_test::Process;

using namespace cluster_test::expedition;

// One line of `traverse events watch --json`.
struct WatchedEvent {
  std::uint64_t sequence = 0;
  std::string id;
  std::string message_id;
  std::string event_type;
};

std::vector<WatchedEvent> parse_watch_lines(const std::string& out) {
  std::vector<WatchedEvent> events;
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    auto parsed = parse_json(line);
    EXPECT_TRUE(parsed.has_value()) << "not a JSON line: " << line;
    if (!parsed) {
      continue;
    }
    events.push_back(WatchedEvent{(*parsed)["sequence"].get<std::uint64_t>(),
                                  (*parsed)["event"]["id"].get<std::string>(),
                                  (*parsed)["message_id"].get<std::string>(),
                                  (*parsed)["event"]["event_type"].get<std::string>()});
  }
  return events;
}

// The ids of the events a `--json` run reports as published, in its order.
std::vector<std::string> published_ids(const CliRun& run) {
  auto document = parse_json(run.out);
  EXPECT_TRUE(document.has_value()) << run.out << "\n" << run.err;
  std::vector<std::string> ids;
  if (document) {
    for (const Value& event : (*document)["events"]) {
      ids.push_back(event["id"].get<std::string>());
    }
  }
  return ids;
}

TEST(EventStreamHelp, WatchServeAndTheNatsCommandsDocumentTheirEventStreamOptions) {
  cli_test::expect_help_mentions(
      {{{"events", "watch"},
        {"--nats", "--from-sequence", "--new", "--type", "--count", "--timeout-ms", "--json",
         "--nats-creds", "TRAVERSE_EVENTS", "SIGTERM"}},
       {{"serve"}, {"--nats", "--remote-only", "--no-event-stream", "TRAVERSE_EVENTS"}},
       {{"node"}, {"--no-event-stream"}},
       {{"run"}, {"--no-event-stream"}},
       {{"workflow", "run"}, {"--no-event-stream"}}});
}

TEST(EventStreamHelp, NewAndFromSequenceTogetherAreAUsageError) {
  const CliRun run =
      run_cli({"events", "watch", "--nats", "nats://127.0.0.1:1", "--new", "--from-sequence", "3"});
  EXPECT_EQ(run.exit_code, 5) << run.err;
}

class EventStreamTest : public ::testing::Test {
 protected:
  void SetUp() override { TRAVERSE_START_NATS_OR_SKIP(server_); }

  std::string db(const std::string& name) const {
    return (server_.folder() / (name + ".db")).string();
  }

  // `traverse workflow run` of the expedition with --nats: its events go to the stream.
  std::vector<std::string> run_expedition(const std::string& name) {
    const CliRun run =
        run_cli({"workflow", "run", kBundle, "plan-expedition", "--input", kInput, "--packages",
                 kPackages, "--nats", server_.url(), "--json", "--trace-db", db(name)});
    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(run.err.find("warning"), std::string::npos) << run.err;
    return published_ids(run);
  }

  std::vector<std::string> watch_argv(std::vector<std::string> extra) const {
    std::vector<std::string> argv{TRAVERSE_CLI_PATH, "events", "watch",        "--nats",
                                  server_.url(),     "--json", "--timeout-ms", "120000"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
  }

  NatsServer server_;
};

TEST_F(EventStreamTest, AWatcherInASecondProcessReceivesEveryEventOfAWorkflowRun) {
  // Started first: it waits for events the run has not published yet.
  Process watcher(watch_argv({"--count", "5"}));
  const std::vector<std::string> published = run_expedition("run-1");
  ASSERT_EQ(published.size(), 5u) << "the expedition run publishes five events";

  const auto code = watcher.wait_exit(120s);
  ASSERT_TRUE(code.has_value()) << "the watcher did not finish; stderr:\n" << watcher.err();
  EXPECT_EQ(*code, 0) << watcher.err();
  const std::vector<WatchedEvent> watched = parse_watch_lines(watcher.out());
  ASSERT_EQ(watched.size(), 5u) << watcher.out();
  std::set<std::string> ids;
  for (std::size_t i = 0; i < watched.size(); ++i) {
    EXPECT_EQ(watched[i].sequence, i + 1) << "stream sequences start at 1, without gaps";
    EXPECT_EQ(watched[i].message_id, watched[i].id) << "Nats-Msg-Id is the emission's id";
    ids.insert(watched[i].id);
  }
  EXPECT_EQ(ids, std::set<std::string>(published.begin(), published.end()));
  EXPECT_NE(watcher.err().find("continue with --from-sequence 6"), std::string::npos)
      << watcher.err();
}

TEST_F(EventStreamTest, ARestartedWatcherReplaysTheMissedEventsWithoutGapsOrDuplicates) {
  const std::vector<std::string> first_run = run_expedition("run-1");
  ASSERT_EQ(first_run.size(), 5u);
  std::uint64_t last_sequence = 0;
  {
    Process watcher(watch_argv({"--count", "5"}));
    ASSERT_EQ(watcher.wait_exit(120s), std::optional<int>(0)) << watcher.err();
    const auto watched = parse_watch_lines(watcher.out());
    ASSERT_EQ(watched.size(), 5u);
    last_sequence = watched.back().sequence;
  }
  // The watcher is gone while two more runs publish.
  std::vector<std::string> missed = run_expedition("run-2");
  const std::vector<std::string> third_run = run_expedition("run-3");
  missed.insert(missed.end(), third_run.begin(), third_run.end());
  ASSERT_EQ(missed.size(), 10u);

  Process restarted(
      watch_argv({"--from-sequence", std::to_string(last_sequence + 1), "--count", "10"}));
  ASSERT_EQ(restarted.wait_exit(120s), std::optional<int>(0)) << restarted.err();
  const auto replayed = parse_watch_lines(restarted.out());
  ASSERT_EQ(replayed.size(), 10u) << restarted.out();
  std::multiset<std::string> ids;
  for (std::size_t i = 0; i < replayed.size(); ++i) {
    EXPECT_EQ(replayed[i].sequence, last_sequence + 1 + i) << "no gap at line " << i;
    ids.insert(replayed[i].id);
  }
  EXPECT_EQ(ids, std::multiset<std::string>(missed.begin(), missed.end()))
      << "exactly the missed events, each once";

  // Nothing else was stored: 15 events in all, the last at sequence 15.
  auto connection = cluster_test::connect_to(server_.url());
  ASSERT_NE(connection, nullptr);
  const auto state = event_stream_state(*connection, EventStreamConfig{});
  ASSERT_TRUE(state.has_value()) << state.error().to_string();
  EXPECT_EQ(state->messages, 15u);
  EXPECT_EQ(state->last_sequence, 15u);
}

TEST_F(EventStreamTest, AWatcherFiltersByTypeAndStopsCleanlyOnSigterm) {
  const std::vector<std::string> published = run_expedition("run-1");
  ASSERT_EQ(published.size(), 5u);
  const std::string type = "expedition.planning.plan-assembled";
  Process watcher({TRAVERSE_CLI_PATH, "-v", "events", "watch", "--nats", server_.url(), "--json",
                   "--type", type});
  // It prints the one stored event of that type, then waits for more until it is stopped.
  ASSERT_TRUE(watcher.wait_line("{", 60s).has_value()) << watcher.err();
  kill(watcher.pid(), SIGTERM);
  const auto code = watcher.wait_exit(30s);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << watcher.err();
  const auto watched = parse_watch_lines(watcher.out());
  ASSERT_EQ(watched.size(), 1u) << watcher.out();
  EXPECT_EQ(watched[0].event_type, type);
}

TEST_F(EventStreamTest, TheSameEmissionPublishedTwiceIsStoredOnce) {
  auto first = cluster_test::connect_to(server_.url());
  auto second = cluster_test::connect_to(server_.url());
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  auto bridge = JetStreamEventBridge::start(first, nullptr, nullptr);
  ASSERT_TRUE(bridge.has_value()) << bridge.error().to_string();
  // A second process sending the same emission (e.g. a node and its caller).
  auto other = JetStreamEventBridge::start(second, nullptr, nullptr);
  ASSERT_TRUE(other.has_value()) << other.error().to_string();

  TraverseEvent event;
  event.id = new_uuid_v4();
  event.source = "traverse-runtime/test.capability";
  event.event_type = "test.events.happened";
  event.time = rfc3339_now();
  event.data = Value{{"n", 1}};
  event.owner = "test.capability";
  event.version = "1.0.0";
  event.deduplication_id = "test.capability:test.events.happened:1.0.0";
  ASSERT_TRUE((*bridge)->publish(event).has_value());
  ASSERT_TRUE((*bridge)->publish(event).has_value());
  ASSERT_TRUE((*bridge)->flush(10s));
  ASSERT_TRUE((*other)->publish(event).has_value());
  ASSERT_TRUE((*other)->flush(10s));
  // A different emission with the same (non-unique) deduplication_id is a new event.
  TraverseEvent again = event;
  again.id = new_uuid_v4();
  ASSERT_TRUE((*bridge)->publish(again).has_value());
  ASSERT_TRUE((*bridge)->flush(10s));

  const EventBridgeStats stats = (*bridge)->stats();
  EXPECT_EQ(stats.offered, 3u);
  EXPECT_EQ(stats.stored, 2u);
  EXPECT_EQ(stats.duplicates, 1u);
  EXPECT_EQ(stats.failed, 0u);
  EXPECT_EQ(stats.pending, 0u);
  EXPECT_EQ(stats.last_sequence, 2u);
  EXPECT_EQ((*other)->stats().duplicates, 1u);
  EXPECT_EQ((*other)->stats().stored, 0u);

  const auto state = event_stream_state(*first, (*bridge)->stream());
  ASSERT_TRUE(state.has_value()) << state.error().to_string();
  EXPECT_EQ(state->messages, 2u);

  EventStreamReaderConfig config;
  config.event_types = {event.event_type};
  auto reader = EventStreamReader::open(first, config);
  ASSERT_TRUE(reader.has_value()) << reader.error().to_string();
  std::vector<std::string> read;
  for (int i = 0; i < 2; ++i) {
    auto next = (*reader)->next(10s);
    ASSERT_TRUE(next.has_value()) << next.error().to_string();
    ASSERT_TRUE(next->has_value()) << "event " << i << " not delivered within 10 s";
    EXPECT_EQ((*next)->sequence, static_cast<std::uint64_t>(i + 1));
    EXPECT_EQ((*next)->envelope["data"], event.data);
    read.push_back((*next)->message_id);
  }
  EXPECT_EQ(read, (std::vector<std::string>{event.id, again.id}));
}

TEST_F(EventStreamTest, AClosedBridgeRefusesToPublishAndCountsTheFailure) {
  auto connection = cluster_test::connect_to(server_.url());
  ASSERT_NE(connection, nullptr);
  auto bridge = JetStreamEventBridge::start(connection, nullptr, nullptr);
  ASSERT_TRUE(bridge.has_value()) << bridge.error().to_string();
  (*bridge)->close();
  TraverseEvent event;
  event.id = new_uuid_v4();
  event.event_type = "test.events.late";
  const auto sent = (*bridge)->publish(event);
  ASSERT_FALSE(sent.has_value());
  EXPECT_EQ(sent.error().kind(), ClusterErrorKind::ConnectionClosed);
  EXPECT_EQ((*bridge)->stats().failed, 1u);
  EXPECT_FALSE((*bridge)->stats().last_problem.empty());
}

TEST(EventStreamWithoutJetStream, TheBridgeFailsWithATypedErrorNamingJetStream) {
  const auto binary = cluster_test::find_nats_server();
  if (!binary) {
    GTEST_SKIP() << "nats-server is not installed";
  }
  // A server without -js.
  const int port = cluster_test::free_port();
  const std::filesystem::path log = std::filesystem::temp_directory_path() /
                                    ("traverse-plain-nats-" + std::to_string(getpid()) + ".log");
  ChildProcess plain({binary->string(), "-a", "127.0.0.1", "-p", std::to_string(port)}, log);
  const std::string url = "nats://127.0.0.1:" + std::to_string(port);
  std::shared_ptr<NatsConnection> connection;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!connection && std::chrono::steady_clock::now() < deadline) {
    NatsOptions options;
    options.url = url;
    options.connect_timeout = 200ms;
    if (auto connected = NatsConnection::connect(options)) {
      connection = *connected;
    } else {
      std::this_thread::sleep_for(50ms);  // polling readiness
    }
  }
  ASSERT_NE(connection, nullptr) << "nats-server did not start";
  JetStreamEventBridgeConfig config;
  config.stream.api_timeout = 1s;
  auto bridge = JetStreamEventBridge::start(connection, nullptr, nullptr, config);
  ASSERT_FALSE(bridge.has_value());
  EXPECT_EQ(bridge.error().kind(), ClusterErrorKind::StreamUnavailable);
  EXPECT_NE(bridge.error().message().find("JetStream"), std::string::npos)
      << bridge.error().message();
}

TEST_F(EventStreamTest, ServeWithNatsPlacesTheCapabilityOnANodeAndItsEventsReachTheStream) {
  ChildProcess node(
      {TRAVERSE_CLI_PATH, "node", "--nats", server_.url(), "--bundle", kBundle, "--packages",
       kPackages, "--name", "node-1", "--announce-ms", "200", "--trace-db", db("node-1")},
      server_.folder() / "node-1.log");
  ASSERT_TRUE(node.started());
  const auto client = cluster_test::connect_when_announced(server_.url(), 1, 60s);
  ASSERT_NE(client, nullptr);

  const CliRun local = run_cli(
      {"run", kBundle, kRequest, "--packages", kPackages, "--json", "--trace-db", db("local")});
  ASSERT_EQ(local.exit_code, 0) << local.err;
  const Value local_output = parse_json(local.out).value_or(Value())["output"];

  // No --package: the steps have no local implementation, the node serves them.
  Process serve({TRAVERSE_CLI_PATH, "serve", "--bundle", kBundle, "--listen", "127.0.0.1:0",
                 "--nats", server_.url(), "--trace-db", db("serve")},
                (server_.folder() / "serve.log").string());
  const auto url = serve.wait_line("http", 60s);
  ASSERT_TRUE(url.has_value()) << serve.err();
  const auto result = serve_test::curl({"-H", "Content-Type: application/json", "--data-binary",
                                        "@" + kRequest, *url + "/v1/capabilities/execute"});
  ASSERT_EQ(result.status, 200) << result.body;
  const Value document = result.json();
  EXPECT_EQ(document["status"], "completed") << result.body;
  EXPECT_EQ(document["output"], local_output);

  std::uint64_t executions = 0;
  for (const NodeAnnouncement& announced : client->directory()->discover(2s, 300ms)) {
    executions += announced.executions;
  }
  EXPECT_EQ(executions, 5u) << "the five expedition steps ran on the node";

  // The node copied the events of the steps it ran to the stream.
  EventStreamReaderConfig config;
  auto reader = EventStreamReader::open(client->connection(), config);
  ASSERT_TRUE(reader.has_value()) << reader.error().to_string();
  std::set<std::string> types;
  for (int i = 0; i < 5; ++i) {
    auto next = (*reader)->next(30s);
    ASSERT_TRUE(next.has_value()) << next.error().to_string();
    ASSERT_TRUE(next->has_value()) << "event " << i << " not in the stream within 30 s";
    types.insert((*next)->event_type);
  }
  EXPECT_EQ(types.size(), 5u);
  kill(serve.pid(), SIGTERM);
  EXPECT_EQ(serve.wait_exit(30s), std::optional<int>(0)) << serve.err();
}

}  // namespace
}  // namespace traverse
