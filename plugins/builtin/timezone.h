// Time zones for the current_time tool, read from the system's TZif files
// (/usr/share/zoneinfo, RFC 8536) by our own reader: the C library's
// localtime_r switches zones through the process-wide TZ variable, which
// is not safe while other threads run. Transitions come from the file; past
// the last one, the file's POSIX TZ footer rule ("EST5EDT,M3.2.0,M11.1.0").
// Immutable after Load; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace kiln::plugins {

struct ZoneOffset {
  int64_t utc_offset = 0;  // seconds east of UTC
  bool dst = false;
  std::string abbreviation;  // "EST", "CST", "+08"
};

// Names like "Asia/Shanghai", "UTC", "America/Argentina/Buenos_Aires":
// segments of [A-Za-z0-9_+-] separated by '/', none "." or "..", at most 64
// characters.
bool ValidZoneName(std::string_view name);

class TimeZone {
 public:
  // InvalidArgument for a bad name, NotFound for no such zone, Corruption
  // for a file that is not TZif.
  static Result<TimeZone> Load(std::string_view name,
                               const std::string& dir = "/usr/share/zoneinfo");
  // Parses TZif bytes (tests).
  static Result<TimeZone> Parse(std::string_view bytes);

  ZoneOffset At(int64_t unix_seconds) const;

 private:
  std::vector<int64_t> times_;
  std::vector<uint8_t> type_of_;  // per transition
  std::vector<ZoneOffset> types_;
  // Footer: standard and daylight offsets and the rule's dates ("" none).
  bool has_footer_ = false;
  ZoneOffset std_, dst_;
  bool footer_dst_ = false;
  int start_month_ = 0, start_week_ = 0, start_day_ = 0, end_month_ = 0, end_week_ = 0,
      end_day_ = 0;
  int64_t start_time_ = 7200, end_time_ = 7200;  // seconds after local midnight
  friend Status ParseFooter(std::string_view text, TimeZone* zone);
};

}  // namespace kiln::plugins
