// YAML to JSON through yaml-cpp's event parser rather than YAML::Load: the
// events let us stop counting at the nesting and node limits as they are
// crossed, where a loaded node graph would share aliased subtrees and only
// explode (the "billion laughs" document) when converted afterwards.
//
// yaml-cpp throws; everything it throws is caught in YamlToJson.
#include <yaml-cpp/anchor.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "plugins/openapi/internal/text.h"

namespace kiln::plugins::internal {
namespace {

using nlohmann::json;

std::string Where(const YAML::Mark& mark) {
  if (mark.is_null()) return "";
  return " (line " + std::to_string(mark.line + 1) + ", column " + std::to_string(mark.column + 1) +
         ")";
}

bool AllOf(std::string_view s, bool (*pred)(char)) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!pred(c)) return false;
  }
  return true;
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsOctal(char c) { return c >= '0' && c <= '7'; }
bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

std::optional<json> ParseInteger(std::string_view digits, int base, bool negative) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value, base);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  if (!negative) {
    if (value <= static_cast<uint64_t>(INT64_MAX)) return json(static_cast<int64_t>(value));
    return json(value);
  }
  if (value <= static_cast<uint64_t>(INT64_MAX) + 1) {
    return json(static_cast<int64_t>(0 - value));  // two's complement reaches INT64_MIN
  }
  return std::nullopt;
}

// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
bool LooksLikeFloat(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  size_t int_digits = 0, frac_digits = 0;
  while (i < s.size() && IsDigit(s[i])) ++i, ++int_digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && IsDigit(s[i])) ++i, ++frac_digits;
  }
  if (int_digits == 0 && frac_digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    if (!AllOf(s.substr(i), IsDigit)) return false;
    return true;
  }
  return i == s.size();
}

// A plain scalar under the YAML 1.2 core schema. Values JSON cannot hold
// (.inf, .nan, numbers past double) stay strings.
json ResolvePlain(const std::string& s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  std::string_view v = s;
  const bool negative = v.front() == '-';
  if (v.front() == '-' || v.front() == '+') v.remove_prefix(1);
  if (AllOf(v, IsDigit)) {
    if (auto n = ParseInteger(v, 10, negative)) return *n;
  } else if (!negative && s.front() != '+' && v.size() > 2 && v[0] == '0') {
    if (v[1] == 'o' && AllOf(v.substr(2), IsOctal)) {
      if (auto n = ParseInteger(v.substr(2), 8, false)) return *n;
    } else if (v[1] == 'x' && AllOf(v.substr(2), IsHex)) {
      if (auto n = ParseInteger(v.substr(2), 16, false)) return *n;
    }
  }
  if (LooksLikeFloat(s)) {
    std::string_view f = s;
    if (f.front() == '+') f.remove_prefix(1);
    double d = 0;
    auto [end, ec] = std::from_chars(f.data(), f.data() + f.size(), d);
    if (ec == std::errc() && end == f.data() + f.size() && std::isfinite(d)) return d;
  }
  return s;
}

json ResolveScalar(const std::string& tag, const std::string& value) {
  // yaml-cpp tags quoted scalars "!" and plain ones "?".
  if (tag == "!" || tag == "tag:yaml.org,2002:str") return value;
  if (tag == "?" || tag.starts_with("tag:yaml.org,2002:")) return ResolvePlain(value);
  return value;  // an application tag: keep the text
}

class JsonBuilder : public YAML::EventHandler {
 public:
  explicit JsonBuilder(int max_depth) : max_depth_(max_depth) {}

