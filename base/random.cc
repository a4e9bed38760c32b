#include "base/random.h"

#include <sys/random.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>

#include "base/check.h"

namespace kiln {
namespace {

// Base-62 alphabet in ASCII order so that ids compare like the numbers they encode.
constexpr char kAlphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

}  // namespace

void SecureRandomBytes(void* out, size_t n) {
  auto* p = static_cast<unsigned char*>(out);
  while (n > 0) {
    ssize_t got = getrandom(p, n, 0);
    if (got < 0 && errno == EINTR) continue;
    KILN_CHECK(got > 0) << "getrandom failed, errno " << errno;
    p += got;
    n -= static_cast<size_t>(got);
  }
}

std::string RandomAlnum(size_t n) {
  std::string s;
  s.reserve(n);
  unsigned char buf[64];
  while (s.size() < n) {
    SecureRandomBytes(buf, sizeof(buf));
    for (unsigned char b : buf) {
      if (b >= 248) continue;  // 248 = 4 * 62: reject to keep the draw uniform
      s.push_back(kAlphabet[b % 62]);
      if (s.size() == n) break;
    }
  }
  return s;
}

std::string NewId(std::string_view prefix) {
  // Microseconds since the epoch in 10 base-62 digits (enough for ~26,000 years),
  // strictly increasing within the process so that ids made in the same
  // microsecond still sort in creation order.
  static std::atomic<uint64_t> last{0};
  uint64_t now = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                           std::chrono::system_clock::now().time_since_epoch())
                                           .count());
  uint64_t prev = last.load(std::memory_order_relaxed);
  uint64_t t;
  do {
    t = std::max(now, prev + 1);
  } while (!last.compare_exchange_weak(prev, t, std::memory_order_relaxed));
  char time_part[10];
  for (int i = 9; i >= 0; --i) {
    time_part[i] = kAlphabet[t % 62];
    t /= 62;
  }
  std::string id(prefix);
  id += '_';
  id.append(time_part, sizeof(time_part));
  id += RandomAlnum(12);
  return id;
}

}  // namespace kiln
