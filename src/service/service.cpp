// The HTTP/WebSocket transport of the service: the only translation unit that includes
// Boost.Beast/Asio (compiling it is slow; keep it out of every header).
//
// Threads: `io_threads` event loops, each its own io_context running on one thread; a connection
// lives on one loop for its whole life, so its state needs no lock. Blocking work goes to the
// runtime's executors (executions) or the WorkerPool (other blocking calls) through
// ServiceApi::dispatch; the answer is posted back to the connection's loop.
// TLS (OpenSSL through Asio's ssl stream): the session, WebSocket and SSE coroutines are
// templates over the stream, instantiated for plain TCP and for TLS over TCP.
#include "traverse/service/service.hpp"

#include <array>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/core/detect_ssl.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it
#include <vector>

namespace traverse {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

constexpr std::size_t kStreamBatch = 256;
// How long closing a TLS connection may take to send its close_notify.
constexpr std::chrono::seconds kTlsCloseTimeout{1};

template <class Stream>
constexpr bool kIsTls = std::is_same_v<Stream, TlsStream>;

template <class Stream>
tcp::socket& socket_of(Stream& stream) {
  return beast::get_lowest_layer(stream).socket();
}

// Ends the sending side: with TLS, sends close_notify first (without waiting for the peer's:
// the client reads our answer to its end and closes), bounded by kTlsCloseTimeout.
template <class Stream>
net::awaitable<void> close_send(Stream& stream) {
  if constexpr (kIsTls<Stream>) {
    // Tell OpenSSL the peer's close_notify is in, so that shutdown sends ours and completes.
    SSL_set_shutdown(stream.native_handle(), SSL_RECEIVED_SHUTDOWN);
    beast::get_lowest_layer(stream).expires_after(kTlsCloseTimeout);
    error_code ec;
    co_await stream.async_shutdown(net::redirect_error(net::use_awaitable, ec));
  }
  error_code ignored;
  socket_of(stream).shutdown(tcp::socket::shutdown_send, ignored);
}

std::string_view sv(beast::string_view text) {
  return {text.data(), text.size()};
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

}  // namespace

namespace service_detail {

// A connection as shutdown sees it: busy while a request is being answered.
struct Connection {
  boost::asio::ip::tcp::socket* socket = nullptr;
  bool busy = false;
};

}  // namespace service_detail

using service_detail::Connection;

struct Service::Impl {
  ServiceConfig config;
  ServiceMetrics metrics;
  std::unique_ptr<net::ssl::context> tls;  // set when the service speaks TLS
  std::unique_ptr<WorkerPool> pool;
  std::unique_ptr<EventHub> hub;
  std::unique_ptr<ServiceApi> api;

  std::vector<std::unique_ptr<net::io_context>> contexts;
  std::vector<net::executor_work_guard<net::io_context::executor_type>> guards;
  std::vector<std::thread::id> thread_ids;        // of each context's thread, set once started
  std::vector<std::set<Connection*>> registries;  // per context; touched on its thread only
  std::vector<std::thread> threads;
  std::unique_ptr<tcp::acceptor> acceptor;  // on contexts[0]
  std::unique_ptr<net::signal_set> signals;
  std::unique_ptr<net::steady_timer> pump_timer;
  std::string address;
  std::uint16_t port = 0;
  std::size_t next_context = 0;

  std::atomic<bool> draining{false};
  std::atomic<std::size_t> connections{0};
  std::atomic<std::size_t> in_flight{0};
  std::atomic<std::size_t> streams{0};

  std::mutex mutex;
  std::condition_variable changed;
  // Guarded by mutex.
  bool shutdown_started = false;
  bool stopped = false;
  std::thread stopper;

  void log(std::string_view method, std::string_view target, unsigned status,
           Clock::time_point started, std::string_view trace_id) const {
    if (!config.access_log) {
      return;
    }
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
    char duration[32];
    std::snprintf(duration, sizeof duration, "%.3fms", ms);
    std::string line;
    line.reserve(128);
    line.append(method).append(" ").append(target).append(" ").append(std::to_string(status));
    line.append(" ").append(duration).append(" trace=");
    line.append(trace_id.empty() ? std::string_view("-") : trace_id);
    config.access_log(line);
  }

  void request_done() {
    if (in_flight.fetch_sub(1) == 1 && draining.load()) {
      std::lock_guard lock(mutex);
      changed.notify_all();
    }
  }

