// ToolRouter: which of a bot's tools a message calls for, judged by how
// close the message is to each tool's name, description and parameters in
// the embedding model's space.
//
// Why not let the chat model choose: measured on the default SmolLM2-135M,
// a decision decoded under a grammar ({"tool": <enum of names>}) picks the
// enum's first entry for nearly every message (weather, arithmetic, jokes
// alike), and a free-form tool call mostly declines to call at all. MiniLM's
// similarities separate the cases (weather questions 0.34-0.43 to a weather
// tool, 0.03-0.17 to others; small talk below 0.17 to every tool), so the
// router picks and the chat model only writes the arguments, under the
// tool's schema, which it does well.
//
// Thread-safe. Borrowed: the embedding model outlives the router.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "engine/serve/served_models.h"
#include "plugins/tool.h"

namespace kiln::agent {

struct RouterOptions {
  double threshold = 0.25;  // a tool below this similarity is never called
  double window = 0.08;     // tools within this of the best are called too
  size_t max_tools = 3;
};

class ToolRouter {
 public:
  // `embedder` may be null (no embedding model loaded): then every message
  // names its tools by name or not at all (see Route).
  explicit ToolRouter(const engine::ServedModels::Entry* embedder, RouterOptions options = {});

  struct Choice {
    size_t tool = 0;  // index into the tools given
    double score = 0;
  };
  // The tools to call, best first. Without an embedder, a tool is chosen
  // when the message contains its name (underscores as spaces or not).
  std::vector<Choice> Route(std::string_view message, const plugins::ToolList& tools);

  // What a tool is compared as: "get weather: Current weather of a city.
  // Arguments: city (the city's name), unit".
  static std::string ToolText(const plugins::ToolSpec& spec);

 private:
  std::vector<float> Embed(std::string_view text);
  std::vector<float> EmbedCached(const std::string& text);

  const engine::ServedModels::Entry* embedder_;
  const RouterOptions options_;
  std::mutex mu_;
  std::map<std::string, std::vector<float>> cache_;  // guarded by mu_: tool texts
};

}  // namespace kiln::agent
