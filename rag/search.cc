// KnowledgeService::Search: semantic (FAISS), full-text (FTS5 over CJK
// bigrams and words) or hybrid (reciprocal rank fusion of both rankings).
//
// Scores on the normalised 0..1 scale that min_score is compared with:
//   semantic   the cosine of the query's and the chunk's embeddings, below 0
//              counted as 0. Not (1 + cosine) / 2: unrelated texts sit near
//              cosine 0, which that scale puts at 0.5, right at the default
//              min_score, so nothing would ever be a "no hit";
//   full-text  bm25 relative to the best full-text hit of the query (min-max
//              style: bm25 has no absolute scale; the best match is 1);
//   hybrid     the larger of the two: a chunk either retriever vouches for
//              passes, while the order is by RRF, sum of 1 / (60 + rank).
#include <algorithm>
#include <cmath>
#include <future>
#include <map>

#include "rag/fulltext_query.h"
#include "rag/internal/service_parts.h"

namespace kiln::rag {
namespace {

constexpr double kRrfK = 60;

// Full-text planning (fulltext_query.h: PlanMatch). FTS5 scores every chunk
// that holds any term of an OR query, about 1 us each with bm25, so a
// question's terms are kept, rarest first, while their estimated postings fit
// this budget (~8 ms; bench/rag: a 100k-chunk base's common bigrams alone hold
// 70k postings per question). Smaller bases always get every term.
constexpr int64_t kPostingBudget = 8000;
// Chunks sampled for the term statistics: a term in 1% of the base is seen
// about 20 times, enough to tell it from the rare ones that carry the ranking.
constexpr int kTermSampleSize = 2000;

std::string Trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

}  // namespace

Status KnowledgeService::CheckSearch(const std::string& workspace_id,
                                     const std::string& knowledge_id,
                                     const SearchRequest& request) {
  KILN_ASSIGN_OR_RETURN(storage::KnowledgeBase kb,
                        store_->knowledge().GetBase(workspace_id, knowledge_id));
  KILN_ASSIGN_OR_RETURN(KnowledgeSettings settings, Settings(kb));
  if (request.mode.value_or(settings.retrieval_mode) != RetrievalMode::kFullText) {
    KILN_RETURN_IF_ERROR(EmbedderFor(settings).status());
  }
  const std::string query = Trim(request.query);
  if (query.empty()) return InvalidArgument("query is empty", "query");
  if (query.size() > 4096) return InvalidArgument("query is longer than 4096 bytes", "query");
  return Status::OK();
}

Status KnowledgeService::SemanticCandidates(const storage::KnowledgeBase& kb,
                                            const KnowledgeSettings& settings, RetrievalMode mode,
                                            const std::string& query, int pool,
                                            std::map<int64_t, SearchCandidate>* candidates) {
  if (mode == RetrievalMode::kFullText) return Status::OK();
  KILN_ASSIGN_OR_RETURN(Embedder * embedder, EmbedderFor(settings));
  KILN_ASSIGN_OR_RETURN(std::vector<std::vector<float>> q, embedder->Embed({query}));
  std::shared_ptr<BaseIndex> index;
  {
    std::lock_guard lock(index_mu_);
    auto it = indexes_.find(kb.id);
    if (it != indexes_.end()) index = it->second;
  }
  if (index == nullptr || q.empty()) return Status::OK();
  const std::vector<VectorHit> hits = index->index->Search(q[0], pool);
  for (size_t r = 0; r < hits.size(); ++r) {
    SearchCandidate& c = (*candidates)[hits[r].id];
    c.semantic_rank = static_cast<int>(r) + 1;
    c.semantic = std::clamp(static_cast<double>(hits[r].score), 0.0, 1.0);
  }
  return Status::OK();
}

Result<std::vector<SearchHit>> KnowledgeService::Search(const std::string& workspace_id,
                                                        const std::string& knowledge_id,
                                                        const SearchRequest& request) {
  KILN_ASSIGN_OR_RETURN(storage::KnowledgeBase kb,
                        store_->knowledge().GetBase(workspace_id, knowledge_id));
  KILN_ASSIGN_OR_RETURN(KnowledgeSettings settings, Settings(kb));
  const RetrievalMode mode = request.mode.value_or(settings.retrieval_mode);
  const int top_k = std::clamp(request.top_k > 0 ? request.top_k : settings.top_k, 1, 50);
  const double min_score = request.min_score >= 0 ? request.min_score : settings.min_score;
  const std::string query = Trim(request.query);
  if (query.empty()) return InvalidArgument("query is empty", "query");
  if (query.size() > 4096) return InvalidArgument("query is longer than 4096 bytes", "query");
  // Each retriever offers more than top_k, so that fusion and the score
  // threshold have something to choose from.
  const int pool = std::max(4 * top_k, 20);

  // Both retrievers at once in hybrid mode: the query's embedding keeps the
  // executor's pool busy while SQLite answers the full-text half on a thread
  // of its own.
  const FullTextQuery text_query = BuildFullTextQuery(query);
  const bool use_text = mode != RetrievalMode::kSemantic && !text_query.empty();
  std::future<Result<std::vector<storage::TextHit>>> text_hits;
  if (use_text) {
    const auto policy = mode == RetrievalMode::kHybrid ? std::launch::async : std::launch::deferred;
    text_hits = std::async(policy, [&]() {
      const std::shared_ptr<const TermSample> sample = TermsFor(kb);
      const std::string match =
          PlanMatch(text_query.terms, sample.get(), kb.chunk_count, kPostingBudget);
      return store_->knowledge().SearchText(kb.id, match, text_query.substrings, pool);
    });
  }
  std::map<int64_t, SearchCandidate> candidates;
  Status semantic = SemanticCandidates(kb, settings, mode, query, pool, &candidates);
  if (use_text) {
    Result<std::vector<storage::TextHit>> hits = text_hits.get();  // joined before returning
    KILN_RETURN_IF_ERROR(semantic);
    if (!hits.ok()) return hits.status();
    for (size_t r = 0; r < hits->size(); ++r) {
      SearchCandidate& c = candidates[(*hits)[r].chunk_id];
      c.text_rank = static_cast<int>(r) + 1;
      c.bm25 = (*hits)[r].score;
    }
  }
  KILN_RETURN_IF_ERROR(semantic);
  double best_bm25 = 0;
  for (const auto& [id, c] : candidates) best_bm25 = std::max(best_bm25, c.bm25);
  std::vector<int64_t> ids;
  for (const auto& [id, c] : candidates) ids.push_back(id);
  KILN_ASSIGN_OR_RETURN(std::vector<storage::StoredChunk> chunks,
                        store_->knowledge().GetChunks(kb.id, ids));

  std::vector<SearchHit> hits;
  std::map<std::string, std::string> names;  // document id -> name
  for (storage::StoredChunk& chunk : chunks) {
    const SearchCandidate& c = candidates[chunk.id];
    SearchHit hit;
    hit.semantic_score = c.semantic;
    hit.text_score = best_bm25 > 0 ? std::clamp(c.bm25 / best_bm25, 0.0, 1.0) : 0;
    switch (mode) {
      case RetrievalMode::kSemantic:
        hit.score = hit.rank_score = c.semantic;
        break;
      case RetrievalMode::kFullText:
        hit.score = hit.text_score;
        hit.rank_score = c.bm25;
        break;
      case RetrievalMode::kHybrid:
        hit.score = std::max(hit.semantic_score, hit.text_score);
        hit.rank_score = (c.semantic_rank > 0 ? 1.0 / (kRrfK + c.semantic_rank) : 0) +
                         (c.text_rank > 0 ? 1.0 / (kRrfK + c.text_rank) : 0);
        break;
    }
    if (hit.score < min_score) continue;
    hit.chunk = std::move(chunk);
    hits.push_back(std::move(hit));
  }
  std::sort(hits.begin(), hits.end(), [](const SearchHit& a, const SearchHit& b) {
    if (a.rank_score != b.rank_score) return a.rank_score > b.rank_score;
    return a.chunk.id < b.chunk.id;
  });
  if (hits.size() > static_cast<size_t>(top_k)) hits.resize(static_cast<size_t>(top_k));
  for (SearchHit& hit : hits) {
    auto [it, inserted] = names.try_emplace(hit.chunk.document_id);
    if (inserted) {
      Result<storage::KnowledgeDocument> doc =
          store_->knowledge().GetDocument(workspace_id, kb.id, hit.chunk.document_id);
      it->second = doc.ok() ? doc->name : "";
    }
    hit.document_name = it->second;
  }
  return hits;
}

std::shared_ptr<const TermSample> KnowledgeService::TermsFor(const storage::KnowledgeBase& kb) {
  if (kb.chunk_count <= kPostingBudget) return nullptr;
  {
    std::lock_guard lock(terms_mu_);
    auto it = term_samples_.find(kb.id);
    if (it != term_samples_.end() &&
        std::abs(kb.chunk_count - it->second.chunks) * 5 <= it->second.chunks) {
      return it->second.sample;
    }
  }
  // Drawn outside the lock (tens of ms on a large base); two searches racing
  // here draw twice, harmlessly.
  Result<std::vector<std::string>> texts =
      store_->knowledge().SampleChunkTexts(kb.id, kTermSampleSize);
  if (!texts.ok()) return nullptr;  // plan without it: slower, never wrong
  auto sample = std::make_shared<const TermSample>(*texts);
  std::lock_guard lock(terms_mu_);
  term_samples_[kb.id] = SampledTerms{sample, kb.chunk_count};
  return sample;
}

}  // namespace kiln::rag
