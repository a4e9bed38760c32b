#include "engine/sampling.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "kernels/cpu/ops.h"

namespace kiln::engine {

Status ValidateSamplingParams(const SamplingParams& p) {
  if (!(p.temperature >= 0 && p.temperature <= 100)) {
    return InvalidArgument("temperature must be between 0 and 100", "temperature");
  }
  if (!(p.top_p > 0 && p.top_p <= 1)) return InvalidArgument("top_p must be in (0, 1]", "top_p");
  if (!(p.min_p >= 0 && p.min_p <= 1)) return InvalidArgument("min_p must be in [0, 1]", "min_p");
  if (!(p.repetition_penalty > 0 && p.repetition_penalty <= 10)) {
    return InvalidArgument("repetition_penalty must be in (0, 10]", "repetition_penalty");
  }
  if (!(std::abs(p.presence_penalty) <= 2)) {
    return InvalidArgument("presence_penalty must be in [-2, 2]", "presence_penalty");
  }
  if (!(std::abs(p.frequency_penalty) <= 2)) {
    return InvalidArgument("frequency_penalty must be in [-2, 2]", "frequency_penalty");
  }
  if (p.penalty_last_n < 0) return InvalidArgument("penalty_last_n must be >= 0", "penalty_last_n");
  return Status::OK();
}

void Sampler::ApplyPenalties(std::span<float> logits, std::span<const int32_t> history) const {
  const bool any = params_.repetition_penalty != 1.0f || params_.presence_penalty != 0.0f ||
                   params_.frequency_penalty != 0.0f;
  if (!any || params_.penalty_last_n == 0 || history.empty()) return;
  size_t n = std::min(history.size(), static_cast<size_t>(params_.penalty_last_n));
  std::unordered_map<int32_t, int> counts;
  for (int32_t t : history.subspan(history.size() - n)) {
    if (t >= 0 && static_cast<size_t>(t) < logits.size()) ++counts[t];
  }
  for (auto [token, count] : counts) {
    float& l = logits[static_cast<size_t>(token)];
    // As in the CTRL paper and llama.cpp: divide positive logits, multiply negative ones.
    l = l > 0 ? l / params_.repetition_penalty : l * params_.repetition_penalty;
    l -= static_cast<float>(count) * params_.frequency_penalty + params_.presence_penalty;
  }
}

int32_t Sampler::Sample(std::span<float> logits, std::span<const int32_t> history) {
  ApplyPenalties(logits, history);
  if (params_.temperature <= 0) {  // greedy: the first largest logit
    return static_cast<int32_t>(
        kernels::cpu::ArgMax(logits.data(), static_cast<int64_t>(logits.size())));
  }
  candidates_.clear();
  candidates_.reserve(logits.size());
  for (size_t i = 0; i < logits.size(); ++i) {
    if (std::isfinite(logits[i])) candidates_.emplace_back(logits[i], static_cast<int32_t>(i));
  }
  if (candidates_.empty()) return 0;
  auto by_logit = [](const auto& a, const auto& b) { return a.first > b.first; };
  size_t keep = candidates_.size();
  if (params_.top_k > 0 && static_cast<size_t>(params_.top_k) < keep) {
    keep = static_cast<size_t>(params_.top_k);
    std::partial_sort(candidates_.begin(), candidates_.begin() + static_cast<std::ptrdiff_t>(keep),
                      candidates_.end(), by_logit);
  } else {
    std::sort(candidates_.begin(), candidates_.end(), by_logit);
  }
  candidates_.resize(keep);
  // Probabilities at temperature 1 decide top-p and min-p, as llama.cpp's chain does.
  std::vector<double> probs(keep);
  const double max_logit = candidates_[0].first;
  double sum = 0;
  for (size_t i = 0; i < keep; ++i) sum += probs[i] = std::exp(candidates_[i].first - max_logit);
  size_t cut = keep;
  if (params_.top_p < 1.0f) {
    double cumulative = 0;
    for (size_t i = 0; i < keep; ++i) {
      cumulative += probs[i] / sum;
      if (cumulative >= params_.top_p) {
        cut = i + 1;
        break;
      }
    }
  }
  if (params_.min_p > 0.0f) {
    size_t i = 1;
    while (i < cut && probs[i] >= params_.min_p * probs[0]) ++i;
    cut = i;
  }
  // Temperature reshapes what is left; draw from it.
  std::vector<double> weights(cut);
  for (size_t i = 0; i < cut; ++i) {
    weights[i] = std::exp((candidates_[i].first - max_logit) / params_.temperature);
  }
  std::discrete_distribution<size_t> pick(weights.begin(), weights.end());
  return candidates_[pick(rng_)].second;
}

}  // namespace kiln::engine
