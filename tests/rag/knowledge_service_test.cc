// KnowledgeService over the real store (SQLite + FTS5), real FAISS, the real
// parsers and chunker, with a small deterministic embedder (character
// trigram hashing, so that texts sharing words are close): ingestion states,
// search in each mode, replacement, deletion, re-reading after a settings
// change, documents by URL, and restarts: an index file that lags the table,
// one that is damaged, a document interrupted mid-ingestion.
#include "rag/knowledge_service.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "base/utf8.h"

namespace kiln::rag {
namespace {

class HashEmbedder final : public Embedder {
 public:
  const std::string& model() const override { return name_; }
  int64_t dim() const override { return 64; }
  int64_t CountTokens(std::string_view text) const override {
    return static_cast<int64_t>(Utf8Length(text) / 3 + 1);
  }
  int64_t max_tokens() const override { return 512; }
  Result<std::vector<std::vector<float>>> Embed(const std::vector<std::string>& texts) override {
    ++calls;
    std::vector<std::vector<float>> out;
    for (const std::string& t : texts) {
      std::vector<float> v(64, 0.0f);
      const std::vector<uint32_t> cps = DecodeUtf8(t);
      for (size_t i = 0; i + 2 < cps.size(); ++i) {
        const uint64_t h = (cps[i] * 1000003ull) ^ (cps[i + 1] * 10007ull) ^ cps[i + 2];
        v[h % 64] += 1.0f;
      }
      double norm = 0;
      for (float x : v) norm += x * x;
      for (float& x : v) x = norm > 0 ? static_cast<float>(x / std::sqrt(norm)) : 0.125f;
      out.push_back(std::move(v));
    }
    return out;
  }
  int calls = 0;

