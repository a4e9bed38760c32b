// Rows of the knowledge tables (migration 2) and the lookups the knowledge
// repository's files share. Internal to storage/.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "storage/internal/sqlite.h"
#include "storage/knowledge.h"

namespace kiln::storage::internal {

// The 18 columns of `documents`, in ReadDocumentRow's and BindDocument's order.
inline constexpr std::string_view kDocumentColumns =
    "id, knowledge_id, name, source, source_url, content_type, bytes, sha256, status, error, "
    "chunks_done, chunks_total, format, encoding, replaces, attempts, created_at, updated_at";

// Binds parameters 1..18 in kDocumentColumns' order.
void BindDocument(Statement& stmt, const KnowledgeDocument& doc);
// Corruption for an unknown status.
Result<KnowledgeDocument> ReadDocumentRow(const Statement& stmt);
Result<DocumentStatus> ParseDocumentStatus(std::string_view name);

// The document in the base of the workspace, else NotFound.
Result<KnowledgeDocument> SelectDocument(Connection& conn, std::string_view workspace_id,
                                         std::string_view knowledge_id, std::string_view id);
// Deletes a document's chunks (the full-text trigger runs for each), inside
// the caller's transaction; returns their ids.
Result<std::vector<int64_t>> DeleteChunkRows(Connection& conn, std::string_view document_id);
// The same, then the document's row.
Result<std::vector<int64_t>> DeleteDocumentRows(Connection& conn, std::string_view id);

Status BaseNotFound(std::string_view id);
Status DocumentNotFound(std::string_view id);

}  // namespace kiln::storage::internal