  const Status& error() const { return error_; }
  std::optional<json>& root() { return root_; }

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    Scalar(mark, anchor, "", nullptr);
  }
  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    Scalar(mark, anchor, value, ResolveScalar(tag, value));
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (!error_.ok()) return;
    auto it = anchors_.find(anchor);
    if (it == anchors_.end()) {
      return Fail("an alias refers to a node that contains it" + Where(mark));
    }
    if (AwaitingKey()) {
      if (!it->second.value.is_string())
        return Fail("a mapping key must be a scalar" + Where(mark));
      stack_.back().key = it->second.value.get<std::string>();
      stack_.back().has_key = true;
      return;
    }
    // Checked before the copy: the copy is what a bomb multiplies.
    if (!Count(it->second.nodes, mark)) return;
    Complete(json(it->second.value), it->second.nodes, YAML::NullAnchor, mark);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    Open(mark, anchor, json::array());
  }
  void OnSequenceEnd() override { Close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    Open(mark, anchor, json::object());
  }
  void OnMapEnd() override { Close(); }

 private:
  struct Frame {
    json value;
    YAML::anchor_t anchor = YAML::NullAnchor;
    YAML::Mark mark;
    size_t nodes = 1;
    bool has_key = false;
    std::string key;
    json merged = json::object();  // "<<" entries, applied under the explicit keys
  };
  struct Anchored {
    json value;
    size_t nodes;
  };

  void Fail(std::string message) {
    if (error_.ok()) error_ = InvalidArgument("the YAML document is not usable: " + message);
  }
  bool AwaitingKey() const {
    return !stack_.empty() && stack_.back().value.is_object() && !stack_.back().has_key;
  }

  bool Count(size_t nodes, const YAML::Mark& mark) {
    nodes_ += nodes;
    if (nodes_ <= kMaxYamlNodes) return true;
    Fail("it expands to more than " + std::to_string(kMaxYamlNodes) +
         " nodes (aliases repeating aliases?)" + Where(mark));
    return false;
  }

  void Scalar(const YAML::Mark& mark, YAML::anchor_t anchor, const std::string& raw, json value) {
    if (!error_.ok()) return;
    if (AwaitingKey()) {  // keys stay text: `200:` is the string "200"
      stack_.back().key = raw;
      stack_.back().has_key = true;
      if (anchor != YAML::NullAnchor) anchors_[anchor] = {json(raw), 1};
      return;
    }
    if (!Count(1, mark)) return;
    Complete(std::move(value), 1, anchor, mark);
  }

  void Open(const YAML::Mark& mark, YAML::anchor_t anchor, json empty) {
    if (!error_.ok()) return;
    if (AwaitingKey()) return Fail("a mapping key must be a scalar" + Where(mark));
    if (static_cast<int>(stack_.size()) >= max_depth_) {
      return Fail("it nests deeper than " + std::to_string(max_depth_) + " levels" + Where(mark));
    }
    if (!Count(1, mark)) return;
    Frame frame;
    frame.value = std::move(empty);
    frame.anchor = anchor;
    frame.mark = mark;
    stack_.push_back(std::move(frame));
  }

  void Close() {
    if (!error_.ok() || stack_.empty()) return;
    Frame frame = std::move(stack_.back());
    stack_.pop_back();
    for (auto& [k, v] : frame.merged.items()) {
      if (!frame.value.contains(k)) frame.value[k] = std::move(v);
    }
    Complete(std::move(frame.value), frame.nodes, frame.anchor, frame.mark);
  }

  // A finished node goes into its parent (or becomes the document).
  void Complete(json value, size_t nodes, YAML::anchor_t anchor, const YAML::Mark& mark) {
    if (anchor != YAML::NullAnchor) {
      if (!Count(nodes, mark)) return;  // the kept copy counts as well
      anchors_[anchor] = {value, nodes};
    }
    if (stack_.empty()) {
      if (!root_) root_ = std::move(value);
      return;
    }
    Frame& parent = stack_.back();
    parent.nodes += nodes;
    if (parent.value.is_array()) {
      parent.value.push_back(std::move(value));
      return;
    }
    parent.has_key = false;
    if (parent.key == "<<" && (value.is_object() || value.is_array())) {
      Merge(parent, value, mark);
      return;
    }
    parent.value[parent.key] = std::move(value);
  }

  void Merge(Frame& frame, const json& value, const YAML::Mark& mark) {
    const json list = value.is_array() ? value : json::array({value});
    for (const json& item : list) {
      if (!item.is_object()) return Fail("a \"<<\" merge takes mappings" + Where(mark));
      for (const auto& [k, v] : item.items()) {
        if (!frame.merged.contains(k)) frame.merged[k] = v;
      }
    }
  }

  const int max_depth_;
  Status error_;
  std::vector<Frame> stack_;
  std::optional<json> root_;
  std::unordered_map<YAML::anchor_t, Anchored> anchors_;
  size_t nodes_ = 0;
};

}  // namespace

Result<nlohmann::json> YamlToJson(std::string_view text, int max_depth) {
  JsonBuilder builder(max_depth);
  try {
    std::istringstream in{std::string(text)};
    YAML::Parser parser(in);
    parser.HandleNextDocument(builder);  // the first document only
  } catch (const YAML::Exception& e) {
    return InvalidArgument("the document is not valid YAML" + Where(e.mark) + ": " + e.msg);
  } catch (const std::exception& e) {
    return InvalidArgument(std::string("the document is not valid YAML: ") + e.what());
  }
  if (!builder.error().ok()) return builder.error();
  if (!builder.root()) return InvalidArgument("the document is empty");
  return std::move(*builder.root());
}

}  // namespace kiln::plugins::internal
