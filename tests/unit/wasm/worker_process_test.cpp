// Governing spec: 020-wasm-sandbox
// One sandbox worker driven through WorkerProcess and the wire protocol directly (no executor, so
// no host-side deadline kill): the worker's own backstop ends a request that outlives its
// deadline, an idle worker survives its last request's backstop and serves again, and a worker
// asked to poll for the next request after answering (a CPU was idle) answers it.
#include "worker_process.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "protocol.hpp"
#include "wasm_test_support.hpp"

namespace traverse {
namespace {

using wasm_internal::ExecuteFields;
using wasm_internal::ExecuteResult;
using wasm_internal::MessageReader;
using wasm_internal::MessageType;
using wasm_internal::WorkerProcess;
using wasm_internal::WorkerSpawnOptions;
using wasm_test::module_path;
using Clock = WorkerProcess::Clock;

struct NoEmit {
  std::string event_id;
  std::string version;
};

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::unique_ptr<WorkerProcess> spawn_interpreter_worker() {
  WorkerSpawnOptions options;
  options.executable = TRAVERSE_WASM_WORKER_PATH;
  auto worker = WorkerProcess::spawn(options);
  EXPECT_TRUE(worker.has_value()) << (worker ? "" : worker.error());
  return worker ? std::move(*worker) : nullptr;
}

std::string execute_message(std::string_view digest, std::string_view stdin_bytes,
                            std::uint64_t deadline_ms, bool spin_after_answer) {
  ExecuteFields fields;
  fields.digest = digest;
  fields.stdin_bytes = stdin_bytes;
  fields.limits.max_memory_bytes = 16U * 1024U * 1024U;
  fields.limits.max_table_elements = 1024;
  fields.limits.max_stdout_bytes = 1024U * 1024U;
  fields.limits.stderr_tail_bytes = 4096;
  fields.limits.max_events = 16;
  fields.capability_id = "test.worker.process";
  fields.capability_version = "1.0.0";
  fields.deadline_ms = deadline_ms;
  fields.spin_after_answer = spin_after_answer;
  return wasm_internal::encode_execute_into(std::string(), fields, std::vector<NoEmit>{});
}

// Sends one Execute (and the module when the worker asks for it); the next message's type and
// payload are left in `*payload` unless the worker went away.
WorkerProcess::Io call(WorkerProcess& worker, const std::string& module, std::string_view input,
                       std::uint64_t deadline_ms, bool spin, Clock::time_point wait_until,
                       ExecuteResult* result) {
  const std::string digest = "digest-of-" + module;
  auto io = worker.send(execute_message(digest, input, deadline_ms, spin), wait_until);
  if (io != WorkerProcess::Io::Ok)
    return io;
  std::string_view payload;
  for (;;) {
    io = worker.receive(&payload, wait_until, spin);
    if (io != WorkerProcess::Io::Ok)
      return io;
    MessageReader reader(payload);
    const auto type = static_cast<MessageType>(reader.u8());
    if (type == MessageType::NeedModule) {
      io = worker.send(wasm_internal::encode_module(digest, file_bytes(module_path(module))),
                       wait_until);
      if (io != WorkerProcess::Io::Ok)
        return io;
      continue;
    }
    if (type != MessageType::Result || !wasm_internal::decode_result(reader, result))
      return WorkerProcess::Io::ProtocolError;
    return WorkerProcess::Io::Ok;
  }
}

TEST(WorkerProcess, WorkerEndsARequestThatOutlivesItsDeadlineByTwoSecondsWhenTheHostDoesNot) {
  auto worker = spawn_interpreter_worker();
  ASSERT_NE(worker, nullptr);
  const auto started = Clock::now();
  ExecuteResult result;
  // Deadline 0 ms: the worker's backstop fires 2 s later (the host here never kills it).
  const auto io =
      call(*worker, "infinite_loop", "{}", 0, false, started + std::chrono::seconds(30), &result);
  const auto elapsed = Clock::now() - started;
  EXPECT_EQ(io, WorkerProcess::Io::Closed);
  EXPECT_GE(elapsed, std::chrono::milliseconds(1900));
  EXPECT_LT(elapsed, std::chrono::seconds(20));
  EXPECT_NE(worker->reap_after_close(std::chrono::milliseconds(5000)).find("SIGALRM"),
            std::string::npos);
}

TEST(WorkerProcess, IdleWorkerOutlivesItsLastRequestsBackstopAndServesAgain) {
  auto worker = spawn_interpreter_worker();
  ASSERT_NE(worker, nullptr);
  ExecuteResult result;
  ASSERT_EQ(call(*worker, "echo", R"({"n":1})", 0, false, Clock::now() + std::chrono::seconds(30),
                 &result),
            WorkerProcess::Io::Ok);
  EXPECT_EQ(result.report.stdout_data, R"({"n":1})");
  // Past the backstop of that request (0 ms + 2 s): an idle worker writes nothing and stays.
  std::string_view payload;
  EXPECT_EQ(worker->receive(&payload, Clock::now() + std::chrono::milliseconds(2600)),
            WorkerProcess::Io::Timeout);
  EXPECT_TRUE(worker->idle_and_alive());
  ASSERT_EQ(call(*worker, "echo", R"({"n":2})", 0, false, Clock::now() + std::chrono::seconds(30),
                 &result),
            WorkerProcess::Io::Ok);
  EXPECT_EQ(result.report.stdout_data, R"({"n":2})");
  EXPECT_TRUE(result.cache_hit);
}

TEST(WorkerProcess, WorkerAskedToPollAfterAnsweringAnswersTheNextRequestsAndStillSleepsWhenIdle) {
  auto worker = spawn_interpreter_worker();
  ASSERT_NE(worker, nullptr);
  for (int i = 0; i < 50; ++i) {
    ExecuteResult result;
    const std::string input = R"({"i":)" + std::to_string(i) + "}";
    ASSERT_EQ(call(*worker, "echo", input, 10'000, true, Clock::now() + std::chrono::seconds(30),
                   &result),
              WorkerProcess::Io::Ok)
        << "call " << i;
    EXPECT_EQ(result.report.stdout_data, input);
  }
  // After its polling window the worker blocks again, and still serves.
  std::string_view payload;
  EXPECT_EQ(worker->receive(&payload, Clock::now() + std::chrono::milliseconds(50)),
            WorkerProcess::Io::Timeout);
  ExecuteResult result;
  ASSERT_EQ(
      call(*worker, "echo", "{}", 10'000, true, Clock::now() + std::chrono::seconds(30), &result),
      WorkerProcess::Io::Ok);
  EXPECT_EQ(result.report.stdout_data, "{}");
}

}  // namespace
}  // namespace traverse
