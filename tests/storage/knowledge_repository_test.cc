// The knowledge tables through the SQLite store: bases per workspace, the
// document queue (claim, requeue after a crash, give up after max attempts),
// completing a document atomically with its chunks and full-text entries,
// replacement, deletion from the full-text index, and text search in Chinese
// and English.
#include <gtest/gtest.h>

#include <algorithm>

#include "tests/storage/test_util.h"

namespace kiln::storage {
namespace {

using testing::OpenOrDie;
using testing::OptionsFor;
using testing::TempDir;

KnowledgeBase Base(const std::string& id, const std::string& ws) {
  KnowledgeBase kb;
  kb.id = id;
  kb.workspace_id = ws;
  kb.name = "base " + id;
  kb.settings = R"({"top_k": 3})";
  kb.created_at = kb.updated_at = 100;
  return kb;
}

KnowledgeDocument Doc(const std::string& id, const std::string& kb, const std::string& name) {
  KnowledgeDocument d;
  d.id = id;
  d.knowledge_id = kb;
  d.name = name;
  d.source = "upload";
  d.bytes = 10;
  d.sha256 = std::string(64, 'a');
  d.created_at = d.updated_at = 100;
  return d;
}

std::vector<StoredChunk> Chunks(const std::vector<std::string>& texts) {
  std::vector<StoredChunk> out;
  for (size_t i = 0; i < texts.size(); ++i) {
    StoredChunk c;
    c.position = static_cast<int64_t>(i);
    c.text = texts[i];
    c.heading_path = {"Intro", "第一章"};
    c.tokens = 5;
    c.embedding = {float(i), 1.0f, -2.5f};
    out.push_back(c);
  }
  return out;
}

std::vector<int64_t> HitIds(const std::vector<TextHit>& hits) {
  std::vector<int64_t> ids;
  for (const TextHit& h : hits) ids.push_back(h.chunk_id);
  return ids;
}

class KnowledgeRepositoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = OpenOrDie(OptionsFor(dir_));
    ASSERT_NE(store_, nullptr);
    ASSERT_TRUE(repo().CreateBase(Base("kb_a", "ws_1")).ok());
    ASSERT_TRUE(repo().CreateBase(Base("kb_b", "ws_2")).ok());
  }
  KnowledgeRepository& repo() { return store_->knowledge(); }

  TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(KnowledgeRepositoryTest, BasesBelongToTheirWorkspace) {
  EXPECT_TRUE(repo().GetBase("ws_1", "kb_a").ok());
  EXPECT_EQ(repo().GetBase("ws_2", "kb_a").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(repo().CreateBase(Base("kb_a", "ws_1")).code(), StatusCode::kAlreadyExists);
  auto page = repo().ListBases("ws_1", {});
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].settings, R"({"top_k": 3})");
  auto changed = repo().ModifyBase("ws_1", "kb_a", [](KnowledgeBase& kb) {
    kb.name = "renamed";
    kb.settings = R"({"top_k": 5})";
    return Status::OK();
  });
  ASSERT_TRUE(changed.ok());
  EXPECT_EQ(repo().GetBase("ws_1", "kb_a")->name, "renamed");
  // A document of another workspace's base cannot be created through ws_1.
  EXPECT_EQ(repo().CreateDocument("ws_1", Doc("doc_x", "kb_b", "x.txt")).code(),
            StatusCode::kNotFound);
}

