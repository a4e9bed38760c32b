// HTML helpers used by the HTML parser (html_parser.cc). Internal to
// rag/parse/.
#pragma once

#include <string>
#include <string_view>

namespace kiln::rag::parse_internal {

// Appends `text` to `out` with character references decoded: the common named
// ones (&amp; &lt; &nbsp; &mdash; &eacute; ...), decimal &#123; and hex
// &#x1F600;. Unknown or malformed references are kept as written. &nbsp;
// becomes a plain space: for search, a no-break space is just a space.
void AppendHtmlDecoded(std::string_view text, std::string* out);

// The charset a <meta charset=...> or <meta http-equiv content="...;
// charset=..."> near the start of the document declares, lower-case; "" when
// there is none.
std::string SniffMetaCharset(std::string_view html);

}  // namespace kiln::rag::parse_internal
