// The web console's files as embedded at build time (cmake/EmbedConsole.cmake generates the
// definitions from src/service/console/). Private to the service module; console.cpp serves
// them.
#pragma once

#include <cstddef>

namespace traverse::console_detail {

struct EmbeddedFile {
  const char* name;  // the file's name in src/service/console/, e.g. "app.js"
  const unsigned char* bytes;
  std::size_t size;
};

// First 16 hex digits of the SHA-256 of the assets (every file but index.html): the versioned
// prefix "/console/<version>/" index.html refers to.
extern const char kConsoleVersion[];
extern const EmbeddedFile kConsoleFiles[];
extern const std::size_t kConsoleFileCount;

}  // namespace traverse::console_detail