TEST_F(KnowledgeRepositoryTest, TheQueueClaimsOldestFirstAndRequeuesAfterACrash) {
  ASSERT_TRUE(repo().CreateDocument("ws_1", Doc("doc_1", "kb_a", "a.txt")).ok());
  ASSERT_TRUE(repo().CreateDocument("ws_1", Doc("doc_2", "kb_a", "b.txt")).ok());
  auto first = repo().ClaimQueuedDocument(200);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->id, "doc_1");
  EXPECT_EQ(first->status, DocumentStatus::kParsing);
  EXPECT_EQ(first->attempts, 1);
  ASSERT_TRUE(repo().UpdateProgress("doc_1", DocumentStatus::kEmbedding, 3, 9, 201).ok());
  auto second = repo().ClaimQueuedDocument(200);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->id, "doc_2");
  EXPECT_EQ(repo().ClaimQueuedDocument(200).status().code(), StatusCode::kNotFound);

  // "Restart": both in flight go back to the queue...
  auto n = repo().RequeueInterrupted(/*max_attempts=*/2, 300);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 2);
  auto doc1 = repo().GetDocument("ws_1", "kb_a", "doc_1");
  EXPECT_EQ(doc1->status, DocumentStatus::kQueued);
  EXPECT_EQ(doc1->chunks_done, 0);
  // ...and a document that was interrupted max_attempts times fails for good.
  ASSERT_TRUE(repo().ClaimQueuedDocument(400).ok());  // doc_1, attempt 2
  ASSERT_TRUE(repo().RequeueInterrupted(2, 500).ok());
  doc1 = repo().GetDocument("ws_1", "kb_a", "doc_1");
  EXPECT_EQ(doc1->status, DocumentStatus::kFailed);
  EXPECT_NE(doc1->error.find("interrupted"), std::string::npos);
}

TEST_F(KnowledgeRepositoryTest, CompletingADocumentMakesChunksAndFullTextVisibleTogether) {
  ASSERT_TRUE(repo().CreateDocument("ws_1", Doc("doc_1", "kb_a", "a.txt")).ok());
  // Before completion nothing is searchable.
  auto none = repo().SearchText("kb_a", "\"大模型\"", {}, 10);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  auto chunks = Chunks({"国内大模型发布数量超过三百个。", "The vector database stores embeddings.",
                        "百模大战周年考"});
  auto removed = repo().CompleteDocument("doc_1", chunks, "txt", "utf-8", 200);
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  EXPECT_TRUE(removed->empty());
  ASSERT_GT(chunks[0].id, 0);
  EXPECT_LT(chunks[0].id, chunks[1].id);
  auto doc = repo().GetDocument("ws_1", "kb_a", "doc_1");
  EXPECT_EQ(doc->status, DocumentStatus::kReady);
  EXPECT_EQ(doc->chunks_total, 3);
  EXPECT_EQ(doc->format, "txt");

  // Chinese through bigrams (a phrase of them is a substring; a two-character
  // word is one token), English words with plurals folded, single characters
  // by substring.
  auto zh = repo().SearchText("kb_a", "\"大模型\"", {}, 10);
  ASSERT_TRUE(zh.ok()) << zh.status().ToString();
  EXPECT_EQ(HitIds(*zh), std::vector<int64_t>{chunks[0].id});
  EXPECT_EQ(HitIds(*repo().SearchText("kb_a", "\"周年\"", {}, 10)),
            std::vector<int64_t>{chunks[2].id});
  auto en = repo().SearchText("kb_a", "\"vectors\" OR \"embedding\"", {}, 10);
  EXPECT_EQ(HitIds(*en), std::vector<int64_t>{chunks[1].id});
  EXPECT_TRUE(repo().SearchText("kb_a", "\"vect\"", {}, 10)->empty());  // words, not substrings
  auto one = repo().SearchText("kb_a", "", {"考"}, 10);
  EXPECT_EQ(HitIds(*one), std::vector<int64_t>{chunks[2].id});
  // A sample of the base's texts (the term statistics).
  auto sample = repo().SampleChunkTexts("kb_a", 2);
  ASSERT_TRUE(sample.ok());
  EXPECT_EQ(sample->size(), 2u);
  EXPECT_EQ(repo().SampleChunkTexts("kb_a", 10)->size(), 3u);
  EXPECT_TRUE(repo().SampleChunkTexts("kb_b", 10)->empty());
  // Another base sees nothing of it.
  EXPECT_TRUE(repo().SearchText("kb_b", "\"大模型\"", {}, 10)->empty());

  // Chunks and embeddings read back.
  auto got = repo().GetChunks("kb_a", {chunks[2].id, chunks[0].id, 999999});
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[0].text, "百模大战周年考");
  EXPECT_EQ((*got)[0].heading_path, (std::vector<std::string>{"Intro", "第一章"}));
  std::vector<std::pair<int64_t, std::vector<float>>> embeddings;
  ASSERT_TRUE(repo()
                  .ForEachEmbedding("kb_a",
                                    [&](int64_t id, std::span<const float> e) {
                                      embeddings.emplace_back(
                                          id, std::vector<float>(e.begin(), e.end()));
                                    })
                  .ok());
  ASSERT_EQ(embeddings.size(), 3u);
  EXPECT_EQ(embeddings[1].second, (std::vector<float>{1.0f, 1.0f, -2.5f}));
}

