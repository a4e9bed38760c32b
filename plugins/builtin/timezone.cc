#include "plugins/builtin/timezone.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

namespace kiln::plugins {

Status ParseFooter(std::string_view text, TimeZone* zone);

namespace {

constexpr size_t kMaxFileBytes = 1 << 20;

class Reader {
 public:
  explicit Reader(std::string_view b) : b_(b) {}
  bool Has(size_t n) const { return pos_ + n <= b_.size(); }
  int64_t Int(size_t bytes) {  // big-endian, signed
    uint64_t v = 0;
    for (size_t i = 0; i < bytes; ++i) v = (v << 8) | static_cast<uint8_t>(b_[pos_ + i]);
    pos_ += bytes;
    if (bytes == 4) return static_cast<int32_t>(static_cast<uint32_t>(v));
    return static_cast<int64_t>(v);
  }
  uint8_t Byte() { return static_cast<uint8_t>(b_[pos_++]); }
  void Skip(size_t n) { pos_ += n; }
  size_t pos() const { return pos_; }
  std::string_view rest() const { return b_.substr(pos_); }

 private:
  std::string_view b_;
  size_t pos_ = 0;
};

// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

int64_t YearOf(int64_t days) {
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return yoe + era * 400 + (m <= 2);
}

// The day (days since epoch) of Mm.w.d in `year`: week w (5 = last) of
// month m, weekday d (0 = Sunday).
int64_t RuleDay(int64_t year, int month, int week, int weekday) {
  const int64_t first = DaysFromCivil(year, month, 1);
  const int first_weekday = static_cast<int>(((first % 7) + 11) % 7);  // 1970-01-01 was Thursday
  int64_t day = first + (weekday - first_weekday + 7) % 7 + 7 * (week - 1);
  const int64_t next_month =
      month == 12 ? DaysFromCivil(year + 1, 1, 1) : DaysFromCivil(year, month + 1, 1);
  while (day >= next_month) day -= 7;
  return day;
}

bool ParseName(std::string_view& s, std::string* name) {
  if (!s.empty() && s[0] == '<') {
    const size_t close = s.find('>');
    if (close == std::string_view::npos) return false;
    *name = std::string(s.substr(1, close - 1));
    s.remove_prefix(close + 1);
    return true;
  }
  size_t n = 0;
  while (n < s.size() && std::isalpha(static_cast<unsigned char>(s[n]))) ++n;
  if (n < 3) return false;
  *name = std::string(s.substr(0, n));
  s.remove_prefix(n);
  return true;
}

// [+-]hh[:mm[:ss]] in seconds.
bool ParseClock(std::string_view& s, int64_t* out) {
  int sign = 1;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    sign = s[0] == '-' ? -1 : 1;
    s.remove_prefix(1);
  }
  int64_t total = 0;
  for (int part = 0; part < 3; ++part) {
    if (part > 0) {
      if (s.empty() || s[0] != ':') break;
      s.remove_prefix(1);
    }
    size_t n = 0;
    int64_t v = 0;
    while (n < s.size() && n < 3 && std::isdigit(static_cast<unsigned char>(s[n]))) {
      v = v * 10 + (s[n] - '0');
      ++n;
    }
    if (n == 0) return false;
    s.remove_prefix(n);
    total += v * (part == 0 ? 3600 : part == 1 ? 60 : 1);
  }
  *out = sign * total;
  return true;
}

bool ParseRuleDate(std::string_view& s, int* m, int* w, int* d, int64_t* time) {
  if (s.empty() || s[0] != 'M') return false;  // Julian forms are not in tzdata's footers
  s.remove_prefix(1);
  int values[3];
  for (int i = 0; i < 3; ++i) {
    if (i > 0) {
      if (s.empty() || s[0] != '.') return false;
      s.remove_prefix(1);
    }
    size_t n = 0;
    int v = 0;
    while (n < s.size() && n < 2 && std::isdigit(static_cast<unsigned char>(s[n]))) {
      v = v * 10 + (s[n] - '0');
      ++n;
    }
    if (n == 0) return false;
    s.remove_prefix(n);
    values[i] = v;
  }
  *m = values[0];
  *w = values[1];
  *d = values[2];
  if (*m < 1 || *m > 12 || *w < 1 || *w > 5 || *d > 6) return false;
  if (!s.empty() && s[0] == '/') {
    s.remove_prefix(1);
    if (!ParseClock(s, time)) return false;
  }
  return true;
}

}  // namespace

Status ParseFooter(std::string_view s, TimeZone* z) {
  std::string name;
  int64_t offset = 0;
  if (!ParseName(s, &name) || !ParseClock(s, &offset)) return Corruption("bad TZ footer");
  z->std_ = {-offset, false, name};  // POSIX offsets count west of UTC
  z->has_footer_ = true;
  if (s.empty()) return Status::OK();
  if (!ParseName(s, &name)) return Corruption("bad TZ footer");
  int64_t dst_offset = offset - 3600;
  if (!s.empty() && s[0] != ',') {
    if (!ParseClock(s, &dst_offset)) return Corruption("bad TZ footer");
  }
  z->dst_ = {-dst_offset, true, name};
  if (s.empty() || s[0] != ',') return Corruption("TZ footer without rules");
  s.remove_prefix(1);
  if (!ParseRuleDate(s, &z->start_month_, &z->start_week_, &z->start_day_, &z->start_time_) ||
      s.empty() || s[0] != ',') {
    return Corruption("bad TZ footer rule");
  }
  s.remove_prefix(1);
  if (!ParseRuleDate(s, &z->end_month_, &z->end_week_, &z->end_day_, &z->end_time_) || !s.empty()) {
    return Corruption("bad TZ footer rule");
  }
  z->footer_dst_ = true;
  return Status::OK();
}

