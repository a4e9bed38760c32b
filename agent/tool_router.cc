#include "agent/tool_router.h"

#include <algorithm>
#include <cctype>

namespace kiln::agent {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Spaced(std::string_view name) {
  std::string out(name);
  std::replace(out.begin(), out.end(), '_', ' ');
  std::replace(out.begin(), out.end(), '-', ' ');
  return out;
}

// Whether `word` occurs in `text` with no letter or digit on either side.
bool ContainsWord(const std::string& text, const std::string& word) {
  if (word.empty()) return false;
  for (size_t at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) {
    const bool left = at == 0 || !std::isalnum(static_cast<unsigned char>(text[at - 1]));
    const size_t end = at + word.size();
    const bool right = end == text.size() || !std::isalnum(static_cast<unsigned char>(text[end]));
    if (left && right) return true;
  }
  return false;
}

double Dot(const std::vector<float>& a, const std::vector<float>& b) {
  double d = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) d += a[i] * b[i];
  return d;
}

}  // namespace

ToolRouter::ToolRouter(const engine::ServedModels::Entry* embedder, RouterOptions options)
    : embedder_(embedder), options_(options) {}

std::string ToolRouter::ToolText(const plugins::ToolSpec& spec) {
  std::string text = Spaced(spec.name);
  if (!spec.description.empty()) text += ": " + spec.description;
  const nlohmann::json& props =
      spec.parameters.is_object() && spec.parameters.contains("properties")
          ? spec.parameters["properties"]
          : nlohmann::json();
  if (props.is_object() && !props.empty()) {
    text += ". Arguments: ";
    bool first = true;
    for (auto it = props.begin(); it != props.end(); ++it) {
      if (!first) text += ", ";
      first = false;
      text += Spaced(it.key());
      if (it->is_object() && it->contains("description") && (*it)["description"].is_string()) {
        text += " (" + (*it)["description"].get<std::string>() + ")";
      }
    }
  }
  return text.size() > 1500 ? text.substr(0, 1500) : text;
}

std::vector<float> ToolRouter::Embed(std::string_view text) {
  std::vector<int32_t> tokens = embedder_->model->tokenizer->Encode(text, true, false);
  const int64_t limit = embedder_->model->model->info().n_ctx_train;
  if (static_cast<int64_t>(tokens.size()) > limit && limit > 1) {
    const int32_t last = tokens.back();
    tokens.resize(static_cast<size_t>(limit - 1));
    tokens.push_back(last);
  }
  Result<std::vector<float>> e = embedder_->model->model->Embed(tokens);
  return e.ok() ? std::move(e).value() : std::vector<float>{};
}

std::vector<float> ToolRouter::EmbedCached(const std::string& text) {
  {
    std::lock_guard lock(mu_);
    auto it = cache_.find(text);
    if (it != cache_.end()) return it->second;
  }
  std::vector<float> e = Embed(text);
  std::lock_guard lock(mu_);
  if (cache_.size() > 4096) cache_.clear();  // tool texts change rarely; bound it anyway
  cache_[text] = e;
  return e;
}

std::vector<ToolRouter::Choice> ToolRouter::Route(std::string_view message,
                                                  const plugins::ToolList& tools) {
  std::vector<Choice> scored;
  if (tools.empty() || message.empty()) return scored;
  const std::string lower = Lower(message);
  std::vector<float> q = embedder_ != nullptr ? Embed(message) : std::vector<float>{};
  for (size_t i = 0; i < tools.size(); ++i) {
    const plugins::ToolSpec& spec = tools[i]->spec();
    // A message that names the tool asks for it, whatever the similarity.
    const bool named =
        ContainsWord(lower, Lower(spec.name)) || ContainsWord(lower, Lower(Spaced(spec.name)));
    double score = named ? 1.0 : 0.0;
    if (!named && !q.empty()) score = Dot(q, EmbedCached(ToolText(spec)));
    scored.push_back({i, score});
  }
  std::stable_sort(scored.begin(), scored.end(),
                   [](const Choice& a, const Choice& b) { return a.score > b.score; });
  std::vector<Choice> out;
  const double best = scored.front().score;
  for (const Choice& c : scored) {
    if (c.score < options_.threshold || c.score < best - options_.window) break;
    if (out.size() >= options_.max_tools) break;
    out.push_back(c);
  }
  return out;
}

}  // namespace kiln::agent
