// bench/rag: the knowledge pipeline's speed, as the knowledge issue defines
// it. Prints one JSON document.
//
//   rag_bench [--model PATH] [--corpus DIR] [--sizes 10000,100000]
//             [--passes 20] [--threads N]
//
// ingest    the real documents of --corpus (the five Chinese files) plus
//           English Markdown and CSV made here, through KnowledgeService
//           (parse -> chunk -> embed with the real MiniLM -> SQLite + FTS5 +
//           FAISS), timed from the first upload to the last document ready:
//           MB/s of input, chunks/s, embedded tokens/s.
// search    for each --sizes N, a base of N chunks. Embedding N real chunks
//           would take hours here, so the population is written straight
//           into the store: each chunk's text is 3-6 sentences drawn from the
//           real corpus and the English fixtures, and its embedding is the
//           normalised mix of two real chunk embeddings plus noise (so the
//           vectors cluster as real ones do, without N copies of a few
//           points). The service then starts as after a restart (reconcile:
//           the FAISS index is built from the stored embeddings, flat or IVF
//           by size), and real questions are asked --passes times each in
//           every mode, through KnowledgeService::Search, query embedding
//           with the real model included: p50/p99 in ms.
//           Beside each: the parts alone (query embedding; the FAISS search
//           of the service's kind; exact search over the same vectors with
//           faiss::IndexFlatIP, the reference line; FTS5 alone) and the
//           recall@10 of the service's index against the exact one on the
//           questions' own embeddings.
#include <faiss/IndexFlat.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "app/cli.h"
#include "app/knowledge_setup.h"
#include "base/utf8.h"
#include "kernels/cpu/dispatch.h"
#include "rag/fulltext_query.h"
#include "rag/knowledge_service.h"
#include "rag/vector_index.h"
#include "storage/store.h"

namespace kiln {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

double Ms(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

json Percentiles(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  auto at = [&](double q) {
    if (v.empty()) return 0.0;
    const size_t i = std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())));
    return std::round(v[i] * 1000) / 1000;
  };
  return {{"p50_ms", at(0.5)}, {"p99_ms", at(0.99)}, {"samples", v.size()}};
}

template <typename T>
T OrDie(Result<T> r, const char* what) {
  if (!r.ok()) {
    std::cerr << "rag_bench: " << what << ": " << r.status().ToString() << "\n";
    std::exit(1);
  }
  return std::move(r).value();
}

void OrDie(const Status& s, const char* what) {
  if (!s.ok()) {
    std::cerr << "rag_bench: " << what << ": " << s.ToString() << "\n";
    std::exit(1);
  }
}

struct Options {
  std::string model;
  std::string corpus = "/work/shared/corpus";
  std::vector<int64_t> sizes = {10000, 100000};
  int passes = 20;
  bool keep = false;  // leave the data folder (its path goes to stderr)
};

// Questions a user asks of these documents (the e2e tests' own).
const std::vector<std::string> kQuestions = {
    "截至今年4月底国内推出了多少个大模型？",
    "GPT-3训练一次的成本是多少？",
    "荣耀发布的端侧AI大模型叫什么名字？",
    "文心一言的用户规模达到了多少？",
    "人工智能的概念是在哪一年的达特茅斯会议上首次提出的？",
    "How long is the warranty of the X200 kettle?",
    "What is the population of Reykjavik?",
    "How often should the kettle be descaled?",
    "Which cities are in the table?",
    "大模型的价格战",
};

// English documents made here, so that both languages are in the bench.
std::string EnglishMarkdown() {
  std::ostringstream s;
  s << "# Kiln X200 kettle manual\n\n";
  const char* topics[] = {"Safety", "Warranty", "Cleaning", "Boiling", "Storage", "Travel"};
  for (int i = 0; i < 60; ++i) {
    s << "## " << topics[i % 6] << " " << i << "\n";
    s << "The Kiln X200 kettle comes with a warranty of two years from the date of purchase. "
         "Descale the kettle every month with white vinegar and rinse it three times. Never "
         "immerse the base in water, and keep the lid closed while boiling. Section "
      << i << " explains how model " << (200 + i) << " differs from the others in its range.\n\n";
  }
  return s.str();
}

