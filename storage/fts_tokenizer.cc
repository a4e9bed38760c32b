#include "storage/internal/fts_tokenizer.h"

#include <new>
#include <string>

#include "storage/fulltext_tokens.h"

namespace kiln::storage::internal {
namespace {

// The tokenizer has no options and no state: one static instance.
struct Tokenizer {};
Tokenizer g_tokenizer;

int Create(void*, const char**, int n_args, Fts5Tokenizer** out) {
  if (n_args != 0) return SQLITE_ERROR;  // kiln_cjk takes no arguments
  *out = reinterpret_cast<Fts5Tokenizer*>(&g_tokenizer);
  return SQLITE_OK;
}

void Delete(Fts5Tokenizer*) {}

using TokenFn = int (*)(void* ctx, int flags, const char* token, int n, int begin, int end);

int Tokenize(Fts5Tokenizer*, void* ctx, int /*flags*/, const char* text, int n_text, TokenFn emit) {
  if (text == nullptr || n_text <= 0) return SQLITE_OK;
  int rc = SQLITE_OK;
  try {
    ForEachFullTextToken(std::string_view(text, static_cast<size_t>(n_text)),
                         [&](const FullTextToken& t) {
                           if (rc != SQLITE_OK) return;
                           rc = emit(ctx, 0, t.text.data(), static_cast<int>(t.text.size()),
                                     static_cast<int>(t.begin), static_cast<int>(t.end));
                         });
  } catch (const std::bad_alloc&) {
    return SQLITE_NOMEM;  // nothing may unwind into SQLite
  }
  return rc;
}

}  // namespace

Status RegisterFullTextTokenizer(sqlite3* db) {
  fts5_api* api = nullptr;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &stmt, nullptr) != SQLITE_OK) {
    return Internal(std::string("this SQLite has no FTS5: ") + sqlite3_errmsg(db));
  }
  sqlite3_bind_pointer(stmt, 1, static_cast<void*>(&api), "fts5_api_ptr", nullptr);
  sqlite3_step(stmt);
  sqlite3_finalize(stmt);
  if (api == nullptr || api->iVersion < 2) return Internal("this SQLite's FTS5 API is too old");
  fts5_tokenizer methods{Create, Delete, Tokenize};
  const int rc = api->xCreateTokenizer(api, "kiln_cjk", nullptr, &methods, nullptr);
  if (rc != SQLITE_OK) return Internal("registering the kiln_cjk tokenizer failed");
  return Status::OK();
}

}  // namespace kiln::storage::internal
