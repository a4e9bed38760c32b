#include "engine/tokenizer/vocab.h"

#include <utility>

#include "engine/gguf/gguf_file.h"

namespace kiln::engine {
namespace {

constexpr std::string_view kPrefix = "tokenizer.ggml.";

std::string Key(std::string_view name) { return std::string(kPrefix) + std::string(name); }

// An optional token id; -1 (or `fallback`) when absent.
Result<int32_t> OptionalId(const GgufFile& file, std::string_view name, int64_t fallback,
                           size_t n_vocab) {
  KILN_ASSIGN_OR_RETURN(int64_t id, file.GetIntOr(Key(name), fallback));
  // llama.cpp treats an id past the vocabulary as absent only for defaults; a
  // stored one must be valid.
  if (id < -1 || id >= static_cast<int64_t>(n_vocab)) {
    if (file.Find(Key(name)) == nullptr) return -1;
    return InvalidArgument("tokenizer: " + Key(name) + " = " + std::to_string(id) +
                           " is outside the vocabulary of " + std::to_string(n_vocab));
  }
  return static_cast<int32_t>(id);
}

int32_t IdOfText(const std::vector<std::string>& tokens, std::string_view text) {
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i] == text) return static_cast<int32_t>(i);
  }
  return -1;
}

}  // namespace

Result<Vocab> VocabFromGguf(const GgufFile& file) {
  Vocab v;
  KILN_ASSIGN_OR_RETURN(std::string model, file.GetString(Key("model")));
  if (model == "gpt2") {
    v.kind = TokenizerKind::kBpe;
  } else if (model == "llama") {
    v.kind = TokenizerKind::kSpm;
  } else if (model == "bert") {
    v.kind = TokenizerKind::kWordPiece;
  } else {
    return InvalidArgument("tokenizer: unsupported tokenizer.ggml.model \"" + model +
                           "\" (supported: gpt2, llama, bert)");
  }
  KILN_ASSIGN_OR_RETURN(v.pre, file.GetStringOr(Key("pre"), "default"));
  const GgufValue* tokens = file.Find(Key("tokens"));
  if (tokens == nullptr) return InvalidArgument("tokenizer: " + Key("tokens") + " is missing");
  KILN_ASSIGN_OR_RETURN(v.tokens, tokens->AsStringArray());
  const size_t n = v.tokens.size();
  if (const GgufValue* scores = file.Find(Key("scores")); scores != nullptr) {
    KILN_ASSIGN_OR_RETURN(v.scores, scores->AsFloatArray());
  }
  if (const GgufValue* types = file.Find(Key("token_type")); types != nullptr) {
    KILN_ASSIGN_OR_RETURN(std::vector<int64_t> raw, types->AsIntArray());
    v.types.reserve(raw.size());
    for (int64_t t : raw) {
      v.types.push_back(t >= 0 && t <= 6 ? static_cast<TokenType>(t) : TokenType::kUndefined);
    }
  }
  if (v.kind == TokenizerKind::kBpe) {
    const GgufValue* merges = file.Find(Key("merges"));
    if (merges == nullptr) return InvalidArgument("tokenizer: " + Key("merges") + " is missing");
    KILN_ASSIGN_OR_RETURN(v.merges, merges->AsStringArray());
  }
  // Defaults for absent keys follow llama.cpp per model kind.
  const bool spm = v.kind == TokenizerKind::kSpm;
  const bool bert = v.kind == TokenizerKind::kWordPiece;
  KILN_ASSIGN_OR_RETURN(v.bos, OptionalId(file, "bos_token_id", spm ? 1 : -1, n));
  KILN_ASSIGN_OR_RETURN(v.eos, OptionalId(file, "eos_token_id", spm ? 2 : -1, n));
  KILN_ASSIGN_OR_RETURN(v.unk, OptionalId(file, "unknown_token_id", spm ? 0 : -1, n));
  KILN_ASSIGN_OR_RETURN(v.sep, OptionalId(file, "seperator_token_id", -1, n));
  KILN_ASSIGN_OR_RETURN(v.cls, OptionalId(file, "cls_token_id", -1, n));
  KILN_ASSIGN_OR_RETURN(v.pad, OptionalId(file, "padding_token_id", -1, n));
  KILN_ASSIGN_OR_RETURN(v.mask, OptionalId(file, "mask_token_id", -1, n));
  KILN_ASSIGN_OR_RETURN(v.eot, OptionalId(file, "eot_token_id", -1, n));
  if (bert) {
    if (v.cls < 0) v.cls = v.bos >= 0 ? v.bos : IdOfText(v.tokens, "[CLS]");
    if (v.sep < 0) v.sep = v.eos >= 0 ? v.eos : IdOfText(v.tokens, "[SEP]");
    if (v.unk < 0) v.unk = IdOfText(v.tokens, "[UNK]");
  }
  KILN_ASSIGN_OR_RETURN(v.add_bos, file.GetBoolOr(Key("add_bos_token"), spm || bert));
  KILN_ASSIGN_OR_RETURN(v.add_eos, file.GetBoolOr(Key("add_eos_token"), bert));
  KILN_ASSIGN_OR_RETURN(v.add_space_prefix, file.GetBoolOr(Key("add_space_prefix"), spm));
  if (!v.scores.empty() && v.scores.size() != n) {
    return InvalidArgument("tokenizer: " + Key("scores") + " has " +
                           std::to_string(v.scores.size()) + " entries for " + std::to_string(n) +
                           " tokens");
  }
  if (!v.types.empty() && v.types.size() != n) {
    return InvalidArgument("tokenizer: " + Key("token_type") + " has " +
                           std::to_string(v.types.size()) + " entries for " + std::to_string(n) +
                           " tokens");
  }
  return v;
}

Result<Vocab> WordPieceVocabFromText(std::string_view vocab_txt) {
  Vocab v;
  v.kind = TokenizerKind::kWordPiece;
  size_t pos = 0;
  while (pos < vocab_txt.size()) {
    size_t end = vocab_txt.find('\n', pos);
    if (end == std::string_view::npos) end = vocab_txt.size();
    std::string_view line = vocab_txt.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    v.tokens.emplace_back(line);
    pos = end + 1;
  }
  if (v.tokens.empty()) return InvalidArgument("tokenizer: empty vocab.txt");
  v.types.assign(v.tokens.size(), TokenType::kNormal);
  const auto special = [&](std::string_view text) {
    const int32_t id = IdOfText(v.tokens, text);
    if (id >= 0) v.types[id] = TokenType::kControl;
    return id;
  };
  v.pad = special("[PAD]");
  v.unk = special("[UNK]");
  v.cls = special("[CLS]");
  v.sep = special("[SEP]");
  v.mask = special("[MASK]");
  v.add_bos = v.add_eos = true;
  return v;
}

}  // namespace kiln::engine