  void begin_shutdown();
  void run_shutdown();
  net::awaitable<void> accept_loop();
  net::awaitable<void> pump_loop();
  // One accepted connection: registration for shutdown, then (with TLS) the handshake, then
  // session().
  net::awaitable<void> connection_main(tcp::socket socket, std::size_t index);
  // Answers a plain HTTP request sent to the TLS port with 400 and closes.
  net::awaitable<void> refuse_plain_http(PlainStream& stream);
  template <class Stream>
  net::awaitable<void> session(Stream stream, Connection& connection, beast::flat_buffer buffer);
  // Reads one request within the idle and header timeouts and the size limits; refuses (and
  // ends the connection on) a request it cannot take. nullopt: the session is over.
  template <class Stream>
  net::awaitable<std::optional<http::request<http::string_body>>> read_request(
      Stream& stream, beast::flat_buffer& buffer, Clock::time_point& started);
  // Answers `code` with the connection closing after it (the request could not be read).
  template <class Stream>
  net::awaitable<void> refuse(Stream& stream, std::string_view code, std::string message);
  // Hands the request to the API and waits for its answer, at most until the deadline.
  // `timer`: the connection's, idle between requests.
  net::awaitable<ApiResponse> answer(ApiRequest api_request,
                                     std::chrono::steady_clock::time_point deadline,
                                     net::steady_timer& timer);
  template <class Stream>
  net::awaitable<void> websocket_session(Stream stream, http::request<http::string_body> request,
                                         Connection& connection, std::vector<std::string> types,
                                         std::uint64_t cursor);
  template <class Stream>
  net::awaitable<void> sse_session(Stream stream, Connection& connection,
                                   std::vector<std::string> types, std::uint64_t cursor);
};

namespace {

// The status line and header of `response` (Content-Length from its body), written straight into
// `head` (cleared first; the connection reuses it): no per-field allocation, no serializer.
// Connection: close when the connection ends after it (HTTP/1.1), keep-alive when it stays open
// (HTTP/1.0) — what Beast's keep_alive() writes.
void response_head(std::string& head, const ApiResponse& response, unsigned version,
                   bool keep_alive) {
  const auto reason = http::obsolete_reason(static_cast<http::status>(response.status));
  char number[24];
  head.clear();
  head.append(version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
  head.append(number, std::to_chars(number, number + sizeof number, response.status).ptr);
  head.append(" ").append(reason.data(), reason.size());
  head.append("\r\nServer: traverse\r\nContent-Type: ").append(response.content_type);
  for (const auto& [name, value] : response.headers) {
    head.append("\r\n").append(name).append(": ").append(value);
  }
  if (version >= 11 && !keep_alive) {
    head.append("\r\nConnection: close");
  } else if (version < 11 && keep_alive) {
    head.append("\r\nConnection: keep-alive");
  }
  head.append("\r\nContent-Length: ");
  head.append(number, std::to_chars(number, number + sizeof number, response.body.size()).ptr);
  head.append("\r\n\r\n");
}

// Writes `response` (head and body in one gather write). The caller sets the stream's expiry.
template <class Stream>
net::awaitable<void> write_response(Stream& stream, std::string& head, const ApiResponse& response,
                                    unsigned version, bool keep_alive, error_code& ec) {
  response_head(head, response, version, keep_alive);
  const std::array<net::const_buffer, 2> buffers{net::buffer(head), net::buffer(response.body)};
  co_await net::async_write(stream, buffers, net::redirect_error(net::use_awaitable, ec));
}

// The event stream parameters: ?type=a,b (repeatable) and the cursor (?cursor=N or
// Last-Event-ID).
struct StreamParams {
  std::vector<std::string> types;
  std::uint64_t cursor = 0;
  bool valid = true;
};

StreamParams stream_params(std::string_view target, std::string_view last_event_id) {
  StreamParams params;
  const auto question = target.find('?');
  std::string_view query = question == std::string_view::npos ? "" : target.substr(question + 1);
  const auto parse_number = [&](std::string_view text) {
    std::uint64_t value = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || ptr != text.data() + text.size()) {
      params.valid = false;
    }
    return value;
  };
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const auto eq = pair.find('=');
    const std::string_view key = pair.substr(0, eq);
    const std::string_view value = eq == std::string_view::npos ? "" : pair.substr(eq + 1);
    if (key == "type") {
      std::string_view rest = value;
      while (!rest.empty()) {
        const auto comma = rest.find(',');
        if (comma != 0) {
          params.types.emplace_back(rest.substr(0, comma));
        }
        if (comma == std::string_view::npos) {
          break;
        }
        rest.remove_prefix(comma + 1);
      }
    } else if (key == "cursor") {
      params.cursor = parse_number(value);
    }
    if (amp == std::string_view::npos) {
      break;
    }
    query.remove_prefix(amp + 1);
  }
  if (!last_event_id.empty()) {
    params.cursor = parse_number(last_event_id);
  }
  return params;
}

std::string dropped_json(std::uint64_t dropped, std::uint64_t resume_after) {
  return "{\"dropped\":" + std::to_string(dropped) +
         ",\"kind\":\"dropped\",\"resume_after\":" + std::to_string(resume_after) + "}";
}

std::string event_json(const HubEvent& event) {
  return "{\"cursor\":\"" + event.broker_cursor + "\",\"event\":" + event.json +
         ",\"kind\":\"event\",\"sequence\":" + std::to_string(event.sequence) +
         ",\"type\":" + canonical_dump(Value(event.event_type)) + "}";
}

}  // namespace