std::string EnglishCsv() {
  std::ostringstream s;
  s << "city,country,population,founded\n";
  const char* cities[] = {"Reykjavik", "Oslo", "Helsinki", "Tallinn", "Riga", "Vilnius"};
  for (int i = 0; i < 300; ++i) {
    s << cities[i % 6] << " district " << i << ","
      << "Nordic " << (i % 7) << "," << (139875 + i * 37) << "," << (870 + i) << "\n";
  }
  return s.str();
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Sentences of `text` (cut after 。！？.!? and newlines), each at least a few
// characters long.
void Sentences(const std::string& text, std::vector<std::string>* out) {
  std::string cur;
  const std::vector<uint32_t> cps = DecodeUtf8(text);
  for (uint32_t cp : cps) {
    if (cp == '\n') {
      if (Utf8Length(cur) >= 6) out->push_back(cur);
      cur.clear();
      continue;
    }
    AppendUtf8(cp, &cur);
    if (cp == 0x3002 || cp == 0xFF01 || cp == 0xFF1F || cp == '.' || cp == '!' || cp == '?') {
      if (Utf8Length(cur) >= 6) out->push_back(cur);
      cur.clear();
    }
  }
  if (Utf8Length(cur) >= 6) out->push_back(cur);
}

struct Env {
  std::string dir;
  std::unique_ptr<storage::Store> store;
  std::unique_ptr<engine::ServedModels> models;
  std::map<std::string, std::unique_ptr<rag::Embedder>> embedders;
  rag::Embedder* embedder = nullptr;

  std::unique_ptr<rag::KnowledgeService> Service() {
    rag::KnowledgeServiceOptions o;
    o.data_dir = dir;
    o.embedder = [this](const std::string& name) -> rag::Embedder* {
      auto it = embedders.find(name);
      return it == embedders.end() ? nullptr : it->second.get();
    };
    o.default_embedding_model = "all-minilm-l6-v2";
    auto s = std::make_unique<rag::KnowledgeService>(store.get(), std::move(o));
    OrDie(s->Start(), "service start");
    return s;
  }
};

// ---- ingestion of real files ----

json BenchIngest(Env& env, const Options& options, std::vector<storage::StoredChunk>* seeds,
                 std::vector<std::string>* sentences) {
  auto service = env.Service();
  storage::KnowledgeBase kb =
      OrDie(service->CreateBase("ws_bench", "ingest", "", nullptr), "create base");
  std::vector<std::pair<std::string, std::string>> files;
  for (const auto& entry : std::filesystem::directory_iterator(options.corpus)) {
    const std::string name = entry.path().filename().string();
    if (entry.path().extension() == ".txt") files.emplace_back(name, ReadFile(entry.path()));
  }
  std::sort(files.begin(), files.end());
  files.emplace_back("kettle.md", EnglishMarkdown());
  files.emplace_back("cities.csv", EnglishCsv());
  size_t bytes = 0;
  for (const auto& [name, text] : files) {
    bytes += text.size();
    Sentences(text, sentences);
  }
  const Clock::time_point start = Clock::now();
  for (const auto& [name, text] : files) {
    rag::KnowledgeService::NewDocument d;
    d.name = name;
    d.content_type = name.ends_with(".csv") ? "text/csv" : "text/plain";
    d.bytes = text;
    OrDie(service->AddDocument("ws_bench", kb.id, std::move(d)), "add document");
  }
  service->WaitIdle();
  const double seconds = Ms(start, Clock::now()) / 1000;
  int64_t chunks = 0, tokens = 0, failed = 0;
  storage::ListOptions list;
  list.limit = 100;
  auto docs = OrDie(env.store->knowledge().ListDocuments("ws_bench", kb.id, list), "list");
  std::vector<int64_t> ids;
  for (const auto& d : docs.items) {
    if (d.status != storage::DocumentStatus::kReady) ++failed;
    chunks += d.chunks_total;
  }
  OrDie(env.store->knowledge().ForEachEmbedding(kb.id,
                                                [&](int64_t id, std::span<const float> e) {
                                                  ids.push_back(id);
                                                  storage::StoredChunk c;
                                                  c.id = id;
                                                  c.embedding.assign(e.begin(), e.end());
                                                  seeds->push_back(std::move(c));
                                                }),
        "embeddings");
  auto stored = OrDie(env.store->knowledge().GetChunks(kb.id, ids), "chunks");
  for (const auto& c : stored) tokens += c.tokens;
  service->Stop();
  return {{"documents", files.size()},
          {"failed", failed},
          {"bytes", bytes},
          {"chunks", chunks},
          {"chunk_tokens", tokens},
          {"seconds", std::round(seconds * 1000) / 1000},
          {"mb_per_s", std::round(bytes / 1e6 / seconds * 1000) / 1000},
          {"chunks_per_s", std::round(chunks / seconds * 10) / 10},
          {"embedded_tokens_per_s", std::round(tokens / seconds)}};
}

// ---- search at scale ----

std::vector<float> Mix(const std::vector<storage::StoredChunk>& seeds, std::mt19937_64& rng,
                       int64_t dim) {
  std::uniform_int_distribution<size_t> pick(0, seeds.size() - 1);
  std::normal_distribution<float> noise(0.0f, 1.0f / std::sqrt(static_cast<float>(dim)));
  const auto& a = seeds[pick(rng)].embedding;
  const auto& b = seeds[pick(rng)].embedding;
  std::vector<float> v(static_cast<size_t>(dim));
  double norm = 0;
  for (int64_t i = 0; i < dim; ++i) {
    v[i] = a[i] + 0.6f * b[i] + 0.5f * noise(rng);
    norm += v[i] * v[i];
  }
  for (float& x : v) x = static_cast<float>(x / std::sqrt(norm));
  return v;
}

std::string Text(const std::vector<std::string>& sentences, std::mt19937_64& rng) {
  std::uniform_int_distribution<size_t> pick(0, sentences.size() - 1);
  std::uniform_int_distribution<int> count(3, 6);
  std::string t;
  for (int i = count(rng); i > 0; --i) t += sentences[pick(rng)];
  return t;
}

json BenchSearch(Env& env, const Options& options, int64_t n,
                 const std::vector<storage::StoredChunk>& seeds,
                 const std::vector<std::string>& sentences) {
  const int64_t dim = env.embedder->dim();
  std::mt19937_64 rng(static_cast<uint64_t>(n));
  storage::KnowledgeBase kb;
  {
    auto service = env.Service();
    json settings = {{"retrieval_mode", "hybrid"}};
    kb = OrDie(service->CreateBase("ws_bench", "size " + std::to_string(n), "", settings), "base");
    service->Stop();
  }
  // Documents of 1,000 chunks, each written as ingestion writes them.
  const Clock::time_point fill_start = Clock::now();
  std::vector<float> all;  // [n, dim] for the exact reference
  all.reserve(static_cast<size_t>(n * dim));
  std::vector<int64_t> all_ids;
  for (int64_t done = 0, d = 0; done < n; ++d) {
    storage::KnowledgeDocument doc;
    doc.id = "doc_bench_" + std::to_string(n) + "_" + std::to_string(d);
    doc.knowledge_id = kb.id;
    doc.name = "part" + std::to_string(d) + ".txt";
    doc.source = "text";
    doc.content_type = "text/plain";
    OrDie(env.store->knowledge().CreateDocument("ws_bench", doc), "document");
    std::vector<storage::StoredChunk> chunks;
    for (int64_t i = 0; i < 1000 && done < n; ++i, ++done) {
      storage::StoredChunk c;
      c.position = i;
      c.text = Text(sentences, rng);
      c.tokens = env.embedder->CountTokens(c.text);
      c.embedding = Mix(seeds, rng, dim);
      chunks.push_back(std::move(c));
    }
    OrDie(env.store->knowledge().CompleteDocument(doc.id, chunks, "txt", "utf-8", 0), "complete");
    for (const auto& c : chunks) {
      all.insert(all.end(), c.embedding.begin(), c.embedding.end());
      all_ids.push_back(c.id);
    }
  }
  const double fill_s = Ms(fill_start, Clock::now()) / 1000;

  // Start as after a restart: the index is built from the table.
  const Clock::time_point start = Clock::now();
  auto service = env.Service();
  const double start_s = Ms(start, Clock::now()) / 1000;
  const std::string kind = service->DescribeIndex(kb.id);

  // The parts alone.
  std::vector<std::vector<float>> qvec;
  std::vector<double> embed_ms, exact_ms, index_ms, text_ms, all_terms_ms;
  const rag::TermSample sample(
      OrDie(env.store->knowledge().SampleChunkTexts(kb.id, 2000), "sample"));
  faiss::IndexFlatIP exact(dim);
  exact.add(n, all.data());
  rag::VectorIndex index(dim);
  OrDie(index.Rebuild(all_ids, all), "rebuild");
  for (int p = 0; p < options.passes; ++p) {
    for (const std::string& q : kQuestions) {
      Clock::time_point t = Clock::now();
      auto v = OrDie(env.embedder->Embed({q}), "embed");
      embed_ms.push_back(Ms(t, Clock::now()));
      if (p == 0) qvec.push_back(v[0]);
      t = Clock::now();
      std::vector<float> dist(20);
      std::vector<faiss::Index::idx_t> labels(20);
      exact.search(1, v[0].data(), 20, dist.data(), labels.data());
      exact_ms.push_back(Ms(t, Clock::now()));
      t = Clock::now();
      (void)index.Search(v[0], 20);
      index_ms.push_back(Ms(t, Clock::now()));
      const rag::FullTextQuery fq = rag::BuildFullTextQuery(q);
      t = Clock::now();
      const std::string planned = rag::PlanMatch(fq.terms, &sample, n, 8000);
      OrDie(env.store->knowledge().SearchText(kb.id, planned, fq.substrings, 20), "fts");
      text_ms.push_back(Ms(t, Clock::now()));
      t = Clock::now();
      OrDie(env.store->knowledge().SearchText(kb.id, rag::MatchExpression(fq.terms), fq.substrings,
                                              20),
            "fts");
      all_terms_ms.push_back(Ms(t, Clock::now()));
    }
  }
  // Recall@10 of the service's kind of index against exact search.
  double recall = 0;
  for (const auto& v : qvec) {
    std::vector<float> dist(10);
    std::vector<faiss::Index::idx_t> labels(10);
    exact.search(1, v.data(), 10, dist.data(), labels.data());
    const std::vector<rag::VectorHit> got = index.Search(v, 10);
    int found = 0;
    for (faiss::Index::idx_t l : labels) {
      const int64_t id = all_ids[static_cast<size_t>(l)];
      for (const auto& h : got) found += h.id == id;
    }
    recall += found / 10.0;
  }
  recall /= static_cast<double>(qvec.size());

  json modes;
  for (const auto& [name, mode] : {std::pair{"semantic", rag::RetrievalMode::kSemantic},
                                   {"full_text", rag::RetrievalMode::kFullText},
                                   {"hybrid", rag::RetrievalMode::kHybrid}}) {
    std::vector<double> ms;
    std::map<std::string, std::vector<double>> by_question;
    for (int p = 0; p < options.passes; ++p) {
      for (const std::string& q : kQuestions) {
        rag::SearchRequest r;
        r.query = q;
        r.mode = mode;
        r.top_k = 5;
        r.min_score = 0;
        const Clock::time_point t = Clock::now();
        OrDie(service->Search("ws_bench", kb.id, r), "search");
        ms.push_back(Ms(t, Clock::now()));
        by_question[q].push_back(ms.back());
      }
    }
    modes[name] = Percentiles(ms);
    for (auto& [q, v] : by_question) {
      modes[name]["by_question_p50_ms"][q] = Percentiles(v)["p50_ms"];
    }
  }
  service->Stop();
  return {{"chunks", n},
          {"index", kind},
          {"fill_seconds", std::round(fill_s * 100) / 100},
          {"start_seconds", std::round(start_s * 100) / 100},
          {"search", modes},
          {"parts",
           {{"query_embedding", Percentiles(embed_ms)},
            {"vector_index", Percentiles(index_ms)},
            {"exact_flat_reference", Percentiles(exact_ms)},
            {"full_text", Percentiles(text_ms)},
            {"full_text_every_term", Percentiles(all_terms_ms)}}},
          {"recall_at_10_vs_exact", std::round(recall * 1000) / 1000}};
}

int Main(int argc, char** argv) {
  Options options;
  options.model = app::DefaultModelPath(app::kDefaultEmbeddingModel);
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "rag_bench: " << a << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--model") {
      options.model = next();
    } else if (a == "--corpus") {
      options.corpus = next();
    } else if (a == "--passes") {
      options.passes = std::stoi(next());
    } else if (a == "--keep") {
      options.keep = true;
    } else if (a == "--sizes") {
      options.sizes.clear();
      std::stringstream s(next());
      for (std::string part; std::getline(s, part, ',');) options.sizes.push_back(std::stoll(part));
    } else {
      std::cerr
          << "usage: rag_bench [--model PATH] [--corpus DIR] [--sizes N,N] [--passes N] [--keep]\n";
      return 2;
    }
  }
  Env env;
  std::string pattern = "/tmp/kiln_rag_bench_XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) return 1;
  env.dir = pattern;
  storage::SqliteOptions so;
  so.path = env.dir + "/kiln.db";
  env.store = OrDie(storage::OpenSqliteStore(so), "store");
  env.models =
      OrDie(engine::ServedModels::Load({{"all-minilm-l6-v2", options.model}}, {}), "model");
  env.embedders = app::MakeEmbedders(*env.models);
  env.embedder = env.embedders.begin()->second.get();

  json out;
  out["isa"] = std::string(kernels::cpu::IsaName(kernels::cpu::ActiveIsa()));
  out["model"] = options.model;
  std::vector<storage::StoredChunk> seeds;
  std::vector<std::string> sentences;
  out["ingest"] = BenchIngest(env, options, &seeds, &sentences);
  out["search"] = json::array();
  for (int64_t n : options.sizes) {
    out["search"].push_back(BenchSearch(env, options, n, seeds, sentences));
  }
  env.embedders.clear();
  env.models.reset();
  env.store.reset();
  if (options.keep) {
    std::cerr << "rag_bench: data kept in " << env.dir << "\n";
  } else {
    std::filesystem::remove_all(env.dir);
  }
  std::cout << out.dump(2) << "\n";
  return 0;
}

}  // namespace
}  // namespace kiln

int main(int argc, char** argv) { return kiln::Main(argc, argv); }
