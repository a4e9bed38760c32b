// The browser editor's static files (web/editor/), embedded in the binary at
// build time (web/embed_assets.cmake), so that one binary serves them with no
// install step. Immutable; thread-safe.
#pragma once

#include <span>
#include <string_view>

namespace kiln::web {

struct EditorAsset {
  std::string_view name;   // file name, e.g. "app.js"
  std::string_view bytes;  // its contents
};

std::span<const EditorAsset> EditorAssets();

}  // namespace kiln::web
