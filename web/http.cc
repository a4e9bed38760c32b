#include "web/http.h"

namespace kiln::web {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool BodyStream::Write(std::string data) {
  std::function<void()> wake;
  {
    std::lock_guard lock(mu_);
    if (cancelled_ || closed_) return false;
    queued_ += data;
    wake = wake_;
  }
  if (wake) wake();
  return true;
}

void BodyStream::Close() {
  std::function<void()> wake;
  {
    std::lock_guard lock(mu_);
    closed_ = true;
    wake = wake_;
  }
  if (wake) wake();
}

void BodyStream::SetStatus(int status) {
  std::lock_guard lock(mu_);
  status_ = status;
}

int BodyStream::status() const {
  std::lock_guard lock(mu_);
  return status_;
}

bool BodyStream::cancelled() const {
  std::lock_guard lock(mu_);
  return cancelled_;
}

void BodyStream::OnCancel(std::function<void()> fn) {
  bool now = false;
  {
    std::lock_guard lock(mu_);
    if (cancelled_) {
      now = true;
    } else {
      on_cancel_ = std::move(fn);
    }
  }
  if (now && fn) fn();
}

BodyStream::State BodyStream::Take(std::string* out) {
  std::lock_guard lock(mu_);
  if (!queued_.empty()) {
    out->swap(queued_);
    queued_.clear();
    return State::kData;
  }
  return closed_ || cancelled_ ? State::kDone : State::kWait;
}

void BodyStream::SetWaker(std::function<void()> wake) {
  std::lock_guard lock(mu_);
  wake_ = std::move(wake);
}

void BodyStream::Cancel() {
  std::function<void()> fn;
  {
    std::lock_guard lock(mu_);
    if (cancelled_ || closed_) return;
    cancelled_ = true;
    fn = std::move(on_cancel_);
    on_cancel_ = nullptr;
  }
  if (fn) fn();
}

std::string_view Request::Header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return value;
  }
  return {};
}

const std::string* Request::Query(std::string_view name) const {
  auto it = query.find(std::string(name));
  return it == query.end() ? nullptr : &it->second;
}

bool PercentDecode(std::string_view in, bool plus_is_space, std::string* out) {
  out->clear();
  out->reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      int hi = HexValue(in[i + 1]);
      int lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      char decoded = static_cast<char>(hi * 16 + lo);
      if (decoded == '\0') return false;
      out->push_back(decoded);
      i += 2;
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return false;  // raw control bytes are never valid in a URI
    } else if (c == '+' && plus_is_space) {
      out->push_back(' ');
    } else {
      out->push_back(c);
    }
  }
  return true;
}

bool ParseTarget(std::string_view target, std::string* path,
                 std::multimap<std::string, std::string>* query) {
  if (target.empty() || target[0] != '/') return false;
  size_t q = target.find('?');
  std::string_view raw_path = target.substr(0, q);
  if (!PercentDecode(raw_path, false, path)) return false;
  query->clear();
  if (q == std::string_view::npos) return true;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string key, value;
    if (!PercentDecode(pair.substr(0, eq), true, &key)) return false;
    if (eq != std::string_view::npos && !PercentDecode(pair.substr(eq + 1), true, &value)) {
      return false;
    }
    query->emplace(std::move(key), std::move(value));
  }
  return true;
}

}  // namespace kiln::web
