#include "agent/agent_tools.h"

#include <memory>

namespace kiln::agent {
namespace {

using nlohmann::json;

class KnowledgeSearchTool final : public plugins::Tool {
 public:
  explicit KnowledgeSearchTool(TurnToolContext ctx) : ctx_(std::move(ctx)) {
    spec_.name = "knowledge_search";
    spec_.description = "Search the bot's knowledge base for passages about a question.";
    spec_.parameters = {{"type", "object"},
                        {"properties",
                         {{"query",
                           {{"type", "string"},
                            {"minLength", 1},
                            {"maxLength", 200},
                            {"description", "what to look for"}}}}},
                        {"required", {"query"}}};
  }
  const plugins::ToolSpec& spec() const override { return spec_; }

  Result<plugins::ToolResult> Invoke(const json& args,
                                     const plugins::ToolCallOptions& options) override {
    if (!args.contains("query") || !args["query"].is_string()) {
      return InvalidArgument("query must be a string", "query");
    }
    json hits = json::array();
    for (const std::string& kb : ctx_.knowledge_ids) {
      rag::SearchRequest r;
      r.query = args["query"].get<std::string>();
      auto found = ctx_.knowledge->Search(ctx_.workspace_id, kb, r);
      if (!found.ok()) continue;  // a base deleted since the bot was saved
      for (const rag::SearchHit& h : *found) {
        hits.push_back({{"document", h.document_name},
                        {"score", std::round(h.score * 1000) / 1000},
                        {"text", h.chunk.text}});
      }
    }
    if (hits.empty()) return plugins::MakeToolResult("no passage found", options.max_output_bytes);
    return plugins::MakeToolResult(hits.dump(-1, ' ', false, json::error_handler_t::replace),
                                   options.max_output_bytes);
  }

 private:
  TurnToolContext ctx_;
  plugins::ToolSpec spec_;
};

json NameSchema(const std::vector<std::string>& names) {
  return {{"type", "string"}, {"enum", names}, {"description", "the variable's name"}};
}

class SetVariableTool final : public plugins::Tool {
 public:
  explicit SetVariableTool(TurnToolContext ctx) : ctx_(std::move(ctx)) {
    spec_.name = "set_variable";
    spec_.description =
        "Remember something about the user for later conversations (a name and its value).";
    spec_.parameters = {
        {"type", "object"},
        {"properties",
         {{"name", NameSchema(ctx_.variable_names)},
          {"value",
           {{"type", "string"}, {"maxLength", 500}, {"description", "what to remember"}}}}},
        {"required", {"name", "value"}}};
  }
  const plugins::ToolSpec& spec() const override { return spec_; }

  Result<plugins::ToolResult> Invoke(const json& args,
                                     const plugins::ToolCallOptions& options) override {
    if (!args.contains("name") || !args["name"].is_string() || !args.contains("value") ||
        !args["value"].is_string()) {
      return InvalidArgument("name and value must be strings");
    }
    const std::string name = args["name"].get<std::string>();
    if (std::find(ctx_.variable_names.begin(), ctx_.variable_names.end(), name) ==
        ctx_.variable_names.end()) {
      return InvalidArgument("the bot has no variable '" + name + "'", "name");
    }
    const std::string value = args["value"].get<std::string>();
    if (value.size() > 2000) return InvalidArgument("value is longer than 2000 bytes", "value");
    KILN_RETURN_IF_ERROR(
        ctx_.store->memories().Set(ctx_.bot_id, ctx_.user_id, name, value, ctx_.now()));
    return plugins::MakeToolResult("remembered " + name, options.max_output_bytes);
  }

 private:
  TurnToolContext ctx_;
  plugins::ToolSpec spec_;
};

class GetVariableTool final : public plugins::Tool {
 public:
  explicit GetVariableTool(TurnToolContext ctx) : ctx_(std::move(ctx)) {
    spec_.name = "get_variable";
    spec_.description = "Recall something remembered about the user.";
    spec_.parameters = {{"type", "object"},
                        {"properties", {{"name", NameSchema(ctx_.variable_names)}}},
                        {"required", {"name"}}};
  }
  const plugins::ToolSpec& spec() const override { return spec_; }

  Result<plugins::ToolResult> Invoke(const json& args,
                                     const plugins::ToolCallOptions& options) override {
    if (!args.contains("name") || !args["name"].is_string()) {
      return InvalidArgument("name must be a string", "name");
    }
    KILN_ASSIGN_OR_RETURN(auto values, ctx_.store->memories().Get(ctx_.bot_id, ctx_.user_id));
    auto it = values.find(args["name"].get<std::string>());
    return plugins::MakeToolResult(it == values.end() ? "(nothing remembered)" : it->second,
                                   options.max_output_bytes);
  }

 private:
  TurnToolContext ctx_;
  plugins::ToolSpec spec_;
};

}  // namespace

plugins::ToolList AgentTools(const TurnToolContext& ctx) {
  plugins::ToolList out;
  if (!ctx.knowledge_ids.empty() && ctx.knowledge != nullptr) {
    out.push_back(std::make_shared<KnowledgeSearchTool>(ctx));
  }
  if (!ctx.variable_names.empty() && ctx.store != nullptr) {
    out.push_back(std::make_shared<SetVariableTool>(ctx));
    out.push_back(std::make_shared<GetVariableTool>(ctx));
  }
  return out;
}

const std::vector<std::string>& AgentToolNames() {
  static const std::vector<std::string> names = {"knowledge_search", "set_variable",
                                                 "get_variable"};
  return names;
}

}  // namespace kiln::agent