net::awaitable<void> Service::Impl::pump_loop() {
  for (;;) {
    hub->pump();
    pump_timer->expires_after(config.event_poll_interval);
    error_code ec;
    co_await pump_timer->async_wait(net::redirect_error(net::use_awaitable, ec));
    if (ec || draining.load()) {
      hub->pump();
      co_return;
    }
  }
}

net::awaitable<void> Service::Impl::accept_loop() {
  for (;;) {
    const std::size_t index = next_context++ % contexts.size();
    error_code ec;
    tcp::socket socket = co_await acceptor->async_accept(
        *contexts[index], net::redirect_error(net::use_awaitable, ec));
    if (ec) {
      if (ec == net::error::operation_aborted || !acceptor->is_open()) {
        co_return;
      }
      continue;  // e.g. EMFILE: keep accepting
    }
    if (draining.load() || connections.load() >= config.max_connections) {
      socket.close(ec);  // the cap: refused, not queued
      continue;
    }
    connections.fetch_add(1);
    net::co_spawn(socket.get_executor(), connection_main(std::move(socket), index), net::detached);
  }
}

net::awaitable<void> Service::Impl::connection_main(tcp::socket socket, std::size_t index) {
  PlainStream stream(std::move(socket));
  Connection connection{&stream.socket(), false};
  registries[index].insert(&connection);
  struct Cleanup {
    Impl& impl;
    std::size_t index;
    Connection& connection;
    ~Cleanup() {
      impl.registries[index].erase(&connection);
      impl.connections.fetch_sub(1);
      if (impl.draining.load()) {
        std::lock_guard lock(impl.mutex);
        impl.changed.notify_all();
      }
    }
  } cleanup{*this, index, connection};

  beast::flat_buffer buffer;
  if (!tls) {
    co_await session(std::move(stream), connection, std::move(buffer));
    co_return;
  }
  // TLS: the first bytes tell a TLS client hello from plain HTTP; both must arrive within
  // header_timeout, like a request's header.
  error_code ec;
  stream.expires_after(config.header_timeout);
  const bool hello =
      co_await beast::async_detect_ssl(stream, buffer, net::redirect_error(net::use_awaitable, ec));
  if (ec) {
    co_return;
  }
  if (!hello) {
    co_await refuse_plain_http(stream);
    co_return;
  }
  TlsStream secure(std::move(stream), *tls);
  connection.socket = &socket_of(secure);
  const std::size_t used = co_await secure.async_handshake(
      net::ssl::stream_base::server, buffer.data(), net::redirect_error(net::use_awaitable, ec));
  if (ec) {
    // Not a TLS client we can talk to (bad hello, unknown CA on its side, timeout): close.
    co_return;
  }
  buffer.consume(used);
  co_await session(std::move(secure), connection, std::move(buffer));
}

net::awaitable<void> Service::Impl::refuse_plain_http(PlainStream& stream) {
  ApiResponse response = ServiceApi::error_response(
      "invalid_request",
      "this port speaks HTTPS only (the service was started with --tls-cert); "
      "use https:// and wss://");
  std::string head;
  error_code ec;
  stream.expires_after(config.header_timeout);
  co_await write_response(stream, head, response, 11, false, ec);
  metrics.record_request("unmatched", response.status);
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  // Drain what the client still sends (bounded) so that closing does not reset the connection
  // before it has read the answer.
  char sink[1024];
  stream.expires_after(std::chrono::seconds(1));
  for (;;) {
    co_await stream.async_read_some(net::buffer(sink), net::redirect_error(net::use_awaitable, ec));
    if (ec) {
      break;
    }
  }
}

template <class Stream>
net::awaitable<void> Service::Impl::refuse(Stream& stream, std::string_view code,
                                           std::string message) {
  ApiResponse response = ServiceApi::error_response(code, std::move(message));
  std::string head;
  error_code write_ec;
  beast::get_lowest_layer(stream).expires_after(config.header_timeout);
  co_await write_response(stream, head, response, 11, false, write_ec);
  metrics.record_request("unmatched", response.status);
  co_await close_send(stream);
}