 private:
  std::string name_ = "hash";
};

class KnowledgeServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = "/tmp/kiln_knowledge_test_XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    storage::SqliteOptions o;
    o.path = dir_ + "/kiln.db";
    auto store = storage::OpenSqliteStore(o);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
  }
  void TearDown() override {
    service_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  KnowledgeService& Start() {
    service_.reset();
    KnowledgeServiceOptions o;
    o.data_dir = dir_;
    o.embedder = [this](const std::string& name) -> Embedder* {
      return name == "hash" ? &embedder_ : nullptr;
    };
    o.default_embedding_model = "hash";
    o.embed_batch = 4;
    o.fetch = [this](const std::string& url, size_t) -> Result<FetchedDocument> {
      if (url.find("missing") != std::string::npos) return Unavailable("404");
      return FetchedDocument{page_, "text/html; charset=utf-8", url};
    };
    service_ = std::make_unique<KnowledgeService>(store_.get(), std::move(o));
    EXPECT_TRUE(service_->Start().ok());
    return *service_;
  }

  storage::KnowledgeDocument Add(const std::string& kb, const std::string& name,
                                 const std::string& text) {
    KnowledgeService::NewDocument d;
    d.name = name;
    d.content_type = "text/plain";
    d.bytes = text;
    auto doc = service_->AddDocument("ws", kb, std::move(d));
    EXPECT_TRUE(doc.ok()) << doc.status().ToString();
    return doc.ok() ? *doc : storage::KnowledgeDocument{};
  }

  std::vector<std::string> Texts(const std::string& kb, const std::string& query,
                                 std::optional<RetrievalMode> mode, int top_k = 5) {
    SearchRequest r;
    r.query = query;
    r.mode = mode;
    r.top_k = top_k;
    r.min_score = 0;
    auto hits = service_->Search("ws", kb, r);
    EXPECT_TRUE(hits.ok()) << hits.status().ToString();
    std::vector<std::string> out;
    if (hits.ok()) {
      for (const SearchHit& h : *hits) out.push_back(h.chunk.text);
    }
    return out;
  }

  static bool AnyContains(const std::vector<std::string>& texts, const std::string& needle) {
    for (const auto& t : texts) {
      if (t.find(needle) != std::string::npos) return true;
    }
    return false;
  }

  std::string dir_;
  std::unique_ptr<storage::Store> store_;
  HashEmbedder embedder_;
  std::unique_ptr<KnowledgeService> service_;
  std::string page_ =
      "<html><title>Tea</title><body><h1>Tea</h1><p>Green tea is steamed.</p></body>";
};

constexpr const char* kPlanets =
    "Jupiter is the largest planet of the solar system.\n\nSaturn has bright rings of ice.\n\n"
    "Mars is red because of iron oxide.";
constexpr const char* kChinese =
    "大模型的训练成本很高。\n\n荣耀发布了魔法大模型。\n\n北京有七十个备案大模型。";

TEST_F(KnowledgeServiceTest, IngestsAndSearchesInEveryMode) {
  Start();
  auto kb = service_->CreateBase("ws", "kb", "",
                                 nlohmann::json{{"chunk_size", 16}, {"chunk_overlap", 0}});
  ASSERT_TRUE(kb.ok()) << kb.status().ToString();
  auto d1 = Add(kb->id, "planets.txt", kPlanets);
  auto d2 = Add(kb->id, "zh.txt", kChinese);
  EXPECT_EQ(d1.status, storage::DocumentStatus::kQueued);
  service_->WaitIdle();
  auto doc = store_->knowledge().GetDocument("ws", kb->id, d1.id);
  ASSERT_EQ(doc->status, storage::DocumentStatus::kReady) << doc->error;
  EXPECT_GE(doc->chunks_total, 2);
  EXPECT_EQ(doc->chunks_done, doc->chunks_total);
  EXPECT_EQ(doc->encoding, "utf-8");
  for (auto mode : {RetrievalMode::kSemantic, RetrievalMode::kFullText, RetrievalMode::kHybrid}) {
    EXPECT_TRUE(AnyContains(Texts(kb->id, "Which planet has rings of ice?", mode, 1), "Saturn"))
        << RetrievalModeName(mode);
    EXPECT_TRUE(AnyContains(Texts(kb->id, "荣耀发布的魔法大模型", mode, 1), "魔法大模型"))
        << RetrievalModeName(mode);
  }
  EXPECT_EQ(service_->DescribeIndex(kb->id), "flat");
  // Bad requests.
  SearchRequest empty;
  empty.query = "   ";
  EXPECT_EQ(service_->Search("ws", kb->id, empty).status().code(), StatusCode::kInvalidArgument);
  SearchRequest x;
  x.query = "x";
  EXPECT_EQ(service_->Search("other", kb->id, x).status().code(), StatusCode::kNotFound);
  // A high threshold keeps only strong matches; the default top_k is 3.
  SearchRequest strict;
  strict.query = "Jupiter largest planet";
  strict.min_score = 0.99;
  strict.mode = RetrievalMode::kFullText;
  auto hits = service_->Search("ws", kb->id, strict);
  ASSERT_TRUE(hits.ok());
  for (const auto& h : *hits) EXPECT_GE(h.score, 0.99);
}

TEST_F(KnowledgeServiceTest, ReplacesDeletesAndRereadsAfterASettingsChange) {
  Start();
  auto kb = service_->CreateBase("ws", "kb", "", nlohmann::json{{"chunk_size", 16}});
  ASSERT_TRUE(kb.ok());
  auto first = Add(kb->id, "notes.txt", "Penguins live in the south.");
  service_->WaitIdle();
  auto second = Add(kb->id, "notes.txt", "Walruses live in the north.");
  EXPECT_EQ(second.replaces, first.id);
  service_->WaitIdle();
  EXPECT_FALSE(AnyContains(Texts(kb->id, "penguins south", RetrievalMode::kSemantic), "Penguins"));
  EXPECT_TRUE(AnyContains(Texts(kb->id, "walruses north", RetrievalMode::kSemantic), "Walruses"));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/knowledge/files/" + first.id));

  // A new chunk size reads every document again (a replacing copy each).
  const int64_t before = store_->knowledge().GetBase("ws", kb->id)->chunk_count;
  auto changed = service_->UpdateBase("ws", kb->id, std::nullopt, std::string("about animals"),
                                      nlohmann::json{{"chunk_size", 400}});
  ASSERT_TRUE(changed.ok()) << changed.status().ToString();
  service_->WaitIdle();
  auto docs = store_->knowledge().ListDocuments("ws", kb->id, {});
  ASSERT_EQ(docs->items.size(), 1u);
  EXPECT_NE(docs->items[0].id, second.id);
  EXPECT_EQ(docs->items[0].status, storage::DocumentStatus::kReady);
  EXPECT_LE(store_->knowledge().GetBase("ws", kb->id)->chunk_count, before);
  // A change that does not touch chunking reads nothing again.
  ASSERT_TRUE(
      service_->UpdateBase("ws", kb->id, std::nullopt, std::nullopt, nlohmann::json{{"top_k", 9}})
          .ok());
  EXPECT_EQ(store_->knowledge().ListDocuments("ws", kb->id, {})->items[0].id, docs->items[0].id);

  ASSERT_TRUE(service_->DeleteDocument("ws", kb->id, docs->items[0].id).ok());
  for (auto mode : {RetrievalMode::kSemantic, RetrievalMode::kFullText, RetrievalMode::kHybrid}) {
    EXPECT_TRUE(Texts(kb->id, "walruses north", mode).empty());
  }
  ASSERT_TRUE(service_->DeleteBase("ws", kb->id).ok());
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/knowledge/indexes/" + kb->id + ".faiss"));
}

TEST_F(KnowledgeServiceTest, RefusesWhatItCannotRead) {
  Start();
  auto kb = service_->CreateBase("ws", "kb", "", nullptr);
  ASSERT_TRUE(kb.ok());
  KnowledgeService::NewDocument exe{"tool.exe", "application/octet-stream", "upload", "", "MZ"};
  EXPECT_EQ(service_->AddDocument("ws", kb->id, exe).status().code(), StatusCode::kUnprocessable);
  KnowledgeService::NewDocument empty{"a.txt", "text/plain", "upload", "", ""};
  EXPECT_EQ(service_->AddDocument("ws", kb->id, empty).status().code(), StatusCode::kUnprocessable);
  auto junk = Add(kb->id, "junk.txt", std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16));
  service_->WaitIdle();
  auto doc = store_->knowledge().GetDocument("ws", kb->id, junk.id);
  EXPECT_EQ(doc->status, storage::DocumentStatus::kFailed);
  EXPECT_NE(doc->error.find("not text"), std::string::npos) << doc->error;
  EXPECT_EQ(service_->CreateBase("ws", "kb", "", nlohmann::json{{"embedding_model", "nope"}})
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(
      service_->CreateBase("ws", "kb", "", nlohmann::json{{"chunk_size", 2}}).status().param(),
      "settings.chunk_size");
}

TEST_F(KnowledgeServiceTest, FetchesDocumentsByUrl) {
  Start();
  auto kb = service_->CreateBase("ws", "kb", "", nullptr);
  KnowledgeService::NewDocument d;
  d.source = "url";
  d.source_url = "https://example.com/wiki/tea?x=1";
  auto doc = service_->AddDocument("ws", kb->id, d);
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(doc->name, "tea");
  d.source_url = "https://example.com/missing";
  auto bad = service_->AddDocument("ws", kb->id, d);
  service_->WaitIdle();
  auto got = store_->knowledge().GetDocument("ws", kb->id, doc->id);
  ASSERT_EQ(got->status, storage::DocumentStatus::kReady) << got->error;
  EXPECT_EQ(got->name, "tea.html");
  EXPECT_EQ(got->format, "html");
  EXPECT_GT(got->bytes, 0);
  EXPECT_TRUE(AnyContains(Texts(kb->id, "green tea", RetrievalMode::kFullText), "steamed"));
  auto failed = store_->knowledge().GetDocument("ws", kb->id, bad->id);
  EXPECT_EQ(failed->status, storage::DocumentStatus::kFailed);
  EXPECT_NE(failed->error.find("404"), std::string::npos);
}

TEST_F(KnowledgeServiceTest, RestartsReconcileTheIndexWithTheTable) {
  Start();
  auto kb = service_->CreateBase("ws", "kb", "", nlohmann::json{{"chunk_size", 16}});
  Add(kb->id, "planets.txt", kPlanets);
  service_->WaitIdle();
  service_->Stop();  // saves the index
  const std::string index = dir_ + "/knowledge/indexes/" + kb->id + ".faiss";
  ASSERT_TRUE(std::filesystem::exists(index));
  std::filesystem::copy_file(index, index + ".old");

  // More documents; then the index file is put back as it was: it lags.
  Start();
  Add(kb->id, "zh.txt", kChinese);
  service_->WaitIdle();
  service_->Stop();
  std::filesystem::copy_file(index + ".old", index,
                             std::filesystem::copy_options::overwrite_existing);
  Start();
  EXPECT_TRUE(AnyContains(Texts(kb->id, "荣耀发布的魔法大模型", RetrievalMode::kSemantic, 1),
                          "魔法大模型"));
  // A damaged file is rebuilt from the stored embeddings.
  service_->Stop();
  std::ofstream(index, std::ios::trunc) << "garbage";
  Start();
  EXPECT_TRUE(AnyContains(Texts(kb->id, "rings of ice", RetrievalMode::kSemantic, 1), "Saturn"));

  // A document interrupted mid-ingestion (claimed, never finished) is read
  // again at the next start; one interrupted too often fails.
  service_->Stop();
  auto doc = Add(kb->id, "late.txt", "Neptune is the windiest planet.");  // queued, not started
  auto claimed = store_->knowledge().ClaimQueuedDocument(1);
  ASSERT_TRUE(claimed.ok());
  EXPECT_EQ(claimed->id, doc.id);
  Start();
  service_->WaitIdle();
  EXPECT_EQ(store_->knowledge().GetDocument("ws", kb->id, doc.id)->status,
            storage::DocumentStatus::kReady);
  EXPECT_TRUE(AnyContains(Texts(kb->id, "windiest planet", RetrievalMode::kHybrid, 1), "Neptune"));
}

}  // namespace
}  // namespace kiln::rag
