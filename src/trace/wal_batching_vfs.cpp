#include "wal_batching_vfs.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <new>
#include <vector>

namespace traverse::trace_internal {

namespace {

constexpr const char* kVfsName = "traverse-wal-batching";
// Bound of one WAL file's buffer: a larger commit is written in several writes.
constexpr std::size_t kBufferBound = std::size_t{1} << 20U;
// Most bytes given to one xWrite of the default VFS: the unix VFS masks a write's size with
// 0x1ffff (it never sees more than a 64 KiB page), so a larger write must be split.
constexpr std::size_t kMaxWrite = 0x1F000;
// SQLite's WAL frame header: page number, then the database size in pages for the last frame
// of a transaction (0 otherwise), salts and checksums.
constexpr int kFrameHeaderBytes = 24;

// Our part of an sqlite3_file; the default VFS's file follows it in the same allocation
// (szOsFile covers both). Trivially destructible: SQLite frees the memory.
struct ShimFile {
  sqlite3_file base;                   // base.pMethods = &kMethods once open
  sqlite3_file* real;                  // the default VFS's file, right after this struct
  ShimFile* wal;                       // a database file: its open WAL file, if linked
  ShimFile* db;                        // a WAL file: its database file
  std::vector<unsigned char>* buffer;  // a WAL file: bytes not yet written, from buffer_offset
  sqlite3_int64 buffer_offset;
  int deferred_error;  // a failed write no method could report yet: the next ones fail with it
  bool is_wal;
  bool commit_pending;  // the last write was the header of a commit frame
};

constexpr std::size_t kRealOffset = (sizeof(ShimFile) + 15U) & ~std::size_t{15U};

ShimFile* shim(sqlite3_file* file) {
  return reinterpret_cast<ShimFile*>(file);
}

const sqlite3_io_methods* real_methods(sqlite3_file* file) {
  return shim(file)->real->pMethods;
}

int flush(ShimFile* f) {
  if (f == nullptr || f->buffer == nullptr || f->buffer->empty())
    return SQLITE_OK;
  int rc = SQLITE_OK;
  const std::size_t size = f->buffer->size();
  for (std::size_t done = 0; done < size && rc == SQLITE_OK; done += kMaxWrite) {
    const std::size_t chunk = std::min(kMaxWrite, size - done);
    rc = f->real->pMethods->xWrite(f->real, f->buffer->data() + done, static_cast<int>(chunk),
                                   f->buffer_offset + static_cast<sqlite3_int64>(done));
  }
  f->buffer->clear();
  f->commit_pending = false;
  return rc;
}

// Flushes before an operation that must see every write; reports an earlier failure first.
int settle(sqlite3_file* file) {
  ShimFile* f = shim(file);
  if (f->deferred_error != SQLITE_OK)
    return f->deferred_error;
  return flush(f);
}

std::uint32_t big_endian_u32(const unsigned char* p) {
  return (std::uint32_t{p[0]} << 24U) | (std::uint32_t{p[1]} << 16U) | (std::uint32_t{p[2]} << 8U) |
         std::uint32_t{p[3]};
}

int wal_write(ShimFile* f, const void* data, int amount, sqlite3_int64 offset) {
  if (f->deferred_error != SQLITE_OK)
    return f->deferred_error;
  std::vector<unsigned char>& buffer = *f->buffer;
  const auto bytes = static_cast<std::size_t>(amount);
  const bool contiguous = offset == f->buffer_offset + static_cast<sqlite3_int64>(buffer.size());
  if (!buffer.empty() && (!contiguous || buffer.size() + bytes > kBufferBound)) {
    if (const int rc = flush(f); rc != SQLITE_OK)
      return rc;
  }
  if (bytes > kBufferBound)
    return f->real->pMethods->xWrite(f->real, data, amount, offset);
  if (buffer.empty())
    f->buffer_offset = offset;
  const auto* begin = static_cast<const unsigned char*>(data);
  buffer.insert(buffer.end(), begin, begin + bytes);
  if (amount == kFrameHeaderBytes) {
    f->commit_pending = big_endian_u32(begin + 4) != 0;
    return SQLITE_OK;
  }
  if (f->commit_pending)
    return flush(f);  // the commit frame's page: the transaction's last write
  return SQLITE_OK;
}

int x_close(sqlite3_file* file) {
  ShimFile* f = shim(file);
  int rc = f->is_wal ? settle(file) : SQLITE_OK;
  if (f->is_wal && f->db != nullptr)
    f->db->wal = nullptr;
  if (!f->is_wal && f->wal != nullptr)
    f->wal->db = nullptr;
  delete f->buffer;
  f->buffer = nullptr;
  const int closed = real_methods(file)->xClose(f->real);
  return rc != SQLITE_OK ? rc : closed;
}

int x_read(sqlite3_file* file, void* out, int amount, sqlite3_int64 offset) {
  if (shim(file)->is_wal) {
    if (const int rc = settle(file); rc != SQLITE_OK)
      return rc;
  }
  return real_methods(file)->xRead(shim(file)->real, out, amount, offset);
}

int x_write(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
  ShimFile* f = shim(file);
  if (f->is_wal)
    return wal_write(f, data, amount, offset);
  return real_methods(file)->xWrite(f->real, data, amount, offset);
}

int x_truncate(sqlite3_file* file, sqlite3_int64 size) {
  if (shim(file)->is_wal) {
    if (const int rc = settle(file); rc != SQLITE_OK)
      return rc;
  }
  return real_methods(file)->xTruncate(shim(file)->real, size);
}

int x_sync(sqlite3_file* file, int flags) {
  if (shim(file)->is_wal) {
    if (const int rc = settle(file); rc != SQLITE_OK)
      return rc;
  }
  return real_methods(file)->xSync(shim(file)->real, flags);
}

int x_file_size(sqlite3_file* file, sqlite3_int64* size) {
  if (shim(file)->is_wal) {
    if (const int rc = settle(file); rc != SQLITE_OK)
      return rc;
  }
  return real_methods(file)->xFileSize(shim(file)->real, size);
}

int x_lock(sqlite3_file* file, int level) {
  if (shim(file)->is_wal) {
    if (const int rc = settle(file); rc != SQLITE_OK)
      return rc;
  }
  return real_methods(file)->xLock(shim(file)->real, level);
}

int x_unlock(sqlite3_file* file, int level) {
  if (shim(file)->is_wal) {
    if (const int rc = settle(file); rc != SQLITE_OK)
      return rc;
  }
  return real_methods(file)->xUnlock(shim(file)->real, level);
}

int x_check_reserved_lock(sqlite3_file* file, int* out) {
  return real_methods(file)->xCheckReservedLock(shim(file)->real, out);
}

int x_file_control(sqlite3_file* file, int op, void* arg) {
  if (shim(file)->is_wal) {
    if (const int rc = settle(file); rc != SQLITE_OK)
      return rc;
  }
  return real_methods(file)->xFileControl(shim(file)->real, op, arg);
}

int x_sector_size(sqlite3_file* file) {
  return real_methods(file)->xSectorSize(shim(file)->real);
}

int x_device_characteristics(sqlite3_file* file) {
  return real_methods(file)->xDeviceCharacteristics(shim(file)->real);
}

// Shared memory belongs to the database file: new WAL frames become visible to other connections
// through it, so whatever its WAL still buffers is written first.
int settle_wal_of(sqlite3_file* file) {
  ShimFile* wal = shim(file)->wal;
  if (wal == nullptr)
    return SQLITE_OK;
  return settle(&wal->base);
}

int x_shm_map(sqlite3_file* file, int page, int page_size, int extend, void volatile** out) {
  const sqlite3_io_methods* m = real_methods(file);
  if (m->iVersion < 2 || m->xShmMap == nullptr)
    return SQLITE_IOERR_SHMMAP;
  return m->xShmMap(shim(file)->real, page, page_size, extend, out);
}

int x_shm_lock(sqlite3_file* file, int offset, int n, int flags) {
  const sqlite3_io_methods* m = real_methods(file);
  if (m->iVersion < 2 || m->xShmLock == nullptr)
    return SQLITE_IOERR_SHMLOCK;
  if (const int rc = settle_wal_of(file); rc != SQLITE_OK)
    return rc;
  return m->xShmLock(shim(file)->real, offset, n, flags);
}

void x_shm_barrier(sqlite3_file* file) {
  // Cannot report: a failure fails the WAL's next operation instead (the commit detection of
  // wal_write normally leaves nothing to write here).
  if (ShimFile* wal = shim(file)->wal; wal != nullptr && wal->deferred_error == SQLITE_OK) {
    wal->deferred_error = flush(wal);
  }
  const sqlite3_io_methods* m = real_methods(file);
  if (m->iVersion >= 2 && m->xShmBarrier != nullptr)
    m->xShmBarrier(shim(file)->real);
}

int x_shm_unmap(sqlite3_file* file, int delete_flag) {
  const sqlite3_io_methods* m = real_methods(file);
  if (m->iVersion < 2 || m->xShmUnmap == nullptr)
    return SQLITE_OK;
  return m->xShmUnmap(shim(file)->real, delete_flag);
}

int x_fetch(sqlite3_file* file, sqlite3_int64 offset, int amount, void** out) {
  const sqlite3_io_methods* m = real_methods(file);
  if (m->iVersion < 3 || m->xFetch == nullptr || shim(file)->is_wal) {
    *out = nullptr;  // no memory map: SQLite reads with xRead instead
    return SQLITE_OK;
  }
  return m->xFetch(shim(file)->real, offset, amount, out);
}

int x_unfetch(sqlite3_file* file, sqlite3_int64 offset, void* page) {
  const sqlite3_io_methods* m = real_methods(file);
  if (m->iVersion < 3 || m->xUnfetch == nullptr || shim(file)->is_wal)
    return SQLITE_OK;
  return m->xUnfetch(shim(file)->real, offset, page);
}

const sqlite3_io_methods kMethods = {
    3,
    x_close,
    x_read,
    x_write,
    x_truncate,
    x_sync,
    x_file_size,
    x_lock,
    x_unlock,
    x_check_reserved_lock,
    x_file_control,
    x_sector_size,
    x_device_characteristics,
    x_shm_map,
    x_shm_lock,
    x_shm_barrier,
    x_shm_unmap,
    x_fetch,
    x_unfetch,
};

sqlite3_vfs* real_vfs(sqlite3_vfs* vfs) {
  return static_cast<sqlite3_vfs*>(vfs->pAppData);
}

int x_open(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
  sqlite3_vfs* real = real_vfs(vfs);
  auto* f = new (file) ShimFile{};
  f->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<unsigned char*>(file) + kRealOffset);
  f->real->pMethods = nullptr;
  const int rc = real->xOpen(real, name, f->real, flags, out_flags);
  if (f->real->pMethods == nullptr)
    return rc == SQLITE_OK ? SQLITE_CANTOPEN : rc;  // nothing to close
  f->base.pMethods = &kMethods;                     // xClose closes the real file too
  if (rc != SQLITE_OK)
    return rc;
  if ((flags & SQLITE_OPEN_WAL) != 0 && name != nullptr) {
    f->is_wal = true;
    f->buffer = new (std::nothrow) std::vector<unsigned char>();
    if (f->buffer == nullptr)
      return SQLITE_NOMEM;
    sqlite3_file* db = sqlite3_database_file_object(name);
    if (db != nullptr && db->pMethods == &kMethods) {
      f->db = shim(db);
      f->db->wal = f;
    }
  }
  return SQLITE_OK;
}

sqlite3_vfs g_vfs{};

bool register_vfs() {
  sqlite3_vfs* real = sqlite3_vfs_find(nullptr);
  if (real == nullptr || real->iVersion < 1)
    return false;
  g_vfs.iVersion = real->iVersion;
  g_vfs.szOsFile = static_cast<int>(kRealOffset) + real->szOsFile;
  g_vfs.mxPathname = real->mxPathname;
  g_vfs.zName = kVfsName;
  g_vfs.pAppData = real;
  g_vfs.xOpen = x_open;
  g_vfs.xDelete = [](sqlite3_vfs* v, const char* n, int sync_dir) {
    return real_vfs(v)->xDelete(real_vfs(v), n, sync_dir);
  };
  g_vfs.xAccess = [](sqlite3_vfs* v, const char* n, int flags, int* out) {
    return real_vfs(v)->xAccess(real_vfs(v), n, flags, out);
  };
  g_vfs.xFullPathname = [](sqlite3_vfs* v, const char* n, int size, char* out) {
    return real_vfs(v)->xFullPathname(real_vfs(v), n, size, out);
  };
  g_vfs.xDlOpen = [](sqlite3_vfs* v, const char* n) {
    return real_vfs(v)->xDlOpen(real_vfs(v), n);
  };
  g_vfs.xDlError = [](sqlite3_vfs* v, int size, char* out) {
    real_vfs(v)->xDlError(real_vfs(v), size, out);
  };
  g_vfs.xDlSym = [](sqlite3_vfs* v, void* handle, const char* symbol) {
    return real_vfs(v)->xDlSym(real_vfs(v), handle, symbol);
  };
  g_vfs.xDlClose = [](sqlite3_vfs* v, void* handle) { real_vfs(v)->xDlClose(real_vfs(v), handle); };
  g_vfs.xRandomness = [](sqlite3_vfs* v, int size, char* out) {
    return real_vfs(v)->xRandomness(real_vfs(v), size, out);
  };
  g_vfs.xSleep = [](sqlite3_vfs* v, int micros) {
    return real_vfs(v)->xSleep(real_vfs(v), micros);
  };
  g_vfs.xCurrentTime = [](sqlite3_vfs* v, double* out) {
    return real_vfs(v)->xCurrentTime(real_vfs(v), out);
  };
  g_vfs.xGetLastError = [](sqlite3_vfs* v, int size, char* out) {
    return real_vfs(v)->xGetLastError(real_vfs(v), size, out);
  };
  if (real->iVersion >= 2 && real->xCurrentTimeInt64 != nullptr) {
    g_vfs.xCurrentTimeInt64 = [](sqlite3_vfs* v, sqlite3_int64* out) {
      return real_vfs(v)->xCurrentTimeInt64(real_vfs(v), out);
    };
  }
  if (real->iVersion >= 3) {
    g_vfs.xSetSystemCall = [](sqlite3_vfs* v, const char* n, sqlite3_syscall_ptr p) {
      return real_vfs(v)->xSetSystemCall == nullptr
                 ? SQLITE_NOTFOUND
                 : real_vfs(v)->xSetSystemCall(real_vfs(v), n, p);
    };
    g_vfs.xGetSystemCall = [](sqlite3_vfs* v, const char* n) -> sqlite3_syscall_ptr {
      return real_vfs(v)->xGetSystemCall == nullptr ? nullptr
                                                    : real_vfs(v)->xGetSystemCall(real_vfs(v), n);
    };
    g_vfs.xNextSystemCall = [](sqlite3_vfs* v, const char* n) -> const char* {
      return real_vfs(v)->xNextSystemCall == nullptr ? nullptr
                                                     : real_vfs(v)->xNextSystemCall(real_vfs(v), n);
    };
  }
  return sqlite3_vfs_register(&g_vfs, /*makeDflt=*/0) == SQLITE_OK;
}

}  // namespace

const char* wal_batching_vfs() {
  static std::once_flag once;
  static bool registered = false;
  std::call_once(once, [] { registered = register_vfs(); });
  return registered ? kVfsName : nullptr;
}

}  // namespace traverse::trace_internal