template <class Stream>
net::awaitable<std::optional<http::request<http::string_body>>> Service::Impl::read_request(
    Stream& stream, beast::flat_buffer& buffer, Clock::time_point& started) {
  auto& lowest = beast::get_lowest_layer(stream);
  // Built only when a request is refused (not on every request).
  const auto body_limit = [this] {
    return "the body exceeds the limit of " + std::to_string(config.max_body_bytes) + " bytes";
  };
  error_code ec;
  // Idle wait for the first byte, then the whole header (and body) within header_timeout: a
  // slow sender cannot hold the connection longer than that.
  if (buffer.size() == 0) {
    lowest.expires_after(config.idle_timeout);
    const std::size_t n = co_await stream.async_read_some(
        buffer.prepare(4096), net::redirect_error(net::use_awaitable, ec));
    if (ec) {
      co_return std::nullopt;
    }
    buffer.commit(n);
  }
  lowest.expires_after(config.header_timeout);
  http::request_parser<http::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(config.max_header_bytes));
  parser.body_limit(config.max_body_bytes);
  co_await http::async_read_header(stream, buffer, parser,
                                   net::redirect_error(net::use_awaitable, ec));
  started = Clock::now();
  if (ec) {
    if (ec == http::error::header_limit) {
      co_await refuse(
          stream, "header_too_large",
          "the request header exceeds " + std::to_string(config.max_header_bytes) + " bytes");
    } else if (ec == http::error::body_limit) {
      // Content-Length beyond the cap: refused before a byte of the body is read.
      co_await refuse(stream, "body_too_large", body_limit());
    } else if (ec != beast::error::timeout && ec != http::error::end_of_stream &&
               ec != net::error::eof && ec != net::error::operation_aborted) {
      co_await refuse(stream, "invalid_request", "malformed HTTP request: " + ec.message());
    }
    co_return std::nullopt;
  }
  if (const auto length = parser.content_length(); length && *length > config.max_body_bytes) {
    co_await refuse(stream, "body_too_large",
                    "the body (" + std::to_string(*length) + " bytes) exceeds the limit of " +
                        std::to_string(config.max_body_bytes) + " bytes");
    co_return std::nullopt;
  }
  // The body that arrived with the header (all of it, for a small request) is parsed here, not by
  // another read operation.
  if (!parser.is_done() && buffer.size() > 0 && parser.get()[http::field::expect].empty()) {
    parser.eager(true);
    buffer.consume(parser.put(buffer.data(), ec));
    if (ec == http::error::need_more) {
      ec = {};
    }
    if (ec) {
      if (ec == http::error::body_limit) {
        co_await refuse(stream, "body_too_large", body_limit());
      } else {
        co_await refuse(stream, "invalid_request", "malformed HTTP request body: " + ec.message());
      }
      co_return std::nullopt;
    }
  }
  if (!parser.is_done()) {
    if (lowercase(sv(parser.get()[http::field::expect])) == "100-continue") {
      http::response<http::empty_body> go_on{http::status::continue_, 11};
      co_await http::async_write(stream, go_on, net::redirect_error(net::use_awaitable, ec));
      if (ec) {
        co_return std::nullopt;
      }
    }
    co_await http::async_read(stream, buffer, parser, net::redirect_error(net::use_awaitable, ec));
    if (ec) {
      if (ec == http::error::body_limit) {
        co_await refuse(stream, "body_too_large", body_limit());
      } else if (ec != beast::error::timeout && ec != net::error::eof &&
                 ec != net::error::operation_aborted) {
        co_await refuse(stream, "invalid_request", "malformed HTTP request body: " + ec.message());
      }
      co_return std::nullopt;
    }
  }
  lowest.expires_never();
  co_return parser.release();
}

net::awaitable<ApiResponse> Service::Impl::answer(ApiRequest api_request,
                                                  std::chrono::steady_clock::time_point deadline,
                                                  net::steady_timer& timer) {
  // The answer arrives on this thread (inline routes) or from the thread that produced it (an
  // executor's worker, a WorkerPool thread), which stores it and posts one small wake-up here;
  // the connection's timer doubles as that wake-up's wait and the request's deadline.
  // Everything but `answer` is touched on this thread only.
  struct Pending {
    net::any_io_executor executor;
    std::thread::id io_thread;
    net::steady_timer* timer = nullptr;  // null once the request no longer waits
    std::optional<ApiResponse> response;
    ApiResponse answer;  // written once by the producing thread, before it posts
  };
  auto pending = std::make_shared<Pending>();
  pending->executor = co_await net::this_coro::executor;
  pending->io_thread = std::this_thread::get_id();
  api->dispatch(std::move(api_request), deadline, [pending](ApiResponse answer) {
    if (std::this_thread::get_id() == pending->io_thread) {
      pending->response = std::move(answer);
      return;
    }
    pending->answer = std::move(answer);
    net::post(pending->executor, [pending] {
      if (pending->timer != nullptr) {
        pending->response = std::move(pending->answer);
        pending->timer->cancel();
      }
    });
  });
  if (!pending->response) {
    pending->timer = &timer;
    timer.expires_at(deadline);
    error_code wait_ec;
    co_await timer.async_wait(net::redirect_error(net::use_awaitable, wait_ec));
    pending->timer = nullptr;
  }
  if (pending->response) {
    co_return std::move(*pending->response);
  }
  // Still running at the deadline: answer now; the execution finishes (and is traced) on its
  // worker, its result is dropped.
  co_return ServiceApi::error_response("deadline_exceeded",
                                       "no answer within the request's deadline "
                                       "(X-Traverse-Timeout-Ms, bounded by the server maximum)");
}

