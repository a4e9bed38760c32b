// KnowledgeService's file handling: durable writes, reads, format checks,
// re-reading a document under new settings.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "base/random.h"
#include "rag/internal/service_parts.h"

namespace kiln::rag::internal {
namespace {

Status Errno(const std::string& what) { return Unavailable(what + ": " + std::strerror(errno)); }

}  // namespace

Status WriteFileDurably(const std::string& path, std::string_view bytes) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("cannot create " + tmp);
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      Status st = Errno("cannot write " + tmp);
      ::close(fd);
      ::unlink(tmp.c_str());
      return st;
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    Status st = Errno("cannot sync " + tmp);
    ::close(fd);
    ::unlink(tmp.c_str());
    return st;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    Status st = Errno("cannot rename " + tmp);
    ::unlink(tmp.c_str());
    return st;
  }
  // The rename itself is durable once the folder is synced.
  const std::string dir = std::filesystem::path(path).parent_path().string();
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return Status::OK();
}

Result<std::string> ReadFile(const std::string& path, size_t max_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Errno("cannot open " + path);
  std::string out;
  char buf[1 << 16];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Status st = Errno("cannot read " + path);
      ::close(fd);
      return st;
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > max_bytes) {
      ::close(fd);
      return TooLarge(path + " is larger than the document limit");
    }
  }
  ::close(fd);
  return out;
}

Status RequeueCopy(storage::Store& store, const std::string& workspace_id,
                   const storage::KnowledgeDocument& old, const std::string& old_path,
                   const std::function<std::string(const std::string&)>& path_of, int64_t now) {
  KILN_ASSIGN_OR_RETURN(std::string bytes, ReadFile(old_path, SIZE_MAX));
  storage::KnowledgeDocument doc = old;
  doc.id = NewId("doc");
  doc.status = storage::DocumentStatus::kQueued;
  doc.error.clear();
  doc.chunks_done = doc.chunks_total = 0;
  doc.attempts = 0;
  doc.replaces = old.id;
  doc.created_at = doc.updated_at = now;
  KILN_RETURN_IF_ERROR(WriteFileDurably(path_of(doc.id), bytes));
  return store.knowledge().CreateDocument(workspace_id, doc);
}

std::string NameFromUrl(const std::string& url) {
  std::string rest = url.substr(url.find("://") == std::string::npos ? 0 : url.find("://") + 3);
  rest = rest.substr(0, rest.find_first_of("?#"));
  const size_t slash = rest.find('/');
  const std::string host = rest.substr(0, slash);
  std::string last = slash == std::string::npos ? "" : rest.substr(rest.rfind('/') + 1);
  std::string name;
  for (char c : last.empty() ? host + ".html" : last) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_') {
      name += c;
    }
  }
  while (!name.empty() && name[0] == '.') name.erase(0, 1);
  if (name.empty()) name = "page.html";
  if (name.size() > 200) name.resize(200);
  return name;
}

std::string EmbeddingInput(const storage::StoredChunk& chunk) {
  std::string out;
  for (const std::string& h : chunk.heading_path) {
    if (!out.empty()) out += " > ";
    out += h;
  }
  if (!out.empty()) out += "\n";
  return out + chunk.text;
}

}  // namespace kiln::rag::internal
