// A small pull tokenizer for the XML parts of Office documents. It splits
// markup into start/end/empty tags and text; it does not validate, resolve
// namespaces or expand DTD entities (so entity bombs have nothing to expand).
// Internal to rag/parse/.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kiln::rag::parse_internal {

struct XmlToken {
  enum class Kind {
    kStartTag,  // <w:p ...>
    kEndTag,    // </w:p>
    kEmptyTag,  // <w:br/>
    kText,      // character data, entities not yet decoded
    kCdata,     // <![CDATA[...]]> content, literal
  };
  Kind kind = Kind::kText;
  std::string_view name;   // qualified tag name ("w:p"); empty for text
  std::string_view attrs;  // the raw attribute text of a tag
  std::string_view text;   // raw character data
};

// Tokenizes a borrowed buffer, which must outlive the tokenizer and the
// tokens. Comments, processing instructions and DOCTYPE are skipped.
class XmlTokenizer {
 public:
  explicit XmlTokenizer(std::string_view xml) : xml_(xml) {}

  // Fills `token` with the next token; false at the end of the input or at
  // markup too broken to continue (then malformed() is true).
  bool Next(XmlToken* token);
  bool malformed() const { return malformed_; }

 private:
  bool Fail() {
    malformed_ = true;
    pos_ = xml_.size();
    return false;
  }

  std::string_view xml_;
  size_t pos_ = 0;
  bool malformed_ = false;
};

// "w:p" -> "p".
std::string_view LocalName(std::string_view qualified_name);

// The decoded value of the attribute whose local name is `local_name`
// ("val" finds w:val="..."), or nullopt.
std::optional<std::string> XmlAttribute(std::string_view attrs, std::string_view local_name);

// Appends character data with the XML entities (&amp; &lt; &gt; &quot; &apos;)
// and numeric references decoded; anything else is kept as written.
void AppendXmlDecoded(std::string_view raw, std::string* out);

}  // namespace kiln::rag::parse_internal