template <class Stream>
net::awaitable<void> Service::Impl::session(Stream stream, Connection& connection,
                                            beast::flat_buffer buffer) {
  auto& lowest = beast::get_lowest_layer(stream);
  // Reused by every request of the connection: the deadline timer and the response head.
  net::steady_timer timer(lowest.get_executor());
  std::string head;
  for (;;) {
    Clock::time_point started;
    auto read = co_await read_request(stream, buffer, started);
    if (!read) {
      co_return;
    }
    http::request<http::string_body> request = std::move(*read);
    ApiRequest api_request;
    api_request.method = sv(request.method_string());
    api_request.target = sv(request.target());
    api_request.authorization = sv(request[http::field::authorization]);
    api_request.prefer = sv(request["Prefer"]);
    api_request.timeout_ms = sv(request["X-Traverse-Timeout-Ms"]);

    connection.busy = true;
    in_flight.fetch_add(1);
    const bool keep_alive = request.keep_alive() && !draining.load();
    RouteMatch match = api->match(api_request);
    std::optional<ApiResponse> response;
    if (match.rejection) {
      response = std::move(*match.rejection);
    } else if (match.events) {
      // GET /v1/events: a WebSocket or SSE stream takes the connection over.
      const auto params = stream_params(api_request.target, sv(request["Last-Event-ID"]));
      const bool upgrade = websocket::is_upgrade(request);
      const bool sse = lowercase(sv(request[http::field::accept])).find("text/event-stream") !=
                       std::string::npos;
      if (!params.valid) {
        response = ServiceApi::error_response(
            "invalid_parameter", "cursor / Last-Event-ID must be a non-negative integer");
      } else if (!upgrade && !sse) {
        response = ServiceApi::error_response(
            "invalid_parameter",
            "GET /v1/events streams: upgrade to WebSocket, or send Accept: text/event-stream");
      } else {
        const unsigned status = upgrade ? 101 : 200;
        metrics.record_request(match.route, status);
        log(api_request.method, api_request.target, status, started, {});
        connection.busy = false;
        request_done();
        if (upgrade) {
          co_await websocket_session(std::move(stream), std::move(request), connection,
                                     params.types, params.cursor);
        } else {
          co_await sse_session(std::move(stream), connection, params.types, params.cursor);
        }
        co_return;
      }
    }
    if (!response) {
      if (const auto deadline = api->deadline_of(api_request); !deadline) {
        response = ServiceApi::error_response(
            "invalid_parameter", "X-Traverse-Timeout-Ms must be a positive integer (ms)");
      } else {
        api_request.body = std::move(request.body());
        response = co_await answer(std::move(api_request), *deadline, timer);
      }
    }
    const bool keep = keep_alive && !draining.load();
    lowest.expires_after(config.idle_timeout);
    error_code ec;
    co_await write_response(stream, head, *response, request.version(), keep, ec);
    metrics.record_request(match.route, response->status);
    log(sv(request.method_string()), sv(request.target()), response->status, started,
        response->trace_id);
    connection.busy = false;
    request_done();
    if (ec || !keep) {
      if (!ec) {
        co_await close_send(stream);
      }
      co_return;
    }
  }
}

