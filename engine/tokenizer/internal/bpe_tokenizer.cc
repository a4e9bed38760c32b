#include "engine/tokenizer/internal/bpe_tokenizer.h"

#include <array>
#include <queue>
#include <utility>

#include "engine/tokenizer/internal/pretokenize.h"
#include "engine/tokenizer/internal/unicode.h"

namespace kiln::engine::tokenizer_internal {
namespace {

// Pre-tokenizers (tokenizer.ggml.pre) that llama.cpp runs as "\p{N}" then GPT-2's pattern.
constexpr std::string_view kDigitSplitting[] = {"smollm", "starcoder", "refact", "codeshell"};
// ... and as GPT-2's pattern alone.
constexpr std::string_view kPlainGpt2[] = {"gpt-2", "gpt2", "phi-2"};

// GPT-2's bytes_to_unicode: printable bytes stand for themselves, the other
// 68 become U+0100 onwards in byte order.
uint32_t ByteToChar(int b) {
  static const auto table = [] {
    std::array<uint32_t, 256> t{};
    uint32_t next = 256;
    for (int i = 0; i < 256; ++i) {
      const bool printable = (i >= 33 && i <= 126) || (i >= 161 && i <= 172) || i >= 174;
      t[i] = printable ? i : next++;
    }
    return t;
  }();
  return table[b];
}

struct Symbol {
  int32_t id;
  int32_t prev;
  int32_t next;
};

struct Bigram {
  int32_t rank;
  int32_t left;  // symbol index
  int32_t left_id;
  int32_t right_id;
};

// Lowest rank first; on a tie, the leftmost pair (llama.cpp's llm_bigram_bpe).
struct BigramOrder {
  bool operator()(const Bigram& a, const Bigram& b) const {
    return a.rank != b.rank ? a.rank > b.rank : a.left > b.left;
  }
};

uint64_t PairKey(int32_t left, int32_t right) {
  return uint64_t(uint32_t(left)) << 32 | uint32_t(right);
}

}  // namespace

Result<std::unique_ptr<Tokenizer>> BpeTokenizer::Create(Vocab vocab) {
  bool digits = false, known = false;
  for (std::string_view p : kDigitSplitting) digits = digits || p == vocab.pre;
  for (std::string_view p : kPlainGpt2) known = known || p == vocab.pre;
  if (!digits && !known) {
    return InvalidArgument("tokenizer: unsupported BPE pre-tokenizer \"" + vocab.pre +
                           "\" (supported: smollm, starcoder, refact, codeshell, gpt-2, phi-2)");
  }
  auto tok = std::make_unique<BpeTokenizer>(std::move(vocab));
  tok->split_digits_ = digits;
  KILN_RETURN_IF_ERROR(tok->BuildMerges());
  return std::unique_ptr<Tokenizer>(std::move(tok));
}

int32_t BpeTokenizer::SymbolId(const std::string& text) {
  // Called before Init() fills the base index, so look in the vocabulary directly.
  auto it = extra_ids_.find(text);
  if (it != extra_ids_.end()) return it->second;
  const auto id = static_cast<int32_t>(vocab_.tokens.size() + extra_texts_.size());
  extra_ids_.emplace(text, id);
  extra_texts_.push_back(text);
  return id;
}

Status BpeTokenizer::BuildMerges() {
  // Seed extra_ids_ with the vocabulary itself (the last duplicate wins, as in
  // the base index); extra_texts_ holds only what lies beyond it.
  for (size_t i = 0; i < vocab_.tokens.size(); ++i) {
    extra_ids_[vocab_.tokens[i]] = static_cast<int32_t>(i);
  }
  for (int b = 0; b < 256; ++b) {
    AppendUtf8(ByteToChar(b), &byte_char_[b]);
    char_to_byte_[ByteToChar(b)] = static_cast<uint8_t>(b);
    byte_symbol_[b] = SymbolId(byte_char_[b]);
  }
  merges_.reserve(vocab_.merges.size());
  for (size_t rank = 0; rank < vocab_.merges.size(); ++rank) {
    const std::string& m = vocab_.merges[rank];
    const size_t space = m.find(' ', 1);
    if (space == std::string::npos) {
      return InvalidArgument("tokenizer: merge " + std::to_string(rank) + " \"" + m +
                             "\" has no space");
    }
    const std::string left = m.substr(0, space), right = m.substr(space + 1);
    const int32_t l = SymbolId(left), r = SymbolId(right), result = SymbolId(left + right);
    // A repeated pair keeps its first (best) rank.
    merges_.try_emplace(PairKey(l, r), Merge{static_cast<int32_t>(rank), result});
  }
  extra_ids_.clear();  // only needed while building
  return Status::OK();
}

void BpeTokenizer::EncodeText(std::string_view text, bool /*after_special*/,
                              std::vector<int32_t>* out) const {
  const std::vector<uint32_t> cpts = DecodeUtf8(text);
  std::string word;
  for (const Span& span : SplitGpt2(cpts, split_digits_)) {
    // Re-encode, so invalid input bytes arrive here as U+FFFD.
    word.clear();
    for (size_t i = span.begin; i < span.end; ++i) AppendUtf8(cpts[i], &word);
    EncodeWord(word, out);
  }
}

void BpeTokenizer::EncodeWord(std::string_view word, std::vector<int32_t>* out) const {
  std::vector<Symbol> symbols(word.size());
  for (size_t i = 0; i < word.size(); ++i) {
    symbols[i] = {byte_symbol_[static_cast<uint8_t>(word[i])], int32_t(i) - 1,
                  i + 1 < word.size() ? int32_t(i + 1) : -1};
  }
  std::priority_queue<Bigram, std::vector<Bigram>, BigramOrder> queue;
  const auto try_add = [&](int32_t left) {
    if (left < 0 || symbols[left].next < 0) return;
    const int32_t l = symbols[left].id, r = symbols[symbols[left].next].id;
    auto it = merges_.find(PairKey(l, r));
    if (it != merges_.end()) queue.push({it->second.rank, left, l, r});
  };
  for (size_t i = 0; i + 1 < word.size(); ++i) try_add(int32_t(i));
  while (!queue.empty()) {
    const Bigram b = queue.top();
    queue.pop();
    Symbol& left = symbols[b.left];
    // Stale when either side has changed since the pair was queued.
    if (left.id != b.left_id || left.next < 0 || symbols[left.next].id != b.right_id) continue;
    Symbol& right = symbols[left.next];
    left.id = merges_.at(PairKey(b.left_id, b.right_id)).result;
    right.id = -1;  // gone
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = b.left;
    try_add(left.prev);
    try_add(b.left);
  }
  for (int32_t i = word.empty() ? -1 : 0; i >= 0; i = symbols[i].next)
    EmitSymbol(symbols[i].id, out);
}

void BpeTokenizer::EmitSymbol(int32_t symbol, std::vector<int32_t>* out) const {
  if (symbol < n_vocab()) {
    out->push_back(symbol);
    return;
  }
  // Not a token: llama.cpp falls back to the single bytes of its text that are tokens.
  for (char c : extra_texts_[symbol - n_vocab()]) {
    const int32_t id = Find(std::string_view(&c, 1));
    if (id >= 0) out->push_back(id);
  }
}

void BpeTokenizer::AppendNormalPiece(int32_t id, bool /*first*/, std::string* out) const {
  const std::string& text = vocab_.tokens[id];
  for (size_t pos = 0; pos < text.size();) {
    const size_t start = pos;
    const uint32_t cp = DecodeUtf8(text, &pos);
    auto it = char_to_byte_.find(cp);
    if (it != char_to_byte_.end()) {
      out->push_back(static_cast<char>(it->second));
    } else {
      out->append(text, start, pos - start);  // not a byte stand-in: keep as is
    }
  }
}

}  // namespace kiln::engine::tokenizer_internal
