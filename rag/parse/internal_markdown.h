// Markdown inline markup removal, used by the markdown block parser
// (markdown_parser.cc) on headings, paragraphs, list items and table cells.
// Internal to rag/parse/.
#pragma once

#include <string>
#include <string_view>

namespace kiln::rag::parse_internal {

// Returns `text` with simple inline markup removed and every other character
// kept: **strong**, *em*, _em_, ~~strike~~ lose their delimiters when they
// pair up; `code` loses its backticks; [text](url) and [text][ref] become
// "text"; ![alt](src) becomes "alt"; a backslash before ASCII punctuation is
// dropped. Runs in time linear in the input, whatever its nesting.
std::string StripInlineMarkup(std::string_view text);

}  // namespace kiln::rag::parse_internal
