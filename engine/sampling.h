// Sampler: picks the next token from a model's logits.
//
// The steps, in llama.cpp's default order: repetition, presence and frequency
// penalties over the last `penalty_last_n` tokens -> greedy argmax when
// temperature <= 0, else top-k -> top-p -> min-p -> temperature -> a draw from
// the remaining distribution with the sampler's own seeded generator (the same
// seed and inputs give the same tokens). One Sampler per sequence; not thread-safe.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "base/status.h"

namespace kiln::engine {

struct SamplingParams {
  float temperature = 0.8f;         // <= 0: greedy
  int top_k = 40;                   // <= 0: off
  float top_p = 0.95f;              // >= 1: off
  float min_p = 0.05f;              // <= 0: off; keeps tokens with p >= min_p * p_max
  float repetition_penalty = 1.0f;  // 1: off; > 1 discourages repeats
  float presence_penalty = 0.0f;    // subtracted once from any token already seen
  float frequency_penalty = 0.0f;   // subtracted per occurrence
  int penalty_last_n = 64;          // how much history the penalties look at
  uint64_t seed = 0;
};

// InvalidArgument naming the field when a value is out of its range.
Status ValidateSamplingParams(const SamplingParams& params);

class Sampler {
 public:
  explicit Sampler(SamplingParams params) : params_(params), rng_(params.seed) {}

  // Chooses a token from `logits` ([n_vocab], modified in place) given the
  // tokens generated or read so far (for the penalties).
  int32_t Sample(std::span<float> logits, std::span<const int32_t> history);

 private:
  void ApplyPenalties(std::span<float> logits, std::span<const int32_t> history) const;

  SamplingParams params_;
  std::mt19937_64 rng_;
  std::vector<std::pair<float, int32_t>> candidates_;  // reused between calls
};

// Applied to the logits before sampling (grammar constraints); told each
// token chosen. Runs on the scheduler thread.
class TokenConstraint {
 public:
  virtual ~TokenConstraint() = default;
  virtual void Mask(std::span<float> logits) = 0;
  virtual void Accept(int32_t token) = 0;
  // True once the constrained text is complete: generation stops there.
  virtual bool Done() const = 0;
};

}  // namespace kiln::engine
