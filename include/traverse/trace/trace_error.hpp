// traverse/trace/trace_error.hpp — why a TraceStore operation failed.
//
// What the caller should do next, by kind:
//   NotFound        — no entry has that id; not a store failure.
//   Conflict        — an entry with that id already exists; nothing was written. Use a new id.
//   InvalidArgument — the entry or query is malformed (e.g. empty id, unparsable time); fix it,
//                     do not retry.
//   CapacityExceeded— the store's opt-in entry limit is reached; nothing was written.
//   Io              — the backing file could not be opened/read/written (incl. busy timeout);
//                     retry may help once the cause is fixed.
//   Corrupt         — the backing file is not a Traverse trace database or holds undecodable rows.
//   SchemaTooNew    — the file was written by a newer Traverse C++; upgrade, do not write to it.
//
// Value type; thread-compatible.
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace traverse {

enum class TraceErrorKind {
  NotFound,
  Conflict,
  InvalidArgument,
  CapacityExceeded,
  Io,
  Corrupt,
  SchemaTooNew,
};

// "NotFound", "Conflict", ... (stable names).
[[nodiscard]] std::string_view to_string(TraceErrorKind kind);

class TraceError {
 public:
  TraceError() = default;
  TraceError(TraceErrorKind kind, std::string message)
      : kind_(kind), message_(std::move(message)) {}

  [[nodiscard]] TraceErrorKind kind() const { return kind_; }
  // What failed, where (file path / trace id / JSON path), what was expected.
  [[nodiscard]] const std::string& message() const { return message_; }
  // "<Kind>: <message>", e.g. "Conflict: trace entry 'abc' already exists".
  [[nodiscard]] std::string to_string() const;

  friend bool operator==(const TraceError&, const TraceError&) = default;

 private:
  TraceErrorKind kind_ = TraceErrorKind::Io;
  std::string message_;
};

}  // namespace traverse
