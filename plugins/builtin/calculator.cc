#include "plugins/builtin/calculator.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "base/utf8.h"

namespace kiln::plugins {
namespace {

// The expression in ASCII: full-width forms and the usual signs folded.
Result<std::string> Normalize(std::string_view text) {
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    const uint32_t cp = DecodeUtf8(text, &pos);
    if (cp >= 0xFF01 && cp <= 0xFF5E) {  // full-width ASCII
      out += static_cast<char>(cp - 0xFF01 + 0x21);
    } else if (cp == 0x00D7 || cp == 0x2217 || cp == 0x22C5) {
      out += '*';
    } else if (cp == 0x00F7 || cp == 0x2215) {
      out += '/';
    } else if (cp == 0x2212 || cp == 0x2013) {
      out += '-';
    } else if (cp == 0x3000 || cp == '\t' || cp == '\n' || cp == '\r') {
      out += ' ';
    } else if (cp == 0x3002 && pos == text.size()) {
      // A sentence's closing 。 is no operator.
    } else if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else {
      return InvalidArgument("unexpected character in the expression at " +
                             std::to_string(out.size()));
    }
  }
  return out;
}

class Parser {
 public:
  explicit Parser(const std::string& s) : s_(s) {}

  Result<double> Parse() {
    Skip();
    if (pos_ >= s_.size()) return Fail("expression is empty");
    KILN_ASSIGN_OR_RETURN(double v, Expr());
    Skip();
    if (pos_ < s_.size()) {
      if (s_[pos_] == ')') return Fail("unbalanced parenthesis at " + std::to_string(pos_ + 1));
      return Fail("unexpected '" + std::string(1, s_[pos_]) + "' at " + std::to_string(pos_ + 1));
    }
    if (!std::isfinite(v)) return Fail("result is not finite");
    return v;
  }

 private:
  static Status Fail(std::string message) {
    return InvalidArgument(std::move(message), "expression");
  }

  void Skip() {
    while (pos_ < s_.size() && s_[pos_] == ' ') ++pos_;
  }
  bool Eat(char c) {
    Skip();
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  // Whether an operand starts here (so that '%' before it is modulo).
  bool OperandAhead() {
    Skip();
    if (pos_ >= s_.size()) return false;
    const char c = s_[pos_];
    return std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == '(' ||
           std::isalpha(static_cast<unsigned char>(c));
  }

  Result<double> Expr() {
    if (++parens_ > kMaxExpressionDepth) return Fail("expression is nested too deeply");
    KILN_ASSIGN_OR_RETURN(double v, Term());
    for (;;) {
      if (Eat('+')) {
        KILN_ASSIGN_OR_RETURN(double r, Term());
        v += r;
      } else if (Eat('-')) {
        KILN_ASSIGN_OR_RETURN(double r, Term());
        v -= r;
      } else {
        break;
      }
    }
    --parens_;
    return v;
  }

  Result<double> Term() {
    KILN_ASSIGN_OR_RETURN(double v, Unary());
    for (;;) {
      Skip();
      if (pos_ + 1 < s_.size() && s_[pos_] == '*' && s_[pos_ + 1] == '*') break;  // power
      if (Eat('*')) {
        KILN_ASSIGN_OR_RETURN(double r, Unary());
        v *= r;
      } else if (Eat('/')) {
        KILN_ASSIGN_OR_RETURN(double r, Unary());
        if (r == 0) return Fail("division by zero");
        v /= r;
      } else if (pos_ < s_.size() && s_[pos_] == '%') {
        const size_t at = pos_++;
        if (!OperandAhead()) {
          pos_ = at;  // a percent sign: Postfix took it already, or it ends the term
          break;
        }
        KILN_ASSIGN_OR_RETURN(double r, Unary());
        if (r == 0) return Fail("modulo by zero");
        v = std::fmod(v, r);
      } else {
        break;
      }
    }
    return v;
  }

  Result<double> Unary() {
    // Signs nest too ("- - -1"); bounded apart from parentheses.
    if (++depth_ > 4 * kMaxExpressionDepth) return Fail("expression is nested too deeply");
    double v = 0;
    if (Eat('-')) {
      KILN_ASSIGN_OR_RETURN(double r, Unary());
      v = -r;
    } else if (Eat('+')) {
      KILN_ASSIGN_OR_RETURN(v, Unary());
    } else {
      KILN_ASSIGN_OR_RETURN(v, Power());
    }
    --depth_;
    return v;
  }

  Result<double> Power() {
    KILN_ASSIGN_OR_RETURN(double base, Postfix());
    Skip();
    bool power = Eat('^');
    if (!power && pos_ + 1 < s_.size() && s_[pos_] == '*' && s_[pos_ + 1] == '*') {
      pos_ += 2;
      power = true;
    }
    if (!power) return base;
    KILN_ASSIGN_OR_RETURN(double exponent, Unary());  // right-associative
    const double v = std::pow(base, exponent);
    if (std::isnan(v)) return Fail("power of a negative number to a fraction");
    return v;
  }

  Result<double> Postfix() {
    KILN_ASSIGN_OR_RETURN(double v, Primary());
    for (;;) {
      Skip();
      if (pos_ < s_.size() && s_[pos_] == '%') {
        const size_t at = pos_++;
        if (OperandAhead()) {  // modulo: Term's business
          pos_ = at;
          break;
        }
        v /= 100;
      } else {
        break;
      }
    }
    return v;
  }

  Result<double> Primary() {
    Skip();
    if (pos_ >= s_.size()) return Fail("expression ends where a number was expected");
    const char c = s_[pos_];
    if (c == '(') {
      const size_t open = pos_++;
      KILN_ASSIGN_OR_RETURN(double v, Expr());
      if (!Eat(')')) return Fail("unbalanced parenthesis at " + std::to_string(open + 1));
      return v;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') return Number();
    if (std::isalpha(static_cast<unsigned char>(c))) return Name();
    return Fail("unexpected '" + std::string(1, c) + "' at " + std::to_string(pos_ + 1));
  }

  bool ThousandsComma(size_t at) const {
    auto digit = [&](size_t i) {
      return i < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i]));
    };
    return digit(at + 1) && digit(at + 2) && digit(at + 3) && !digit(at + 4);
  }

