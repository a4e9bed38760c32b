#include "web/router.h"

#include <algorithm>

#include "base/check.h"

namespace kiln::web {

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t start = path.empty() || path[0] != '/' ? 0 : 1;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    parts.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  if (parts.size() == 1 && parts[0].empty()) parts.clear();  // "/"
  return parts;
}

void Router::Add(Route route) {
  KILN_CHECK(!route.pattern.empty() && route.pattern[0] == '/') << route.pattern;
  Compiled compiled;
  for (std::string_view part : SplitPath(route.pattern)) {
    KILN_CHECK(!part.empty()) << "empty segment in " << route.pattern;
    compiled.segments.emplace_back(part);
  }
  for (size_t i = 0; i < routes_.size(); ++i) {
    KILN_CHECK(!(routes_[i]->method == route.method && routes_[i]->pattern == route.pattern))
        << "duplicate route " << route.method << " " << route.pattern;
  }
  routes_.push_back(std::make_unique<Route>(std::move(route)));
  compiled_.push_back(std::move(compiled));
}

bool Router::MatchSegments(const Compiled& compiled, std::string_view path,
                           std::map<std::string, std::string>* params) {
  std::vector<std::string_view> parts = SplitPath(path);
  if (parts.size() != compiled.segments.size()) return false;
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string& seg = compiled.segments[i];
    if (seg.front() == '{' && seg.back() == '}') {
      if (parts[i].empty()) return false;
      if (params != nullptr) (*params)[seg.substr(1, seg.size() - 2)] = std::string(parts[i]);
    } else if (seg != parts[i]) {
      return false;
    }
  }
  return true;
}

RouteMatch Router::Match(std::string_view method, std::string_view path) const {
  RouteMatch match;
  // Literal routes win over parameterised ones ("/v1/bots/search" before
  // "/v1/bots/{id}"): a first pass tries routes whose segment count matches and
  // prefers the one with the fewest parameters.
  int best_params = -1;
  for (size_t i = 0; i < routes_.size(); ++i) {
    std::map<std::string, std::string> params;
    if (!MatchSegments(compiled_[i], path, &params)) continue;
    if (routes_[i]->method != method) {
      if (std::find(match.allowed.begin(), match.allowed.end(), routes_[i]->method) ==
          match.allowed.end()) {
        match.allowed.push_back(routes_[i]->method);
      }
      continue;
    }
    int count = static_cast<int>(params.size());
    if (best_params < 0 || count < best_params) {
      best_params = count;
      match.route = routes_[i].get();
      match.params = std::move(params);
    }
  }
  if (match.route != nullptr) match.allowed.clear();
  return match;
}

}  // namespace kiln::web
