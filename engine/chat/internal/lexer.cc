#include "engine/chat/internal/lexer.h"

#include <algorithm>
#include <cstdint>

#include "base/utf8.h"

namespace kiln::engine::chat::internal {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsNameChar(char c) { return IsNameStart(c) || IsDigit(c); }

int HexValue(char c) {
  if (IsDigit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Python "unicode-escape" decoding of a literal's body, as Jinja applies it.
// Unknown escapes keep their backslash, as Python does.
std::string Unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out.push_back(s[i]);
      continue;
    }
    char c = s[++i];
    size_t hex_len = c == 'x' ? 2 : c == 'u' ? 4 : c == 'U' ? 8 : 0;
    if (hex_len > 0) {
      uint32_t cp = 0;
      bool valid = i + hex_len < s.size();
      for (size_t k = 1; valid && k <= hex_len; ++k) {
        int h = HexValue(s[i + k]);
        if (h < 0) valid = false;
        cp = cp * 16 + static_cast<uint32_t>(h < 0 ? 0 : h);
      }
      if (valid && cp <= 0x10FFFF) {
        AppendUtf8(cp, &out);
        i += hex_len;
      } else {
        out.push_back('\\');
        out.push_back(c);
      }
      continue;
    }
    switch (c) {
      case 'n':
        out.push_back('\n');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 'b':
        out.push_back('\b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case 'v':
        out.push_back('\v');
        break;
      case 'a':
        out.push_back('\a');
        break;
      case '0':
        out.push_back('\0');
        break;
      case '\\':
        out.push_back('\\');
        break;
      case '\'':
        out.push_back('\'');
        break;
      case '"':
        out.push_back('"');
        break;
      case '\n':
        break;  // line continuation
      default:
        out.push_back('\\');
        out.push_back(c);
    }
  }
  return out;
}

class Lexer {
 public:
  explicit Lexer(std::string source) : src_(std::move(source)) {}

  Result<std::vector<Token>> Run() {
    while (pos_ < src_.size()) {
      size_t tag = FindTagStart(pos_);
      if (tag == std::string::npos) {
        Emit(TokenKind::kText, src_.substr(pos_), pos_);
        break;
      }
      char type = src_[tag + 1];
      char sign = tag + 2 < src_.size() ? src_[tag + 2] : '\0';
      std::string text = src_.substr(pos_, tag - pos_);
      bool line_starting = pos_ == 0 || src_[pos_ - 1] == '\n';
      if (sign == '-') {
        size_t end = text.size();
        while (end > 0 && IsSpace(text[end - 1])) --end;
        text.resize(end);
      } else if (sign != '+' && type != '{') {  // lstrip_blocks
        size_t l_pos = text.rfind('\n');
        l_pos = l_pos == std::string::npos ? 0 : l_pos + 1;
        if ((l_pos > 0 || line_starting) && l_pos < text.size() &&
            std::all_of(text.begin() + l_pos, text.end(), IsSpace)) {
          text.resize(l_pos);
        }
      }
      if (!text.empty()) Emit(TokenKind::kText, std::move(text), pos_);
      size_t body = tag + 2 + ((sign == '-' || sign == '+') ? 1 : 0);
      Status s = type == '#'   ? LexComment(tag, body)
                 : type == '%' ? LexBlock(tag, body)
                               : LexTag(tag, body, /*block=*/false);
      if (!s.ok()) return s;
    }
    tokens_.push_back({TokenKind::kEof, "", LineAt(src_.size())});
    return std::move(tokens_);
  }

 private:
  size_t FindTagStart(size_t from) const {
    for (size_t i = src_.find('{', from); i != std::string::npos; i = src_.find('{', i + 1)) {
      if (i + 1 < src_.size() && (src_[i + 1] == '{' || src_[i + 1] == '%' || src_[i + 1] == '#')) {
        return i;
      }
    }
    return std::string::npos;
  }

  int LineAt(size_t pos) {
    pos = std::min(pos, src_.size());
    if (pos < line_pos_) line_pos_ = 0, line_ = 1;
    line_ += static_cast<int>(std::count(src_.begin() + line_pos_, src_.begin() + pos, '\n'));
    line_pos_ = pos;
    return line_;
  }

