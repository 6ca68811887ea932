// Governing spec: 050-service
// The HTTP transport of Service, in process over real sockets on 127.0.0.1: a request past its
// deadline is answered 504 while its capability still runs, and the late answer is dropped (the
// next request on the same connection gets its own answer); the response head the transport
// writes (status line, Content-Length, Connection for HTTP/1.0 and 1.1, extra headers); a body
// that arrives after its header is read like one that arrives with it.
#include "traverse/service/service.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "service_test_support.hpp"
#include "traverse/registry/artifact_reference.hpp"
#include "traverse/runtime/traverse_runtime.hpp"

namespace traverse {
namespace {

using namespace std::chrono_literals;

using service_test::gate_contract;
using service_test::kCapability;

// A runtime_request for the gate; `hold` makes the handler wait for release().
std::string execute_body(const std::string& request_id, bool hold) {
  return R"({"kind":"runtime_request","schema_version":"1.0.0","request_id":")" + request_id +
         R"(","intent":{"capability_id":"test.service.gate","capability_version":"1.0.0"},)"
         R"("input":{"hold":)" +
         std::string(hold ? "true" : "false") +
         R"(},"lookup":{"scope":"public_only","allow_ambiguity":false},)"
         R"("context":{"requested_target":"local"},)"
         R"("governing_spec":"006-runtime-request-execution"})";
}

struct HttpResponse {
  std::string head;  // status line and header fields, without the blank line
  std::string body;
  [[nodiscard]] bool has_line(const std::string& line) const {
    return ("\r\n" + head + "\r\n").find("\r\n" + line + "\r\n") != std::string::npos;
  }
};

// One client connection: raw bytes out, responses parsed by Content-Length; every wait bounded.
class Client {
 public:
  explicit Client(std::uint16_t port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  }
  ~Client() { close(fd_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  [[nodiscard]] bool connected() const { return connected_; }

  void send(const std::string& bytes) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
      const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) {
        ADD_FAILURE() << "send failed";
        return;
      }
      sent += static_cast<std::size_t>(n);
    }
  }

  // The next response, or nullopt when the connection closed or nothing came within 30 s.
  std::optional<HttpResponse> read_response() {
    std::size_t end = std::string::npos;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill()) {
        return std::nullopt;
      }
    }
    HttpResponse response;
    response.head = buffer_.substr(0, end);
    const std::string field = "\r\nContent-Length: ";
    const auto at = response.head.find(field);
    if (at == std::string::npos) {
      ADD_FAILURE() << "no Content-Length in " << response.head;
      return std::nullopt;
    }
    const std::size_t length = std::strtoul(response.head.c_str() + at + field.size(), nullptr, 10);
    while (buffer_.size() < end + 4 + length) {
      if (!fill()) {
        return std::nullopt;
      }
    }
    response.body = buffer_.substr(end + 4, length);
    buffer_.erase(0, end + 4 + length);
    return response;
  }

  // True when the server closed the connection (EOF within 30 s).
  bool closed_by_server() {
    while (fill()) {
    }
    return eof_;
  }

 private:
  bool fill() {
    pollfd entry{fd_, POLLIN, 0};
    if (poll(&entry, 1, 30'000) != 1) {
      return false;
    }
    char chunk[4096];
    const ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) {
      eof_ = n == 0;
      return false;
    }
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  bool eof_ = false;
  std::string buffer_;
};

std::string post_execute(const std::string& body, const std::string& extra_headers = {}) {
  return "POST /v1/capabilities/execute HTTP/1.1\r\nHost: test\r\nContent-Type: "
         "application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n" + extra_headers + "\r\n" + body;
}

// A runtime whose one capability waits for release() when its input says {"hold": true}, served
// by a Service on 127.0.0.1 port 0. Declaration order: the runtime outlives the service.
class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TraverseRuntime::Builder builder;
    builder.with_native_handler(kCapability, [this](const Value& input) {
      if (input.value("hold", false)) {
        release_future_.wait();
        held_done_.set_value();
      }
      return NativeHandler::Result(input);
    });
    auto runtime = builder.build();
    ASSERT_TRUE(runtime.has_value()) << runtime.error().to_string();
    runtime_ = std::move(*runtime);
    ASSERT_TRUE(runtime_->register_capability(Scope::Public, gate_contract(),
                                              ArtifactReference::native(kCapability)));
    ServiceConfig config;
    config.port = 0;
    config.io_threads = 1;
    ServiceDependencies dependencies;
    dependencies.runtime = runtime_.get();
    auto service = Service::start(std::move(dependencies), config);
    ASSERT_TRUE(service.has_value()) << service.error().to_string();
    service_ = std::move(*service);
  }
  void TearDown() override {
    release();
    service_.reset();
  }
  void release() {
    std::call_once(released_, [this] { release_.set_value(); });
  }

  std::unique_ptr<TraverseRuntime> runtime_;
  std::unique_ptr<Service> service_;
  std::promise<void> release_;
  std::shared_future<void> release_future_ = release_.get_future().share();
  std::once_flag released_;
  std::promise<void> held_done_;
};

