#include "engine/tokenizer/internal/spm_tokenizer.h"

#include <algorithm>
#include <cstdio>
#include <queue>
#include <utility>

#include "engine/tokenizer/internal/unicode.h"

namespace kiln::engine::tokenizer_internal {
namespace {

constexpr std::string_view kSpaceMark = "\xE2\x96\x81";  // U+2581 LOWER ONE EIGHTH BLOCK

struct Symbol {
  size_t begin;  // into the escaped text
  size_t size;   // 0 once merged into its left neighbour
  int32_t prev;
  int32_t next;
};

struct Bigram {
  float score;
  int32_t left;
  int32_t right;
  size_t size;
};

// Highest score first; on a tie, the leftmost pair (llama.cpp's llm_bigram_spm).
struct BigramOrder {
  bool operator()(const Bigram& a, const Bigram& b) const {
    return a.score < b.score || (a.score == b.score && a.left > b.left);
  }
};

}  // namespace

SpmTokenizer::SpmTokenizer(Vocab vocab) : Tokenizer(std::move(vocab)) {}

int32_t SpmTokenizer::ByteToken(uint8_t byte) const {
  char name[8];
  std::snprintf(name, sizeof(name), "<0x%02X>", byte);
  int32_t id = Find(name);
  if (id < 0) id = Find(std::string_view(reinterpret_cast<const char*>(&byte), 1));
  return id >= 0 ? id : vocab_.unk;  // llama.cpp would throw here; unk (or nothing) instead
}

void SpmTokenizer::EncodeText(std::string_view raw, bool after_special,
                              std::vector<int32_t>* out) const {
  std::string owned;
  owned.reserve(raw.size() + 8);
  if (vocab_.add_space_prefix && after_special) owned = kSpaceMark;
  for (char c : raw) {
    if (c == ' ') {
      owned += kSpaceMark;
    } else {
      owned += c;
    }
  }
  const std::string_view text = owned;
  // Symbols start as UTF-8 characters, judged by the lead byte alone as
  // llama.cpp does (so invalid bytes travel on and end as byte tokens).
  std::vector<Symbol> symbols;
  symbols.reserve(text.size());
  for (size_t offs = 0; offs < text.size();) {
    const size_t n = std::min(Utf8SequenceLength(uint8_t(text[offs])), text.size() - offs);
    const auto index = static_cast<int32_t>(symbols.size());
    symbols.push_back({offs, n, index - 1, offs + n == text.size() ? -1 : index + 1});
    offs += n;
  }
  std::priority_queue<Bigram, std::vector<Bigram>, BigramOrder> queue;
  const auto try_add = [&](int32_t left, int32_t right) {
    if (left < 0 || right < 0) return;
    const size_t size = symbols[left].size + symbols[right].size;
    const int32_t id = Find(text.substr(symbols[left].begin, size));
    if (id < 0) return;
    queue.push({vocab_.scores.empty() ? 0.0f : vocab_.scores[id], left, right, size});
  };
  for (int32_t i = 1; i < static_cast<int32_t>(symbols.size()); ++i) try_add(i - 1, i);
  while (!queue.empty()) {
    const Bigram b = queue.top();
    queue.pop();
    Symbol& left = symbols[b.left];
    Symbol& right = symbols[b.right];
    if (left.size == 0 || right.size == 0 || left.size + right.size != b.size) continue;
    left.size += right.size;
    right.size = 0;
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = b.left;
    try_add(left.prev, b.left);
    try_add(b.left, left.next);
  }
  // Every merged piece is a token (only tokens are queued), so only single
  // characters can miss; they become byte tokens. (llama.cpp's resegment
  // step, whose split-back branch can therefore never run.)
  for (int32_t i = symbols.empty() ? -1 : 0; i >= 0; i = symbols[i].next) {
    const std::string_view piece = text.substr(symbols[i].begin, symbols[i].size);
    const int32_t id = Find(piece);
    if (id >= 0) {
      out->push_back(id);
      continue;
    }
    for (char c : piece) {
      const int32_t byte_id = ByteToken(static_cast<uint8_t>(c));
      if (byte_id >= 0) out->push_back(byte_id);
    }
  }
}

void SpmTokenizer::AppendNormalPiece(int32_t id, bool /*first*/, std::string* out) const {
  const std::string& text = vocab_.tokens[id];
  if (TypeOf(id) == TokenType::kByte) {
    unsigned value = 0;
    if (text.size() == 6 && std::sscanf(text.c_str(), "<0x%2X>", &value) == 1) {
      out->push_back(static_cast<char>(value));
      return;
    }
  }
  for (size_t pos = 0; pos < text.size();) {
    if (text.compare(pos, kSpaceMark.size(), kSpaceMark) == 0) {
      out->push_back(' ');
      pos += kSpaceMark.size();
    } else {
      out->push_back(text[pos++]);
    }
  }
}

}  // namespace kiln::engine::tokenizer_internal
