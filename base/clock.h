// Clocks: wall time for timestamps the API shows, a monotonic clock for durations.
#pragma once

#include <chrono>
#include <cstdint>

namespace kiln {

// Seconds since the Unix epoch (API timestamps).
int64_t UnixSeconds();
int64_t UnixMillis();

// Monotonic time for measuring durations; never goes back.
using MonoClock = std::chrono::steady_clock;
inline MonoClock::time_point MonoNow() { return MonoClock::now(); }
inline double SecondsSince(MonoClock::time_point start) {
  return std::chrono::duration<double>(MonoNow() - start).count();
}

}  // namespace kiln