TEST_F(ServiceTest, PastItsDeadlineARequestIsAnswered504AndItsLateAnswerIsDropped) {
  Client client(service_->port());
  ASSERT_TRUE(client.connected());
  client.send(post_execute(execute_body("held", true), "X-Traverse-Timeout-Ms: 100\r\n"));
  const auto timed_out = client.read_response();
  ASSERT_TRUE(timed_out.has_value());
  EXPECT_TRUE(timed_out->head.starts_with("HTTP/1.1 504 Gateway Timeout")) << timed_out->head;
  EXPECT_NE(timed_out->body.find("deadline_exceeded"), std::string::npos) << timed_out->body;

  // The capability finishes after its request was answered; its answer must not reach the next
  // request on the same connection.
  release();
  ASSERT_EQ(held_done_.get_future().wait_for(30s), std::future_status::ready);
  client.send(post_execute(execute_body("next", false)));
  const auto next = client.read_response();
  ASSERT_TRUE(next.has_value());
  EXPECT_TRUE(next->head.starts_with("HTTP/1.1 200 OK")) << next->head;
  EXPECT_NE(next->body.find(R"("request_id":"next")"), std::string::npos) << next->body;
  EXPECT_EQ(next->body.find(R"("request_id":"held")"), std::string::npos) << next->body;
}

TEST_F(ServiceTest, TheResponseHeadCarriesStatusLengthAndConnection) {
  {
    Client client(service_->port());
    ASSERT_TRUE(client.connected());
    client.send("GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n");
    const auto ok = client.read_response();
    ASSERT_TRUE(ok.has_value());
    EXPECT_TRUE(ok->head.starts_with("HTTP/1.1 200 OK\r\n")) << ok->head;
    EXPECT_TRUE(ok->has_line("Server: traverse")) << ok->head;
    EXPECT_TRUE(ok->has_line("Content-Type: application/json")) << ok->head;
    EXPECT_TRUE(ok->has_line("Content-Length: " + std::to_string(ok->body.size()))) << ok->head;
    EXPECT_EQ(ok->head.find("Connection:"), std::string::npos) << ok->head;
    EXPECT_EQ(ok->body, "{\"status\":\"ok\"}\n");

    // Extra headers of the API (Allow on 405) are written too.
    client.send("POST /healthz HTTP/1.1\r\nHost: test\r\nContent-Length: 0\r\n\r\n");
    const auto refused = client.read_response();
    ASSERT_TRUE(refused.has_value());
    EXPECT_TRUE(refused->head.starts_with("HTTP/1.1 405 Method Not Allowed")) << refused->head;
    EXPECT_TRUE(refused->has_line("Allow: GET")) << refused->head;

    // Connection: close is answered with Connection: close, then the server closes.
    client.send("GET /healthz HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
    const auto last = client.read_response();
    ASSERT_TRUE(last.has_value());
    EXPECT_TRUE(last->has_line("Connection: close")) << last->head;
    EXPECT_TRUE(client.closed_by_server());
  }
  {
    // HTTP/1.0 asking for keep-alive is told keep-alive and the connection stays open.
    Client client(service_->port());
    ASSERT_TRUE(client.connected());
    for (int i = 0; i < 2; ++i) {
      client.send("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
      const auto ok = client.read_response();
      ASSERT_TRUE(ok.has_value()) << "request " << i;
      EXPECT_TRUE(ok->head.starts_with("HTTP/1.0 200 OK\r\n")) << ok->head;
      EXPECT_TRUE(ok->has_line("Connection: keep-alive")) << ok->head;
    }
  }
}

TEST_F(ServiceTest, ABodyArrivingAfterItsHeaderIsReadLikeOneArrivingWithIt) {
  Client client(service_->port());
  ASSERT_TRUE(client.connected());
  // Header and body in one write, twice on the same connection (pipelined).
  client.send(post_execute(execute_body("one", false)) + post_execute(execute_body("two", false)));
  for (const char* id : {"one", "two"}) {
    const auto response = client.read_response();
    ASSERT_TRUE(response.has_value()) << id;
    EXPECT_TRUE(response->head.starts_with("HTTP/1.1 200 OK")) << response->head;
    EXPECT_NE(response->body.find(std::string(R"("request_id":")") + id + "\""), std::string::npos)
        << response->body;
  }
  // The header first, the body in two later writes: the transport reads the rest.
  const std::string body = execute_body("split", false);
  const std::string request = post_execute(body);
  const std::size_t header_end = request.size() - body.size();
  client.send(request.substr(0, header_end));
  client.send(body.substr(0, 10));
  client.send(body.substr(10));
  const auto split = client.read_response();
  ASSERT_TRUE(split.has_value());
  EXPECT_TRUE(split->head.starts_with("HTTP/1.1 200 OK")) << split->head;
  EXPECT_NE(split->body.find(R"("request_id":"split")"), std::string::npos) << split->body;
}

}  // namespace
}  // namespace traverse
