// The browser editor (web/editor/), served by the binary itself: GET / is
// the page, GET /editor/{file} its scripts, styles and images. Public (the
// page asks for an API key and keeps it in the browser); every call it
// makes goes through the API's own auth.
//
// A strict Content-Security-Policy goes with every file: scripts and styles
// only from this origin, no inline script, no plugins, no framing. The
// editor renders model and tool output as text (markdown.js builds DOM
// nodes, never HTML), and the policy makes sure that even a mistake there
// could not run an injected <script> or onerror handler.
#include "web/editor_assets.h"
#include "web/handlers/handlers.h"

namespace kiln::web {
namespace {

constexpr const char* kPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'";

std::string TypeOf(std::string_view name) {
  auto ends = [&](std::string_view ext) { return name.ends_with(ext); };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".png")) return "image/png";
  if (ends(".ico")) return "image/x-icon";
  return "application/octet-stream";
}

Result<Response> Serve(std::string_view name) {
  for (const EditorAsset& a : EditorAssets()) {
    if (a.name != name) continue;
    Response res;
    res.content_type = TypeOf(name);
    res.body = std::string(a.bytes);
    res.SetHeader("Content-Security-Policy", kPolicy);
    res.SetHeader("X-Content-Type-Options", "nosniff");
    res.SetHeader("Referrer-Policy", "no-referrer");
    // The files change with the binary: always revalidated, never stale.
    res.SetHeader("Cache-Control", "no-cache");
    return res;
  }
  return NotFound("the editor has no file '" + std::string(name.substr(0, 100)) + "'");
}

}  // namespace

void AddEditorRoutes(Router& router) {
  Route page = NewRoute("GET", "/", "editor", "The browser bot editor", "editor", Access::kPublic);
  page.content_type = "text/html; charset=utf-8";
  page.responses = {{200, "The editor's page.", {{"type", "string"}}}};
  page.handler = [](RequestContext&) { return Serve("index.html"); };
  router.Add(std::move(page));

  Route file = NewRoute("GET", "/editor/{file}", "editorFile", "One of the editor's files",
                        "editor", Access::kPublic);
  file.path_params = {{"file",
                       "The file's name.",
                       {{"type", "string"}, {"maxLength", 100}, {"pattern", "^[a-z0-9_.-]+$"}},
                       true}};
  file.content_type = "text/javascript";
  file.responses = {{200, "The file.", {{"type", "string"}}}};
  file.handler = [](RequestContext& ctx) { return Serve(ctx.PathParam("file")); };
  router.Add(std::move(file));
}

}  // namespace kiln::web
