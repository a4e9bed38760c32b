// Invariant checks. A failed check is a bug: it logs the condition, the
// location and any streamed context, then aborts. KILN_CHECK is always on;
// KILN_DCHECK only in debug builds (NDEBUG unset).
#pragma once

#include <sstream>

namespace kiln::internal {

class CheckFailure {
 public:
  CheckFailure(const char* file, int line, const char* condition);
  [[noreturn]] ~CheckFailure();
  std::ostream& stream() { return stream_; }

 private:
  std::ostringstream stream_;
};

// Swallows the stream expression in the passing branch of the macro.
struct Voidify {
  void operator&(std::ostream&) {}
};

}  // namespace kiln::internal

#define KILN_CHECK(cond)                 \
  (cond) ? (void)0                       \
         : ::kiln::internal::Voidify() & \
               ::kiln::internal::CheckFailure(__FILE__, __LINE__, #cond).stream()

#ifdef NDEBUG
#define KILN_DCHECK(cond)              \
  true ? (void)0                       \
       : ::kiln::internal::Voidify() & \
             ::kiln::internal::CheckFailure(__FILE__, __LINE__, #cond).stream()
#else
#define KILN_DCHECK(cond) KILN_CHECK(cond)
#endif
