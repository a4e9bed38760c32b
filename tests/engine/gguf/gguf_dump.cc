// gguf_dump: prints a GGUF file as JSON, for test_gguf_python.py to compare
// with the Python gguf package; or writes the sample file for it to read.
//   gguf_dump FILE              metadata (arrays as count + CRC-32) and tensor table
//   gguf_dump --write-sample OUT
// Arrays and tensor data are summarised by the CRC-32 (zlib's) of a canonical
// encoding: strings as uint64 length + bytes, integers as int64 (uint64 as
// uint64), floats as float64, all little-endian.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

#include "engine/gguf/gguf_file.h"
#include "gguf_sample.h"

namespace kiln::engine {
namespace {

class Crc32 {
 public:
  Crc32() {
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      table_[i] = c;
    }
  }
  void Add(const void* data, size_t n) {
    const auto* p = static_cast<const uint8_t*>(data);
    for (size_t i = 0; i < n; ++i) crc_ = table_[(crc_ ^ p[i]) & 0xff] ^ (crc_ >> 8);
  }
  template <typename T>
  void AddPod(T v) {
    Add(&v, sizeof v);
  }
  uint32_t value() const { return crc_ ^ 0xffffffffu; }

 private:
  uint32_t table_[256];
  uint32_t crc_ = 0xffffffffu;
};

std::string Json(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
      out += buf;
    } else {
      out += c;  // UTF-8 passes through
    }
  }
  return out + "\"";
}

std::string Number(double d) {
  if (!std::isfinite(d)) return Json(std::isnan(d) ? "nan" : (d > 0 ? "inf" : "-inf"));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", d);
  return buf;
}

std::string ScalarJson(const GgufValue& v) {
  switch (v.type()) {
    case GgufType::kString: {
      std::string_view s = *v.AsString();
      return Json(s);
    }
    case GgufType::kBool:
      return *v.AsBool() ? "true" : "false";
    case GgufType::kFloat32:
    case GgufType::kFloat64:
      return Number(*v.AsFloat());
    case GgufType::kUint64: {
      return std::to_string(*v.AsUint64());
    }
    default:
      return std::to_string(*v.AsInt());
  }
}

// CRC-32 of an array's canonical encoding; -1 for nested arrays.
int64_t ArrayCrc(const GgufValue& v) {
  Crc32 crc;
  switch (v.element_type()) {
    case GgufType::kArray:
      return -1;
    case GgufType::kString: {
      Result<std::vector<std::string>> strings = v.AsStringArray();
      if (!strings.ok()) return -2;
      for (const std::string& s : strings.value()) {
        crc.AddPod<uint64_t>(s.size());
        crc.Add(s.data(), s.size());
      }
      break;
    }
    case GgufType::kFloat32:
    case GgufType::kFloat64: {
      // AsFloatArray narrows to float; float32 values survive that exactly,
      // float64 arrays do not occur in the models we compare.
      Result<std::vector<float>> floats = v.AsFloatArray();
      if (!floats.ok()) return -2;
      for (float f : floats.value()) crc.AddPod<double>(f);
      break;
    }
    default: {
      Result<std::vector<int64_t>> ints = v.AsIntArray();
      if (!ints.ok()) return -2;
      for (int64_t i : ints.value()) crc.AddPod(i);
    }
  }
  return crc.value();
}

int Dump(const std::string& path) {
  auto opened = GgufFile::Open(path);
  if (!opened.ok()) {
    std::fprintf(stderr, "%s\n", opened.status().ToString().c_str());
    return 1;
  }
  const GgufFile& f = **opened;
  std::string out = "{\"version\": " + std::to_string(f.version()) +
                    ", \"alignment\": " + std::to_string(f.alignment()) + ",\n\"metadata\": [\n";
  for (size_t i = 0; i < f.keys().size(); ++i) {
    const GgufValue& v = *f.Find(f.keys()[i]);
    out += std::string(i ? ",\n" : "") + "{\"key\": " + Json(f.keys()[i]) +
           ", \"type\": " + Json(GgufTypeName(v.type()));
    if (v.type() == GgufType::kArray) {
      out += ", \"element_type\": " + Json(GgufTypeName(v.element_type())) +
             ", \"count\": " + std::to_string(v.size()) +
             ", \"crc32\": " + std::to_string(ArrayCrc(v));
    } else {
      out += ", \"value\": " + ScalarJson(v);
    }
    out += "}";
  }
  out += "\n],\n\"tensors\": [\n";
  for (size_t i = 0; i < f.tensors().size(); ++i) {
    const GgufTensor& t = f.tensors()[i];
    std::string dims;
    for (int64_t d : t.dims) dims += (dims.empty() ? "" : ", ") + std::to_string(d);
    Crc32 crc;
    crc.Add(t.data, t.nbytes);
    out += std::string(i ? ",\n" : "") + "{\"name\": " + Json(t.name) +
           ", \"type\": " + Json(kernels::TypeName(t.type)) + ", \"dims\": [" + dims +
           "], \"offset\": " + std::to_string(t.offset) +
           ", \"nbytes\": " + std::to_string(t.nbytes) +
           ", \"crc32\": " + std::to_string(crc.value()) + "}";
  }
  out += "\n]}\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

}  // namespace
}  // namespace kiln::engine

int main(int argc, char** argv) {
  if (argc == 3 && std::strcmp(argv[1], "--write-sample") == 0) {
    kiln::Status s = kiln::engine::testing::SampleWriter().WriteFile(argv[2]);
    if (!s.ok()) std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return s.ok() ? 0 : 1;
  }
  if (argc != 2) {
    std::fprintf(stderr, "usage: gguf_dump FILE | gguf_dump --write-sample OUT\n");
    return 2;
  }
  return kiln::engine::Dump(argv[1]);
}
