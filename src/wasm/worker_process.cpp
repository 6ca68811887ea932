// One sandbox worker process (see worker_process.hpp).
#include "worker_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "child_process.hpp"
#include "cpu_load.hpp"
#include "protocol.hpp"
#include "spin_wait.hpp"

namespace traverse::wasm_internal {
namespace {

constexpr int kChildSocketFd = 3;
constexpr std::size_t kReceiveBufferBytes = 64U * 1024U;

// How long receive() polls the socket before it sleeps in poll(2). Waking a sleeping CPU costs
// more than a short guest call on a paravirtualised machine (tens of microseconds); polling this
// long (a few dozen non-blocking recv calls, with the CPU's pause hint between them) answers a
// fast call at once and bounds the CPU spent on a slow one.
constexpr auto kSpinBeforeSleep = std::chrono::microseconds(100);

std::string errno_text(int error) {
  return std::strerror(error);
}

int remaining_ms(WorkerProcess::Clock::time_point deadline) {
  const auto left =
      std::chrono::ceil<std::chrono::milliseconds>(deadline - WorkerProcess::Clock::now());
  if (left.count() <= 0)
    return 0;
  return left.count() > 1'000'000'000 ? 1'000'000'000 : static_cast<int>(left.count());
}

// Waits until `fd` has `events` or the deadline passes. true: ready (or error/hangup: let the
// following call report it).
bool wait_fd(int fd, short events, WorkerProcess::Clock::time_point deadline) {
  for (;;) {
    pollfd entry{fd, events, 0};
    const int ready = poll(&entry, 1, remaining_ms(deadline));
    if (ready > 0)
      return true;
    if (ready == 0)
      return false;
    if (errno != EINTR)
      return true;
  }
}

std::string describe_status(int status) {
  std::string text = describe_wait_status(status);
  if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
    text += ": the sandbox's seccomp filter stopped a forbidden system call";
  return text;
}

}  // namespace

bool cpu_idle_now() {
  static const int cpus = usable_cpus();
  static std::atomic<std::int64_t> sampled_at_ns{0};
  static std::atomic<bool> idle{false};
  if (cpus < 2)
    return false;  // the worker and its host share the only CPU: never poll
  const std::int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                               WorkerProcess::Clock::now().time_since_epoch())
                               .count();
  if (now - sampled_at_ns.load(std::memory_order_relaxed) >= 1'000'000) {
    sampled_at_ns.store(now, std::memory_order_relaxed);
    const int running = runnable_threads_now();
    // The caller is one of them; a worker polling after its last answer may be another (then
    // both poll on a CPU of their own). More: some thread would wait for a CPU.
    idle.store(running > 0 && running <= cpus, std::memory_order_relaxed);
  }
  return idle.load(std::memory_order_relaxed);
}

std::expected<std::unique_ptr<WorkerProcess>, std::string> WorkerProcess::spawn(
    const WorkerSpawnOptions& options) {
  auto worker = start(options);
  if (!worker)
    return worker;
  if (auto ready = (*worker)->await_ready(options); !ready)
    return std::unexpected(std::move(ready.error()));
  return worker;
}