template <class Stream>
net::awaitable<void> Service::Impl::websocket_session(Stream stream,
                                                      http::request<http::string_body> request,
                                                      Connection& connection,
                                                      std::vector<std::string> types,
                                                      std::uint64_t cursor) {
  streams.fetch_add(1);
  struct StreamCount {
    std::atomic<std::size_t>& count;
    ~StreamCount() { count.fetch_sub(1); }
  } counted{streams};
  websocket::stream<Stream> ws(std::move(stream));
  connection.socket = &beast::get_lowest_layer(ws).socket();
  beast::get_lowest_layer(ws).expires_never();
  ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
  ws.read_message_max(64 * 1024);
  error_code ec;
  co_await ws.async_accept(request, net::redirect_error(net::use_awaitable, ec));
  if (ec) {
    co_return;
  }
  const auto executor = co_await net::this_coro::executor;
  auto closed = std::make_shared<bool>(false);
  auto timer = std::make_shared<net::steady_timer>(executor);
  // Reader: the client only ever closes; any read error ends the stream.
  net::co_spawn(
      executor,
      [&ws, closed, timer]() -> net::awaitable<void> {
        beast::flat_buffer incoming;
        error_code read_ec;
        for (;;) {
          co_await ws.async_read(incoming, net::redirect_error(net::use_awaitable, read_ec));
          if (read_ec) {
            break;
          }
          incoming.consume(incoming.size());
        }
        *closed = true;
        timer->cancel();
      },
      net::detached);
  ws.text(true);
  while (!*closed && !draining.load()) {
    const HubRead read = hub->read(cursor, kStreamBatch, types);
    if (read.dropped > 0) {
      const std::string text = dropped_json(read.dropped, read.last);
      co_await ws.async_write(net::buffer(text), net::redirect_error(net::use_awaitable, ec));
      if (ec)
        break;
    }
    for (const auto& event : read.events) {
      const std::string text = event_json(event);
      co_await ws.async_write(net::buffer(text), net::redirect_error(net::use_awaitable, ec));
      if (ec)
        break;
    }
    if (ec)
      break;
    const bool idle = read.last == cursor;
    cursor = read.last;
    if (idle) {
      timer->expires_after(config.event_poll_interval);
      error_code wait_ec;
      co_await timer->async_wait(net::redirect_error(net::use_awaitable, wait_ec));
    }
  }
  if (!*closed) {
    co_await ws.async_close(websocket::close_code::going_away,
                            net::redirect_error(net::use_awaitable, ec));
  }
  // The reader must finish before `ws` goes away.
  while (!*closed) {
    timer->expires_after(std::chrono::milliseconds(10));
    error_code wait_ec;
    co_await timer->async_wait(net::redirect_error(net::use_awaitable, wait_ec));
    error_code ignored;
    beast::get_lowest_layer(ws).socket().close(ignored);
  }
}

template <class Stream>
net::awaitable<void> Service::Impl::sse_session(Stream stream, Connection& connection,
                                                std::vector<std::string> types,
                                                std::uint64_t cursor) {
  streams.fetch_add(1);
  struct StreamCount {
    std::atomic<std::size_t>& count;
    ~StreamCount() { count.fetch_sub(1); }
  } counted{streams};
  auto& lowest = beast::get_lowest_layer(stream);
  connection.socket = &lowest.socket();
  error_code ec;
  const std::string head =
      "HTTP/1.1 200 OK\r\nServer: traverse\r\nContent-Type: text/event-stream\r\n"
      "Cache-Control: no-cache\r\nConnection: close\r\n\r\n";
  lowest.expires_after(config.idle_timeout);
  co_await net::async_write(stream, net::buffer(head), net::redirect_error(net::use_awaitable, ec));
  lowest.expires_never();
  if (ec) {
    co_return;
  }
  const auto executor = co_await net::this_coro::executor;
  auto closed = std::make_shared<bool>(false);
  auto timer = std::make_shared<net::steady_timer>(executor);
  // Reader (never under a timeout: a pending read keeps its own expiry): EOF means the client
  // left. Plain: the raw socket; TLS: the TLS stream, which may read while the writer writes.
  net::co_spawn(
      executor,
      [&stream, closed, timer]() -> net::awaitable<void> {
        char sink[512];
        error_code read_ec;
        for (;;) {
          if constexpr (kIsTls<Stream>) {
            co_await stream.async_read_some(net::buffer(sink),
                                            net::redirect_error(net::use_awaitable, read_ec));
          } else {
            co_await stream.socket().async_read_some(
                net::buffer(sink), net::redirect_error(net::use_awaitable, read_ec));
          }
          if (read_ec) {
            break;
          }
        }
        *closed = true;
        timer->cancel();
      },
      net::detached);
  while (!*closed && !draining.load()) {
    const HubRead read = hub->read(cursor, kStreamBatch, types);
    std::string text;
    if (read.dropped > 0) {
      text += "event: dropped\nid: " + std::to_string(read.last) +
              "\ndata: " + dropped_json(read.dropped, read.last) + "\n\n";
    }
    for (const auto& event : read.events) {
      text += "id: " + std::to_string(event.sequence) + "\nevent: " + event.event_type +
              "\ndata: " + event_json(event) + "\n\n";
    }
    if (!text.empty()) {
      lowest.expires_after(config.idle_timeout);
      co_await net::async_write(stream, net::buffer(text),
                                net::redirect_error(net::use_awaitable, ec));
      lowest.expires_never();
      if (ec)
        break;
    }
    const bool idle = read.last == cursor;
    cursor = read.last;
    if (idle) {
      timer->expires_after(config.event_poll_interval);
      error_code wait_ec;
      co_await timer->async_wait(net::redirect_error(net::use_awaitable, wait_ec));
    }
  }
  error_code ignored;
  lowest.socket().shutdown(tcp::socket::shutdown_both, ignored);
  lowest.socket().close(ignored);
  while (!*closed) {
    timer->expires_after(std::chrono::milliseconds(10));
    error_code wait_ec;
    co_await timer->async_wait(net::redirect_error(net::use_awaitable, wait_ec));
  }
}

