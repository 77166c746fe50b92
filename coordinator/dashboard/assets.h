// The dashboard's static files (web/), embedded in the coordinator at build
// time (coordinator/dashboard/embed_assets.cmake): the page works with no
// internet and no files beside the binary.
#pragma once

#include <cstddef>

#include "absl/strings/string_view.h"

namespace tminus {

struct EmbeddedFile {
  const char* path;          // "/", "/login", "/static/app.js", ...
  const char* content_type;
  const unsigned char* data;
  size_t size;
};

// The file served at `path`, or null.
const EmbeddedFile* FindAsset(absl::string_view path);

}  // namespace tminus