bool ValidZoneName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  size_t start = 0;
  while (start <= name.size()) {
    size_t slash = name.find('/', start);
    if (slash == std::string_view::npos) slash = name.size();
    const std::string_view seg = name.substr(start, slash - start);
    if (seg.empty() || seg == "." || seg == "..") return false;
    for (char c : seg) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '+' || c == '-')) {
        return false;
      }
    }
    start = slash + 1;
  }
  return true;
}

Result<TimeZone> TimeZone::Load(std::string_view name, const std::string& dir) {
  if (!ValidZoneName(name)) {
    return InvalidArgument("'" + std::string(name.substr(0, 64)) + "' is not a time zone name",
                           "timezone");
  }
  std::ifstream in(dir + "/" + std::string(name), std::ios::binary);
  if (!in) return NotFound("no time zone called '" + std::string(name) + "'");
  std::string bytes(kMaxFileBytes + 1, '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  bytes.resize(static_cast<size_t>(in.gcount()));
  if (bytes.size() > kMaxFileBytes) return Corruption("time zone file too large");
  Result<TimeZone> zone = Parse(bytes);
  if (!zone.ok()) return NotFound("no time zone called '" + std::string(name) + "'");
  return zone;
}

Result<TimeZone> TimeZone::Parse(std::string_view bytes) {
  Reader r(bytes);
  auto header = [&](int64_t* counts) -> Status {
    if (!r.Has(44) || r.rest().substr(0, 4) != "TZif") return Corruption("not a TZif file");
    r.Skip(5 + 15);
    for (int i = 0; i < 6; ++i) counts[i] = r.Int(4);
    for (int i = 0; i < 6; ++i) {
      if (counts[i] < 0 || counts[i] > 100000) return Corruption("TZif counts out of range");
    }
    return Status::OK();
  };
  int64_t c[6];  // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
  KILN_RETURN_IF_ERROR(header(c));
  const char version = bytes[4];
  auto block_size = [&](size_t time_bytes) {
    return static_cast<size_t>(c[3] * static_cast<int64_t>(time_bytes) + c[3] + c[4] * 6 + c[5] +
                               c[2] * static_cast<int64_t>(time_bytes + 4) + c[1] + c[0]);
  };
  size_t time_bytes = 4;
  if (version >= '2') {
    if (!r.Has(block_size(4))) return Corruption("TZif file cut short");
    r.Skip(block_size(4));
    KILN_RETURN_IF_ERROR(header(c));
    time_bytes = 8;
  }
  if (!r.Has(block_size(time_bytes)) || c[4] == 0) return Corruption("TZif file cut short");
  TimeZone z;
  for (int64_t i = 0; i < c[3]; ++i) z.times_.push_back(r.Int(time_bytes));
  for (int64_t i = 0; i < c[3]; ++i) {
    const uint8_t t = r.Byte();
    if (t >= c[4]) return Corruption("TZif transition type out of range");
    z.type_of_.push_back(t);
  }
  std::vector<uint8_t> abbr_index;
  for (int64_t i = 0; i < c[4]; ++i) {
    ZoneOffset o;
    o.utc_offset = r.Int(4);
    o.dst = r.Byte() != 0;
    abbr_index.push_back(r.Byte());
    z.types_.push_back(o);
  }
  const std::string_view chars = r.rest().substr(0, static_cast<size_t>(c[5]));
  for (size_t i = 0; i < z.types_.size(); ++i) {
    if (abbr_index[i] < chars.size()) {
      const std::string_view a = chars.substr(abbr_index[i]);
      z.types_[i].abbreviation = std::string(a.substr(0, a.find('\0')));
    }
  }
  r.Skip(block_size(time_bytes) -
         static_cast<size_t>(c[3] * static_cast<int64_t>(time_bytes) + c[3] + c[4] * 6));
  if (time_bytes == 8 && !r.rest().empty() && r.rest()[0] == '\n') {
    const std::string_view rest = r.rest().substr(1);
    const size_t end = rest.find('\n');
    if (end != std::string_view::npos && end > 0) {
      // A footer we cannot read leaves the transitions to answer alone.
      if (!ParseFooter(rest.substr(0, end), &z).ok()) z.has_footer_ = false;
    }
  }
  return z;
}

ZoneOffset TimeZone::At(int64_t t) const {
  if (!times_.empty() && (t < times_.back() || !has_footer_)) {
    auto it = std::upper_bound(times_.begin(), times_.end(), t);
    if (it == times_.begin()) return types_.front();
    return types_[type_of_[static_cast<size_t>(it - times_.begin() - 1)]];
  }
  if (!has_footer_) return types_.front();
  if (!footer_dst_) return std_;
  // The rule's two instants this year, in UTC: DST starts at start_time
  // local standard time and ends at end_time local daylight time.
  const int64_t year = YearOf((t + std_.utc_offset) / 86400 - ((t + std_.utc_offset) % 86400 < 0));
  const int64_t start =
      RuleDay(year, start_month_, start_week_, start_day_) * 86400 + start_time_ - std_.utc_offset;
  const int64_t end =
      RuleDay(year, end_month_, end_week_, end_day_) * 86400 + end_time_ - dst_.utc_offset;
  const bool in_dst = start < end ? (t >= start && t < end) : (t >= start || t < end);
  return in_dst ? dst_ : std_;
}

}  // namespace kiln::plugins
