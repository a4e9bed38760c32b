// The FTS5 tokenizer "kiln_cjk" (storage/fulltext_tokens.h), registered on a
// connection: every connection the store opens registers it before it runs
// any statement, since FTS5 looks a table's tokenizer up on the connection
// that reads or writes the table.
#pragma once

#include <sqlite3.h>

#include "base/status.h"

namespace kiln::storage::internal {

Status RegisterFullTextTokenizer(sqlite3* db);

}  // namespace kiln::storage::internal