std::expected<std::unique_ptr<WorkerProcess>, std::string> WorkerProcess::start(
    const WorkerSpawnOptions& options) {
  int sockets[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets) != 0) {
    return std::unexpected("socketpair failed: " + errno_text(errno));
  }
  int child_end = sockets[1];
  if (child_end == kChildSocketFd) {
    // dup2(3, 3) would keep FD_CLOEXEC and the child would lose its socket.
    child_end = fcntl(sockets[1], F_DUPFD_CLOEXEC, kChildSocketFd + 1);
    close(sockets[1]);
    if (child_end < 0) {
      close(sockets[0]);
      return std::unexpected("fcntl failed: " + errno_text(errno));
    }
  }

  const std::string executable = options.executable.string();
  std::vector<std::string> args = {
      executable,
      "--fd=" + std::to_string(kChildSocketFd),
      "--cache-entries=" + std::to_string(options.cache_entries),
      "--address-space=" + std::to_string(options.address_space_bytes),
      "--parent=" + std::to_string(getpid()),
  };
  if (!options.aot_object.empty()) {
    args.push_back("--aot-object=" + options.aot_object);
    args.push_back("--aot-key=" + options.aot_key);
    args.push_back("--aot-digest=" + options.aot_digest);
  }
  ChildSpec spec;
  spec.executable = executable;
  spec.args = std::move(args);
  // Empty, except the sanitizer options in sanitizer builds (the worker is built with the same
  // sanitizers as the host).
  spec.env = sanitizer_environment();
  spec.stdin_null = true;
  spec.stdout_path = "";  // /dev/null
  spec.pass_fd = child_end;
  spec.pass_fd_as = kChildSocketFd;
  const auto spawned = spawn_child(spec);
  close(child_end);
  if (!spawned) {
    close(sockets[0]);
    return std::unexpected("cannot start " + executable + ": " + spawned.error().message());
  }
  const pid_t pid = *spawned;
  const int flags = fcntl(sockets[0], F_GETFL);
  fcntl(sockets[0], F_SETFL, flags | O_NONBLOCK);
  const auto pid_fd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  std::unique_ptr<WorkerProcess> worker(new WorkerProcess(pid, sockets[0], pid_fd));
  worker->aot_key_ = options.aot_key;
  return worker;
}

std::expected<void, std::string> WorkerProcess::await_ready(const WorkerSpawnOptions& options) {
  const std::string executable = options.executable.string();
  std::string_view payload;
  const Io io = receive(&payload, Clock::now() + options.start_timeout);
  if (io != Io::Ok) {
    std::string why;
    if (io == Io::Timeout) {
      why = "did not report ready within " + std::to_string(options.start_timeout.count()) +
            " ms; stopped with " + kill_and_reap();
    } else {
      why = "ended before reporting ready: " + reap_after_close(std::chrono::milliseconds(2000));
    }
    return std::unexpected("sandbox worker " + executable + " " + why);
  }
  MessageReader reader(payload);
  const auto type = static_cast<MessageType>(reader.u8());
  const std::uint32_t version = reader.u32();
  if (type != MessageType::Hello || version != kProtocolVersion || !reader.ok()) {
    kill_and_reap();
    return std::unexpected("sandbox worker " + executable +
                           " speaks another protocol (expected version " +
                           std::to_string(kProtocolVersion) + ")");
  }
  return {};
}

WorkerProcess::WorkerProcess(pid_t pid, int socket_fd, int pid_fd)
    : pid_(pid), socket_fd_(socket_fd), pid_fd_(pid_fd) {}

WorkerProcess::~WorkerProcess() {
  if (!reaped_)
    kill_and_reap();
  if (socket_fd_ >= 0)
    close(socket_fd_);
  if (pid_fd_ >= 0)
    close(pid_fd_);
}

WorkerProcess::Io WorkerProcess::send(std::string_view framed, Clock::time_point deadline) {
  if (socket_fd_ < 0)
    return Io::Closed;
  while (!framed.empty()) {
    const ssize_t sent = ::send(socket_fd_, framed.data(), framed.size(), MSG_NOSIGNAL);
    if (sent > 0) {
      framed.remove_prefix(static_cast<std::size_t>(sent));
      continue;
    }
    if (sent < 0 && errno == EINTR)
      continue;
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!wait_fd(socket_fd_, POLLOUT, deadline))
        return Io::Timeout;
      continue;
    }
    return Io::Closed;  // EPIPE, ECONNRESET: the worker is gone
  }
  return Io::Ok;
}