void Service::Impl::begin_shutdown() {
  std::lock_guard lock(mutex);
  if (shutdown_started) {
    return;
  }
  shutdown_started = true;
  stopper = std::thread([this] { run_shutdown(); });
}

void Service::Impl::run_shutdown() {
  draining.store(true);
  api->set_ready(false);
  net::post(*contexts[0], [this] {
    error_code ignored;
    acceptor->close(ignored);
    if (signals) {
      signals->cancel(ignored);
    }
    pump_timer->cancel();
  });
  // Close every connection that is not answering a request (idle keep-alive, half-read
  // requests, event streams); busy ones close after their response.
  for (std::size_t i = 0; i < contexts.size(); ++i) {
    net::post(*contexts[i], [this, i] {
      for (Connection* connection : registries[i]) {
        if (!connection->busy) {
          error_code ignored;
          connection->socket->shutdown(tcp::socket::shutdown_both, ignored);
          connection->socket->close(ignored);
        }
      }
    });
  }
  {
    std::unique_lock lock(mutex);
    changed.wait_for(lock, config.shutdown_grace,
                     [this] { return in_flight.load() == 0 && connections.load() == 0; });
  }
  for (auto& guard : guards) {
    guard.reset();
  }
  for (auto& context : contexts) {
    context->stop();
  }
  for (auto& thread : threads) {
    if (thread.joinable()) {
      thread.join();
    }
  }
  // Executions that outlived their request (deadline) or the grace period still finish and are
  // traced; their answers are posted to the stopped loops and dropped with them.
  api->wait_for_executions();
  pool->shutdown();
  std::lock_guard lock(mutex);
  stopped = true;
  changed.notify_all();
}

namespace {

// A readable, non-empty file, or the reason it is not.
std::expected<void, ServiceError> check_file(const std::string& option, const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) {
    return std::unexpected(
        ServiceError{ServiceErrorKind::Tls, option + " " + path + ": " + ec.message()});
  }
  if (size == 0 || !std::ifstream(path).good()) {
    return std::unexpected(ServiceError{
        ServiceErrorKind::Tls,
        option + " " + path + ": " + (size == 0 ? "the file is empty" : "cannot be read")});
  }
  return {};
}

// The server's TLS context: TLS 1.2 or later, the certificate chain and its key (checked to
// match). Failure: Tls naming the file and OpenSSL's reason.
std::expected<std::unique_ptr<net::ssl::context>, ServiceError> load_tls(
    const ServiceConfig& config) {
  if (auto ok = check_file("--tls-cert", config.tls_cert_file); !ok) {
    return std::unexpected(ok.error());
  }
  if (auto ok = check_file("--tls-key", config.tls_key_file); !ok) {
    return std::unexpected(ok.error());
  }
  auto context = std::make_unique<net::ssl::context>(net::ssl::context::tls_server);
  context->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                       net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                       net::ssl::context::no_tlsv1_1 | net::ssl::context::single_dh_use);
  error_code ec;
  context->use_certificate_chain_file(config.tls_cert_file, ec);
  if (ec) {
    return std::unexpected(ServiceError{
        ServiceErrorKind::Tls,
        "--tls-cert " + config.tls_cert_file + " is not a PEM certificate chain: " + ec.message()});
  }
  context->use_private_key_file(config.tls_key_file, net::ssl::context::pem, ec);
  if (ec) {
    return std::unexpected(
        ServiceError{ServiceErrorKind::Tls, "--tls-key " + config.tls_key_file +
                                                " is not a PEM private key matching --tls-cert " +
                                                config.tls_cert_file + ": " + ec.message()});
  }
  if (SSL_CTX_check_private_key(context->native_handle()) != 1) {
    return std::unexpected(
        ServiceError{ServiceErrorKind::Tls, "--tls-key " + config.tls_key_file +
                                                " does not match the certificate in --tls-cert " +
                                                config.tls_cert_file});
  }
  return context;
}

}  // namespace

// ---- Service ----