  void Emit(TokenKind kind, std::string text, size_t pos) {
    tokens_.push_back({kind, std::move(text), LineAt(pos)});
  }

  Status Error(size_t pos, std::string_view what) {
    return InvalidArgument("chat template line " + std::to_string(LineAt(pos)) + ": " +
                           std::string(what));
  }

  // Skips what follows a closing `%}` or `#}`: everything after `-`, one newline
  // (trim_blocks) when unmarked, nothing after `+`.
  size_t SkipAfterEnd(size_t after, char sign) const {
    if (sign == '-') {
      while (after < src_.size() && IsSpace(src_[after])) ++after;
    } else if (sign != '+' && after < src_.size() && src_[after] == '\n') {
      ++after;
    }
    return after;
  }

  Status LexComment(size_t tag, size_t body) {
    size_t end = src_.find("#}", body);
    if (end == std::string::npos) return Error(tag, "missing end of comment tag");
    char sign = end > body ? src_[end - 1] : '\0';
    pos_ = SkipAfterEnd(end + 2, sign);
    return Status::OK();
  }

  // `{% raw %}...{% endraw %}` passes its body through untouched.
  Status LexBlock(size_t tag, size_t body) {
    size_t p = body;
    while (p < src_.size() && IsSpace(src_[p])) ++p;
    if (src_.compare(p, 3, "raw") == 0 && (p + 3 >= src_.size() || !IsNameChar(src_[p + 3]))) {
      p += 3;
      while (p < src_.size() && IsSpace(src_[p])) ++p;
      bool dash = p < src_.size() && src_[p] == '-';
      if (src_.compare(p + (dash ? 1 : 0), 2, "%}") == 0)
        return LexRaw(tag, p + (dash ? 3 : 2), dash);
    }
    return LexTag(tag, body, /*block=*/true);
  }

  Status LexRaw(size_t tag, size_t start, bool dash) {
    if (dash) {
      while (start < src_.size() && IsSpace(src_[start])) ++start;
    }
    for (size_t i = src_.find("{%", start); i != std::string::npos; i = src_.find("{%", i + 2)) {
      size_t p = i + 2;
      char sign = p < src_.size() ? src_[p] : '\0';
      if (sign == '-' || sign == '+') ++p;
      while (p < src_.size() && IsSpace(src_[p])) ++p;
      if (src_.compare(p, 6, "endraw") != 0) continue;
      p += 6;
      while (p < src_.size() && IsSpace(src_[p])) ++p;
      char end_sign = p < src_.size() ? src_[p] : '\0';
      if (end_sign == '-' || end_sign == '+') ++p;
      if (src_.compare(p, 2, "%}") != 0) continue;
      std::string text = src_.substr(start, i - start);
      if (sign == '-') {
        while (!text.empty() && IsSpace(text.back())) text.pop_back();
      }
      if (!text.empty()) Emit(TokenKind::kText, std::move(text), start);
      pos_ = SkipAfterEnd(p + 2, end_sign == '-' || end_sign == '+' ? end_sign : '\0');
      return Status::OK();
    }
    return Error(tag, "missing {% endraw %}");
  }

  Status LexTag(size_t tag, size_t p, bool block) {
    Emit(block ? TokenKind::kBlockBegin : TokenKind::kVarBegin, block ? "{%" : "{{", tag);
    std::vector<char> brackets;
    const char* close = block ? "%}" : "}}";
    while (true) {
      while (p < src_.size() && IsSpace(src_[p])) ++p;
      if (p >= src_.size()) return Error(tag, block ? "unclosed '{%'" : "unclosed '{{'");
      if (brackets.empty()) {
        char sign = src_[p];
        size_t q = (sign == '-' || (sign == '+' && block)) ? p + 1 : p;
        if (src_.compare(q, 2, close) == 0) {
          Emit(block ? TokenKind::kBlockEnd : TokenKind::kVarEnd, close, p);
          pos_ = block ? SkipAfterEnd(q + 2, q == p ? '\0' : sign)
                       : (sign == '-' ? SkipAfterEnd(q + 2, '-') : q + 2);
          return Status::OK();
        }
      }
      Result<size_t> next = LexExprToken(p, &brackets);
      if (!next.ok()) return next.status();
      p = *next;
    }
  }

