// Which retrieved passages an answer draws on: the [n] markers it wrote
// (also 【n】 and [n, m]), and, when it wrote none, the passage that shares
// the most of its wording (character bigrams of the answer found in the
// passage; at least kMinOverlap of them). Small models seldom write markers,
// and the editor still shows where an answer came from. Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace kiln::agent {

inline constexpr double kMinOverlap = 0.3;

struct Citation {
  int index = 0;        // the passage's number (1-based)
  bool marked = false;  // written by the model as [n], or attributed by overlap
  double overlap = 0;   // share of the answer's bigrams in the passage
};

// passages[i] is passage i + 1.
std::vector<Citation> FindCitations(std::string_view answer,
                                    const std::vector<std::string>& passages);

}  // namespace kiln::agent