TEST_F(KnowledgeRepositoryTest, ReplacementAndDeletionLeaveNoTextBehind) {
  ASSERT_TRUE(repo().CreateDocument("ws_1", Doc("doc_1", "kb_a", "a.txt")).ok());
  auto old_chunks = Chunks({"old version mentions zebras"});
  ASSERT_TRUE(repo().CompleteDocument("doc_1", old_chunks, "txt", "utf-8", 200).ok());
  KnowledgeDocument next = Doc("doc_2", "kb_a", "a.txt");
  next.replaces = "doc_1";
  ASSERT_TRUE(repo().CreateDocument("ws_1", next).ok());
  auto same = repo().FindDocumentsByName("kb_a", "a.txt");
  ASSERT_EQ(same->size(), 2u);
  // Until the new one is ready the old one is still found.
  EXPECT_EQ(repo().SearchText("kb_a", "\"zebras\"", {}, 5)->size(), 1u);
  auto new_chunks = Chunks({"new version mentions giraffes"});
  auto removed = repo().CompleteDocument("doc_2", new_chunks, "txt", "utf-8", 300);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, std::vector<int64_t>{old_chunks[0].id});
  EXPECT_TRUE(repo().SearchText("kb_a", "\"zebras\"", {}, 5)->empty());
  EXPECT_EQ(repo().SearchText("kb_a", "\"giraffes\"", {}, 5)->size(), 1u);
  EXPECT_EQ(repo().GetDocument("ws_1", "kb_a", "doc_1").status().code(), StatusCode::kNotFound);

  // Deleting removes the chunks and the full-text entries, and says which.
  auto deleted = repo().DeleteDocument("ws_1", "kb_a", "doc_2");
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(*deleted, std::vector<int64_t>{new_chunks[0].id});
  EXPECT_TRUE(repo().SearchText("kb_a", "\"giraffes\"", {}, 5)->empty());
  EXPECT_EQ(repo().GetBase("ws_1", "kb_a")->chunk_count, 0);
  // A completion for a document deleted meanwhile writes nothing.
  auto late = Chunks({"late text about penguins"});
  EXPECT_EQ(repo().CompleteDocument("doc_2", late, "txt", "utf-8", 400).status().code(),
            StatusCode::kNotFound);
  EXPECT_TRUE(repo().SearchText("kb_a", "\"penguins\"", {}, 5)->empty());
  // Deleting a base takes its documents and chunks along; ids are never reused.
  ASSERT_TRUE(repo().CreateDocument("ws_1", Doc("doc_3", "kb_a", "c.txt")).ok());
  auto more = Chunks({"kiwis live in New Zealand"});
  ASSERT_TRUE(repo().CompleteDocument("doc_3", more, "txt", "utf-8", 500).ok());
  EXPECT_GT(more[0].id, late[0].id > 0 ? late[0].id : new_chunks[0].id);
  ASSERT_TRUE(repo().DeleteBase("ws_1", "kb_a").ok());
  EXPECT_EQ(repo().GetBase("ws_1", "kb_a").status().code(), StatusCode::kNotFound);
  auto all = repo().AllBases();
  ASSERT_EQ(all->size(), 1u);
}

}  // namespace
}  // namespace kiln::storage
