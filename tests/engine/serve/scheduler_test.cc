// The serving scheduler on the real SmolLM2-135M: concurrent requests give
// what each gives alone, the queue bound, cancellation (also from the text
// callback, as a disconnected client), the prefix cache across turns, and a
// long prompt read in chunks while another stream keeps producing tokens.
#include "engine/serve/scheduler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/generate.h"
#include "kernels/cpu/dispatch.h"

namespace kiln::engine {
namespace {

std::string ModelPath() {
  const char* cache = std::getenv("KILN_CACHE");
  const char* home = std::getenv("HOME");
  return (cache && *cache ? std::string(cache) : std::string(home ? home : ".") + "/.cache/kiln") +
         "/models/smollm2-135m-instruct-q4_1.gguf";
}

const LoadedModel& Model() {
  static std::unique_ptr<LoadedModel> m = [] {
    auto loaded = LoadModel(ModelPath());
    KILN_CHECK(loaded.ok()) << loaded.status().ToString() << " (run scripts/setup)";
    return std::move(loaded).value();
  }();
  return *m;
}

std::vector<int32_t> Chat(const std::string& user, const std::string& system = "") {
  std::vector<ChatMessage> messages;
  if (!system.empty()) messages.push_back({"system", system});
  messages.push_back({"user", user});
  auto tokens = Model().EncodeChat(messages, true);
  KILN_CHECK(tokens.ok());
  return *tokens;
}

SamplingParams Greedy() {
  SamplingParams p;
  p.temperature = 0;
  return p;
}

// Submits and returns a future of its completion.
std::future<Completion> Start(Scheduler& s, ServeRequest r, uint64_t* id = nullptr) {
  auto done = std::make_shared<std::promise<Completion>>();
  std::future<Completion> f = done->get_future();
  r.on_done = [done](Completion c) { done->set_value(std::move(c)); };
  auto submitted = s.Submit(std::move(r));
  EXPECT_TRUE(submitted.ok()) << submitted.status().ToString();
  if (id != nullptr && submitted.ok()) *id = *submitted;
  return f;
}

ServeRequest Request(std::vector<int32_t> prompt, int max_tokens) {
  ServeRequest r;
  r.prompt = std::move(prompt);
  r.sampling = Greedy();
  r.max_tokens = max_tokens;
  return r;
}

// On the reference kernels a token's result does not depend on what else is
// in the batch, so several requests at once give exactly what each gives
// alone through Generate.
TEST(Scheduler, ConcurrentRequestsMatchGenerateAlone) {
  const kernels::cpu::Isa saved = kernels::cpu::ActiveIsa();
  kernels::cpu::SetActiveIsa(kernels::cpu::Isa::kScalar);
  const std::vector<std::vector<int32_t>> prompts = {Chat("Hi!"), Chat("Name a colour."),
                                                     Chat("2+2=")};
  std::vector<std::vector<int32_t>> alone;
  for (const auto& p : prompts) {
    GenerateOptions o;
    o.sampling = Greedy();
    o.max_tokens = 5;
    auto r = Generate(*Model().model, *Model().tokenizer, p, o);
    ASSERT_TRUE(r.ok());
    alone.push_back(r->tokens);
  }
  {
    ServeOptions opt;
    opt.kv_budget_mb = 64;
    Scheduler s(Model(), opt);
    std::vector<std::future<Completion>> done;
    for (const auto& p : prompts) done.push_back(Start(s, Request(p, 5)));
    for (size_t i = 0; i < prompts.size(); ++i) {
      Completion c = done[i].get();
      ASSERT_TRUE(c.status.ok()) << c.status.ToString();
      EXPECT_EQ(c.tokens, alone[i]) << "request " << i;
      EXPECT_EQ(c.prompt_tokens, static_cast<int>(prompts[i].size()));
    }
    EXPECT_GE(s.stats().steps, 5);
  }
  kernels::cpu::SetActiveIsa(saved);
}

TEST(Scheduler, AFullQueueRefusesAndCancelledRequestsEnd) {
  ServeOptions opt;
  opt.kv_budget_mb = 64;
  opt.max_running = 1;
  opt.max_queue = 1;
  Scheduler s(Model(), opt);
  uint64_t first_id = 0, second_id = 0;
  auto first = Start(s, Request(Chat("Write a long story about the sea."), 200), &first_id);
  // Wait until it left the queue for the running batch.
  for (int i = 0; i < 2000 && s.stats().running == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_EQ(s.stats().running, 1);
  auto second = Start(s, Request(Chat("Hello"), 4), &second_id);
  // One running, one waiting: a third is refused.
  auto third = s.Submit(Request(Chat("Hello again"), 4));
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.status().code(), StatusCode::kResourceExhausted);
  s.Cancel(second_id);  // while queued
  s.Cancel(first_id);   // while running
  Completion c2 = second.get(), c1 = first.get();
  EXPECT_EQ(c1.finish_reason, "cancelled");
  EXPECT_LT(c1.tokens.size(), 200u);
  EXPECT_EQ(c2.finish_reason, "cancelled");
  EXPECT_TRUE(c2.tokens.empty());
  // Nothing holds the pages any more but the prefix cache.
  auto st = s.stats();
  EXPECT_EQ(st.running, 0);
  EXPECT_EQ(st.queued, 0);
  // Bad requests are refused up front.
  EXPECT_EQ(s.Submit(Request({}, 4)).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.Submit(Request(std::vector<int32_t>(9000, 1), 4)).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(Scheduler, AClientThatGoesAwayStopsItsRequest) {
  ServeOptions opt;
  opt.kv_budget_mb = 64;
  Scheduler s(Model(), opt);
  ServeRequest r = Request(Chat("Count from one to fifty in words."), 100);
  int pieces = 0;
  r.on_text = [&](std::string_view) { return ++pieces < 3; };
  Completion c = Start(s, std::move(r)).get();
  EXPECT_EQ(c.finish_reason, "cancelled");
  EXPECT_EQ(pieces, 3);
  EXPECT_LE(c.tokens.size(), 6u);
  // Its pages are free again (or held by the prefix cache alone).
  const auto st = s.stats();
  EXPECT_EQ(st.running, 0);
}

// A bot's long system prompt: `intro`, then `rule` `times` times.
std::string Persona(const std::string& intro, const std::string& rule, int times) {
  std::string persona = intro;
  for (int i = 0; i < times; ++i) persona += rule;
  return persona;
}

TEST(Scheduler, ASecondTurnReusesTheCachedPrefix) {
  ServeOptions opt;
  opt.kv_budget_mb = 64;
  Scheduler s(Model(), opt);
  const std::string persona = Persona("You are Kiln's helpful assistant. ",
                                      "You answer briefly, politely and only in English. ", 8);
  const std::vector<int32_t> turn1 = Chat("Hello!", persona);
  Completion c1 = Start(s, Request(turn1, 4)).get();
  ASSERT_TRUE(c1.status.ok());
  EXPECT_EQ(c1.cached_tokens, 0);
  const std::vector<int32_t> turn2 = Chat("What can you do?", persona);
  Completion c2 = Start(s, Request(turn2, 4)).get();
  ASSERT_TRUE(c2.status.ok());
  // Every token the two prompts share comes from the cache: the persona's
  // whole pages, then the rows of the page where they part, copied.
  size_t common = 0;
  while (common < turn1.size() && turn1[common] == turn2[common]) ++common;
  EXPECT_GE(common, 64u);
  EXPECT_NE(common % kKvPageSize, 0u);  // (so the partial page is exercised)
  EXPECT_EQ(c2.cached_tokens, static_cast<int>(common));
  EXPECT_GE(s.stats().prefix.hits, 1);
  // And the answer is the one computed without the cache.
  ServeOptions fresh_opt = opt;
  fresh_opt.prefix_cache = false;
  Scheduler fresh(Model(), fresh_opt);
  Completion c3 = Start(fresh, Request(turn2, 4)).get();
  ASSERT_TRUE(c3.status.ok());
  EXPECT_EQ(c3.cached_tokens, 0);
  EXPECT_EQ(c2.tokens, c3.tokens);
}

// Many chats with one bot at once: the persona is read once. The others wait
// in the queue while the first reads it, then take its whole pages from the
// prefix cache (recorded as soon as the prompt is read, while that request is
// still generating).
TEST(Scheduler, ChatsStartingTogetherReadASharedPersonaOnce) {
  ServeOptions opt;
  opt.kv_budget_mb = 64;
  Scheduler s(Model(), opt);
  const std::string persona =
      Persona("You are the reading-room assistant of a small town library. ",
              "You answer in two sentences and always stay polite. ", 12);
  const char* questions[] = {"When do you open?", "Can I renew a book?", "Do you have maps?",
                             "Where is the poetry shelf?"};
  std::vector<std::vector<int32_t>> prompts;
  std::vector<std::future<Completion>> done;
  for (const char* q : questions) prompts.push_back(Chat(q, persona));
  for (const auto& p : prompts) done.push_back(Start(s, Request(p, 24)));
  size_t common = prompts[0].size();
  for (const auto& p : prompts) {
    common = std::min<size_t>(
        common, std::mismatch(p.begin(), p.end(), prompts[0].begin()).first - p.begin());
  }
  ASSERT_GE(common, 8 * static_cast<size_t>(kKvPageSize));
  int64_t prompt_total = 0, cached_total = 0;
  int reused = 0;
  for (size_t i = 0; i < done.size(); ++i) {
    Completion c = done[i].get();
    ASSERT_TRUE(c.status.ok());
    prompt_total += c.prompt_tokens;
    cached_total += c.cached_tokens;
    if (c.cached_tokens >= static_cast<int>(common / kKvPageSize * kKvPageSize)) ++reused;
  }
  // All but the first take the persona's pages (while the first may still
  // be generating: its 24 tokens take longer than the others' wait).
  EXPECT_EQ(reused, static_cast<int>(done.size()) - 1);
  EXPECT_EQ(s.stats().prompt_tokens_run, prompt_total - cached_total);
  EXPECT_LT(s.stats().prompt_tokens_run, prompt_total / 2);
}

// A long prompt is read in chunks of max_batch_tokens while a running stream
// keeps getting a token every step.
TEST(Scheduler, LongPromptsDoNotStallRunningStreams) {
  ServeOptions opt;
  opt.kv_budget_mb = 64;
  opt.max_batch_tokens = 32;
  opt.prefix_cache = false;
  Scheduler s(Model(), opt);
  std::mutex mu;
  int a_pieces = 0;
  int a_pieces_when_b_started = -1, a_pieces_at_b_first = -1;
  ServeRequest a = Request(Chat("Tell me about volcanoes in detail."), 120);
  a.stop = {};
  std::promise<void> a_running;
  bool signalled = false;
  a.on_text = [&](std::string_view) {
    std::lock_guard lock(mu);
    ++a_pieces;
    if (!signalled) {
      signalled = true;
      a_running.set_value();
    }
    return true;
  };
  auto fa = Start(s, std::move(a));
  a_running.get_future().wait();
  std::string text = "Summarise this: ";
  for (int i = 0; i < 40; ++i) text += "The quick brown fox jumps over the lazy dog. ";
  ServeRequest b = Request(Chat(text), 2);
  ASSERT_GE(b.prompt.size(), 300u);
  bool b_first = false;
  b.on_text = [&](std::string_view) {
    std::lock_guard lock(mu);
    if (!b_first) {
      b_first = true;
      a_pieces_at_b_first = a_pieces;
    }
    return true;
  };
  {
    std::lock_guard lock(mu);
    a_pieces_when_b_started = a_pieces;
  }
  Completion cb = Start(s, std::move(b)).get();
  Completion ca = fa.get();
  ASSERT_TRUE(cb.status.ok());
  ASSERT_TRUE(ca.status.ok());
  // b's prompt took at least 300 / 31 steps, in each of which a got a token
  // (a piece of text per token, save the odd held-back byte).
  EXPECT_GE(a_pieces_at_b_first - a_pieces_when_b_started, 6)
      << "a: " << a_pieces_when_b_started << " -> " << a_pieces_at_b_first;
}

}  // namespace
}  // namespace kiln::engine