  Result<size_t> LexExprToken(size_t p, std::vector<char>* brackets) {
    char c = src_[p];
    if (IsDigit(c)) return LexNumber(p);
    if (IsNameStart(c)) {
      size_t e = p;
      while (e < src_.size() && IsNameChar(src_[e])) ++e;
      Emit(TokenKind::kName, src_.substr(p, e - p), p);
      return e;
    }
    if (c == '\'' || c == '"') {
      size_t e = p + 1;
      while (e < src_.size() && src_[e] != c) e += src_[e] == '\\' ? 2 : 1;
      if (e >= src_.size()) return Error(p, "unterminated string literal");
      Emit(TokenKind::kString, Unescape(std::string_view(src_).substr(p + 1, e - p - 1)), p);
      return e + 1;
    }
    static constexpr std::string_view kTwo[] = {"//", "**", "==", "!=", ">=", "<="};
    for (std::string_view op : kTwo) {
      if (src_.compare(p, 2, op) == 0) {
        Emit(TokenKind::kOp, std::string(op), p);
        return p + 2;
      }
    }
    if (std::string_view("+-*/%~[](){}<>=.:|,;").find(c) == std::string_view::npos) {
      return Error(p, std::string("unexpected character '") + c + "'");
    }
    if (c == '(' || c == '[' || c == '{')
      brackets->push_back(c == '(' ? ')' : c == '[' ? ']' : '}');
    if (c == ')' || c == ']' || c == '}') {
      if (brackets->empty() || brackets->back() != c) {
        return Error(p, std::string("unexpected '") + c + "'");
      }
      brackets->pop_back();
    }
    Emit(TokenKind::kOp, std::string(1, c), p);
    return p + 1;
  }

  Result<size_t> LexNumber(size_t p) {
    size_t e = p;
    std::string digits;
    auto take_digits = [&] {
      while (e < src_.size() && (IsDigit(src_[e]) ||
                                 (src_[e] == '_' && e + 1 < src_.size() && IsDigit(src_[e + 1])))) {
        if (src_[e] != '_') digits.push_back(src_[e]);
        ++e;
      }
    };
    take_digits();
    bool is_float = false;
    if (e + 1 < src_.size() && src_[e] == '.' && IsDigit(src_[e + 1])) {
      is_float = true;
      digits.push_back('.');
      ++e;
      take_digits();
    }
    if (e < src_.size() && (src_[e] == 'e' || src_[e] == 'E')) {
      size_t s = e + 1;
      if (s < src_.size() && (src_[s] == '+' || src_[s] == '-')) ++s;
      if (s < src_.size() && IsDigit(src_[s])) {
        is_float = true;
        digits += 'e';
        digits.append(src_, e + 1, s - e - 1);
        e = s;
        take_digits();
      }
    }
    Emit(is_float ? TokenKind::kFloat : TokenKind::kInt, std::move(digits), p);
    return e;
  }

  std::string src_;
  size_t pos_ = 0;
  size_t line_pos_ = 0;
  int line_ = 1;
  std::vector<Token> tokens_;
};

// Jinja's newline handling: \r\n and \r become \n, and one trailing newline
// is dropped (keep_trailing_newline=False).
std::string NormalizeNewlines(std::string_view source) {
  std::string out;
  out.reserve(source.size());
  for (size_t i = 0; i < source.size(); ++i) {
    if (source[i] == '\r') {
      out.push_back('\n');
      if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
    } else {
      out.push_back(source[i]);
    }
  }
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

}  // namespace

Result<std::vector<Token>> Tokenize(std::string_view source) {
  return Lexer(NormalizeNewlines(source)).Run();
}

}  // namespace kiln::engine::chat::internal
