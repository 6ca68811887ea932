// Internal: an SQLite VFS that writes each WAL commit with one write(2) instead of two per page.
//
// SQLite appends a WAL frame as two writes, its 24-byte header then the page, so a commit of
// F pages costs 2F system calls; on a virtual machine each costs microseconds, more than the
// rest of an insert. This VFS wraps the default one and changes only how a WAL file is written:
// consecutive writes are gathered in a buffer that is written out
//  - right after the page of a commit frame (the frame whose header carries the database size),
//    so the commit's write, and its error, complete inside the commit: when COMMIT returns, the
//    transaction is in the file exactly as without this VFS (durability unchanged);
//  - before any other operation on the WAL file (read, sync, truncate, size, lock, close) and
//    before the database's shared-memory barrier and locks (other connections learn of new
//    frames only through them), as a safety net;
//  - when a write is not contiguous with the buffer or the buffer would pass its bound (1 MiB).
// Every other file (the database, its -shm) and every other method is the default VFS's own.
// The file format and the locking protocol are unchanged: other processes using the default VFS
// read and write the same files.
// Thread safety: registration is thread-safe; a file is used by one connection, as SQLite's.
#pragma once

namespace traverse::trace_internal {

// The name to pass to sqlite3_open_v2; registers the VFS (not as the default) on first use.
// nullptr when it cannot be registered (then the default VFS is used).
[[nodiscard]] const char* wal_batching_vfs();

}  // namespace traverse::trace_internal