WorkerProcess::Io WorkerProcess::receive(std::string_view* payload, Clock::time_point deadline,
                                         bool spin) {
  if (socket_fd_ < 0)
    return Io::Closed;
  // A large message once must not pin its memory for the worker's lifetime.
  if (receive_buffer_.size() != kReceiveBufferBytes) {
    receive_buffer_.resize(kReceiveBufferBytes);
    receive_buffer_.shrink_to_fit();
  }
  // One message is in flight at a time, so whatever arrives belongs to it: read as much as is
  // there (usually the whole message) in one recv.
  // A short answer is polled for before sleeping in poll(2): see kSpinBeforeSleep.
  const Clock::time_point spin_until =
      spin ? std::min(Clock::now() + kSpinBeforeSleep, deadline) : Clock::time_point{};
  bool spinning = spin;
  std::size_t done = 0;
  std::size_t wanted = 4;
  while (done < wanted) {
    // Not polling: sleep until the socket is readable first (a recv now would mostly find it
    // empty and cost a system call more).
    if (!spinning && !wait_fd(socket_fd_, POLLIN, deadline))
      return Io::Timeout;
    // Until the header is in, take whatever is there; then exactly the rest of the message.
    const std::size_t limit = wanted == 4 ? receive_buffer_.size() : wanted;
    const ssize_t got = recv(socket_fd_, receive_buffer_.data() + done, limit - done, 0);
    if (got == 0)
      return Io::Closed;
    if (got < 0) {
      if (errno == EINTR)
        continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK)
        return Io::Closed;
      if (spinning && Clock::now() < spin_until)
        cpu_relax();
      else
        spinning = false;
      continue;
    }
    done += static_cast<std::size_t>(got);
    if (wanted == 4 && done >= 4) {
      const std::uint32_t length =
          frame_length(reinterpret_cast<const unsigned char*>(receive_buffer_.data()));
      if (length == 0 || length > kMaxMessageBytes)
        return Io::ProtocolError;
      wanted = std::size_t{length} + 4;
      if (done > wanted)
        return Io::ProtocolError;  // bytes beyond the one message in flight
      if (wanted > receive_buffer_.size())
        receive_buffer_.resize(wanted);
    }
  }
  *payload = std::string_view(receive_buffer_).substr(4, wanted - 4);
  return Io::Ok;
}

bool WorkerProcess::idle_and_alive() const {
  if (socket_fd_ < 0 || reaped_)
    return false;
  pollfd entry{socket_fd_, POLLIN | POLLRDHUP, 0};
  const int ready = poll(&entry, 1, 0);
  return ready == 0;
}

bool WorkerProcess::wait_for_exit(Clock::time_point deadline) {
  if (pid_fd_ < 0)
    return false;
  for (;;) {
    pollfd entry{pid_fd_, POLLIN, 0};
    const int ready = poll(&entry, 1, remaining_ms(deadline));
    if (ready > 0)
      return (entry.revents & POLLIN) != 0;
    if (ready == 0 || errno != EINTR)
      return false;
  }
}

std::string WorkerProcess::reap() {
  int status = 0;
  pid_t got = -1;
  do {
    got = waitpid(pid_, &status, 0);
  } while (got < 0 && errno == EINTR);
  reaped_ = true;
  return got == pid_ ? describe_status(status) : "unknown status (" + errno_text(errno) + ")";
}

std::string WorkerProcess::kill_and_reap() {
  if (reaped_)
    return "already reaped";
  ::kill(pid_, SIGKILL);
  return reap();
}

std::string WorkerProcess::reap_after_close(std::chrono::milliseconds grace) {
  if (reaped_)
    return "already reaped";
  if (!wait_for_exit(Clock::now() + grace))
    ::kill(pid_, SIGKILL);
  return reap();
}

void WorkerProcess::begin_shutdown() {
  if (socket_fd_ >= 0) {
    close(socket_fd_);
    socket_fd_ = -1;
  }
}

void WorkerProcess::finish_shutdown(Clock::time_point deadline) {
  if (reaped_)
    return;
  if (!wait_for_exit(deadline))
    ::kill(pid_, SIGKILL);
  reap();
}

}  // namespace traverse::wasm_internal
