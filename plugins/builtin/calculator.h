// The calculator tool's arithmetic: a recursive-descent parser over what
// people type, never an eval. Numbers (1.5e3; full-width digits), + - * /,
// % as modulo between operands and as percent after one ("15%" = 0.15,
// "200 * 15%"), ^ or ** (power, right-associative, binds tighter than a
// unary minus: -2^2 = -4), parentheses (also full-width), x and / signs
// (× ÷ −), functions sqrt abs round(x[, digits]) floor ceil min max log
// (natural) log10 exp sin cos tan, constants pi and e. Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"

namespace kiln::plugins {

inline constexpr size_t kMaxExpressionLength = 1000;
inline constexpr int kMaxExpressionDepth = 64;

// The value, or InvalidArgument saying what is wrong and where ("division by
// zero", "unknown function 'foo'", "unbalanced parenthesis at 7", "result is
// not finite", "expression is empty", ...).
Result<double> EvaluateExpression(std::string_view expression);

// The value as people write it: integers without ".0", otherwise up to 12
// significant digits, never "-0".
std::string FormatNumber(double value);

}  // namespace kiln::plugins