std::expected<std::unique_ptr<Service>, ServiceError> Service::start(
    ServiceDependencies dependencies, ServiceConfig config) {
  if (auto valid = validate(config); !valid) {
    return std::unexpected(valid.error());
  }
  if (dependencies.runtime == nullptr) {
    return std::unexpected(ServiceError{ServiceErrorKind::InvalidConfig, "no runtime to serve"});
  }
  if (!is_loopback_address(config.address) && dependencies.tokens.empty()) {
    return std::unexpected(ServiceError{
        ServiceErrorKind::Insecure,
        "refusing to listen on " + config.address +
            " without tokens: anyone on the network could run capabilities; give a token file "
            "or listen on 127.0.0.1"});
  }
  std::unique_ptr<net::ssl::context> tls;
  if (!config.tls_cert_file.empty()) {
    auto loaded = load_tls(config);
    if (!loaded) {
      return std::unexpected(loaded.error());
    }
    tls = std::move(*loaded);
  }
  error_code ec;
  const auto ip = net::ip::make_address(
      config.address == "localhost" ? std::string("127.0.0.1") : config.address, ec);
  if (ec) {
    return std::unexpected(
        ServiceError{ServiceErrorKind::Bind, "'" + config.address + "' is not an IP address"});
  }

  auto impl = std::make_unique<Impl>();
  impl->config = std::move(config);
  impl->tls = std::move(tls);
  const ServiceConfig& cfg = impl->config;
  for (std::size_t i = 0; i < cfg.io_threads; ++i) {
    impl->contexts.push_back(std::make_unique<net::io_context>(1));
    impl->guards.push_back(net::make_work_guard(*impl->contexts.back()));
  }
  impl->registries.resize(cfg.io_threads);

  auto acceptor = std::make_unique<tcp::acceptor>(*impl->contexts[0]);
  const tcp::endpoint endpoint(ip, cfg.port);
  acceptor->open(endpoint.protocol(), ec);
  if (!ec)
    acceptor->set_option(net::socket_base::reuse_address(true), ec);
  if (!ec)
    acceptor->bind(endpoint, ec);
  if (!ec)
    acceptor->listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return std::unexpected(ServiceError{
        ServiceErrorKind::Bind,
        "cannot listen on " + cfg.address + ":" + std::to_string(cfg.port) + ": " + ec.message()});
  }
  impl->port = acceptor->local_endpoint().port();
  impl->address = cfg.address;
  impl->acceptor = std::move(acceptor);

  auto* runtime = dependencies.runtime;
  impl->pool = std::make_unique<WorkerPool>(cfg.workers, cfg.max_queued);
  impl->hub =
      std::make_unique<EventHub>(runtime->broker(), runtime->event_catalog(), cfg.event_buffer);
  impl->api = std::make_unique<ServiceApi>(std::move(dependencies), impl->config, *impl->pool,
                                           impl->metrics, *impl->hub);
  Impl* raw = impl.get();
  impl->api->set_gauge_source([raw] {
    return std::vector<ServiceMetrics::Gauge>{
        {"traverse_http_connections_open", "Open HTTP connections.",
         static_cast<double>(raw->connections.load())},
        {"traverse_http_requests_in_flight", "Requests being answered.",
         static_cast<double>(raw->in_flight.load())},
        {"traverse_event_streams_open", "Open /v1/events streams.",
         static_cast<double>(raw->streams.load())}};
  });
  impl->pump_timer = std::make_unique<net::steady_timer>(*impl->contexts[0]);
  if (cfg.handle_signals) {
    impl->signals = std::make_unique<net::signal_set>(*impl->contexts[0], SIGINT, SIGTERM);
    impl->signals->async_wait([raw](const error_code& signal_ec, int) {
      if (!signal_ec) {
        raw->begin_shutdown();
      }
    });
  }
  net::co_spawn(*impl->contexts[0], impl->accept_loop(), net::detached);
  net::co_spawn(*impl->contexts[0], impl->pump_loop(), net::detached);
  for (std::size_t i = 0; i < cfg.io_threads; ++i) {
    net::io_context* context = impl->contexts[i].get();
    impl->threads.emplace_back([context] { context->run(); });
  }
  return std::unique_ptr<Service>(new Service(std::move(impl)));
}

Service::Service(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Service::~Service() {
  shutdown();
  wait();
  if (impl_->stopper.joinable()) {
    impl_->stopper.join();
  }
  // Pending handlers and coroutine frames refer to the API, hub and registries: destroy the
  // loops first.
  impl_->signals.reset();
  impl_->pump_timer.reset();
  impl_->acceptor.reset();
  impl_->guards.clear();
  impl_->contexts.clear();
  impl_->api.reset();
  impl_->hub.reset();
  impl_->pool.reset();
}

std::uint16_t Service::port() const {
  return impl_->port;
}

std::string Service::url() const {
  const bool v6 = impl_->address.find(':') != std::string::npos;
  return (impl_->tls ? "https://" : "http://") +
         (v6 ? "[" + impl_->address + "]" : impl_->address) + ":" + std::to_string(impl_->port);
}

void Service::shutdown() {
  impl_->begin_shutdown();
}

void Service::wait() {
  std::unique_lock lock(impl_->mutex);
  impl_->changed.wait(lock, [this] { return impl_->stopped; });
}

}  // namespace traverse