  Result<double> Number() {
    const size_t start = pos_;
    while (pos_ < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[pos_])) ||
                                s_[pos_] == '.' || s_[pos_] == ',')) {
      // A comma followed by exactly three digits is a thousands separator
      // ("1,000"); any other comma separates function arguments.
      if (s_[pos_] == ',' && !ThousandsComma(pos_)) break;
      ++pos_;
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      size_t p = pos_ + 1;
      if (p < s_.size() && (s_[p] == '+' || s_[p] == '-')) ++p;
      if (p < s_.size() && std::isdigit(static_cast<unsigned char>(s_[p]))) {
        while (p < s_.size() && std::isdigit(static_cast<unsigned char>(s_[p]))) ++p;
        pos_ = p;
      }
    }
    std::string text;
    for (size_t i = start; i < pos_; ++i) {
      if (s_[i] != ',') text += s_[i];
    }
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (end == text.c_str() || *end != '\0') {
      return Fail("malformed number '" + text + "' at " + std::to_string(start + 1));
    }
    return v;
  }

  Result<double> Name() {
    const size_t start = pos_;
    while (pos_ < s_.size() &&
           (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_'))
      ++pos_;
    std::string name = s_.substr(start, pos_ - start);
    for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (!Eat('(')) {
      if (name == "pi") return M_PI;
      if (name == "e") return M_E;
      return Fail("unknown name '" + name + "' at " + std::to_string(start + 1));
    }
    std::vector<double> args;
    if (!Eat(')')) {
      for (;;) {
        KILN_ASSIGN_OR_RETURN(double a, Expr());
        args.push_back(a);
        if (Eat(',')) continue;
        if (Eat(')')) break;
        return Fail("unbalanced parenthesis after " + name + " at " + std::to_string(start + 1));
      }
    }
    return Call(name, args);
  }

  Result<double> Call(const std::string& name, const std::vector<double>& a) {
    auto one = [&](double (*fn)(double)) -> Result<double> {
      if (a.size() != 1) return Fail(name + " takes one argument");
      return fn(a[0]);
    };
    if (name == "sqrt") {
      if (a.size() == 1 && a[0] < 0) return Fail("square root of a negative number");
      return one(std::sqrt);
    }
    if (name == "abs") return one(std::fabs);
    if (name == "floor") return one(std::floor);
    if (name == "ceil") return one(std::ceil);
    if (name == "exp") return one(std::exp);
    if (name == "sin") return one(std::sin);
    if (name == "cos") return one(std::cos);
    if (name == "tan") return one(std::tan);
    if (name == "log" || name == "ln" || name == "log10") {
      if (a.size() == 1 && a[0] <= 0) return Fail("logarithm of a number that is not positive");
      return one(name == "log10" ? static_cast<double (*)(double)>(std::log10)
                                 : static_cast<double (*)(double)>(std::log));
    }
    if (name == "round") {
      if (a.empty() || a.size() > 2) return Fail("round takes one or two arguments");
      const double digits = a.size() == 2 ? std::clamp(std::round(a[1]), -15.0, 15.0) : 0;
      const double scale = std::pow(10.0, digits);
      return std::round(a[0] * scale) / scale;
    }
    if (name == "min" || name == "max") {
      if (a.empty()) return Fail(name + " needs at least one argument");
      double v = a[0];
      for (double x : a) v = name == "min" ? std::min(v, x) : std::max(v, x);
      return v;
    }
    return Fail("unknown function '" + name + "'");
  }

  const std::string& s_;
  size_t pos_ = 0;
  int depth_ = 0;   // Unary frames on the stack
  int parens_ = 0;  // Expr frames: parentheses and function arguments
};

}  // namespace

Result<double> EvaluateExpression(std::string_view expression) {
  if (expression.size() > kMaxExpressionLength * 4) {
    return InvalidArgument("expression is longer than 1000 characters", "expression");
  }
  KILN_ASSIGN_OR_RETURN(std::string text, Normalize(expression));
  if (text.size() > kMaxExpressionLength) {
    return InvalidArgument("expression is longer than 1000 characters", "expression");
  }
  return Parser(text).Parse();
}

std::string FormatNumber(double value) {
  if (value == 0) return "0";  // also -0
  if (std::fabs(value) < 1e15 && value == std::round(value)) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.0f", value);
    return buf;
  }
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%.12g", value);
  return buf;
}

}  // namespace kiln::plugins
