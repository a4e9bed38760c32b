// The packer: turns a range of units (units.h) into chunks of at most `limit`
// tokens. Internal to rag/chunk/.
//
// It walks the tree the cut levels describe. A node (a block, a paragraph, a
// sentence...) that fits the limit is placed whole: appended to the open
// chunk when it fits there, else it opens the next chunk. A node over the
// limit closes the open chunk, so that the cut falls on the strongest
// boundary available, and its children are placed in turn, one level down.
//
// Overlap: a chunk opened after another starts with the longest run of whole
// sentences from the end of the previous chunk's own text (not its overlap)
// that sums to at most `overlap` tokens and still leaves room for the node
// that opened the chunk. Chunks of one packing run are contiguous in the
// unit list, so the overlap is always the text right before the new content.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "rag/chunk/chunker.h"
#include "rag/chunk/units.h"

namespace kiln::rag::chunk {

struct PackedChunk {
  size_t begin = 0;          // first unit, overlap included
  size_t content_begin = 0;  // first unit after the overlap
  size_t end = 0;            // one past the last unit
  std::string text;          // units.Render(begin, end), never empty
  int64_t tokens = 0;        // count(text)
};

// Packs units [begin, end) into chunks of at most `limit` tokens (as `count`
// measures their rendered text), with at most `overlap` tokens of overlap.
// When a rendered chunk counts over the limit although its parts summed
// under it (a tokenizer whose counts do not add up), it is re-packed without
// overlap and, if still over, halved at its strongest internal cut, so the
// limit holds for any counter unless a single unit is over it.
std::vector<PackedChunk> PackUnits(const UnitList& units, size_t begin, size_t end, int64_t limit,
                                   int64_t overlap, const TokenCounter& count);

}  // namespace kiln::rag::chunk
