#include "sinks/file_info.h"

#include <cmath>
#include <cstdio>
#include <memory>
#include <vector>

extern "C" {
#include <libavutil/mem.h>
#include <libavutil/sha.h>
}

namespace rtcegress {

const char* to_string(FileKind k) {
  switch (k) {
    case FileKind::media: return "media";
    case FileKind::playlist: return "playlist";
    case FileKind::snapshot: return "snapshot";
  }
  return "media";
}

namespace {

struct ShaDeleter {
  void operator()(AVSHA* s) const noexcept { av_free(s); }
};
struct FileCloser {
  void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};

std::string hex(const std::uint8_t* d, std::size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    out += digits[d[i] >> 4];
    out += digits[d[i] & 15];
  }
  return out;
}

}  // namespace

std::string sha256_bytes(const std::uint8_t* data, std::size_t size) {
  std::unique_ptr<AVSHA, ShaDeleter> sha(av_sha_alloc());
  if (!sha || av_sha_init(sha.get(), 256) < 0) return {};
  av_sha_update(sha.get(), data, size);
  std::uint8_t digest[32];
  av_sha_final(sha.get(), digest);
  return hex(digest, sizeof digest);
}

std::string sha256_file(const std::string& path, std::uint64_t* bytes) {
  std::unique_ptr<std::FILE, FileCloser> f(std::fopen(path.c_str(), "rb"));
  std::unique_ptr<AVSHA, ShaDeleter> sha(av_sha_alloc());
  if (!f || !sha || av_sha_init(sha.get(), 256) < 0) return {};
  std::vector<std::uint8_t> buf(1 << 20);
  std::uint64_t total = 0;
  for (;;) {
    std::size_t n = std::fread(buf.data(), 1, buf.size(), f.get());
    if (n > 0) av_sha_update(sha.get(), buf.data(), n);
    total += n;
    if (n < buf.size()) break;
  }
  if (std::ferror(f.get())) return {};
  if (bytes) *bytes = total;
  std::uint8_t digest[32];
  av_sha_final(sha.get(), digest);
  return hex(digest, sizeof digest);
}

nlohmann::json to_json(const ClosedFile& f) {
  nlohmann::json j = {{"path", f.path},
                      {"name", f.name},
                      {"kind", to_string(f.kind)},
                      {"bytes", f.bytes},
                      {"duration_s", std::round(f.duration_s * 1000.0) / 1000.0},
                      {"sha256", f.sha256},
                      {"part", f.part}};
  if (!f.uid.empty()) j["uid"] = f.uid;
  return j;
}

std::string join_path(const std::string& dir, const std::string& name) {
  if (dir.empty()) return name;
  return dir.back() == '/' ? dir + name : dir + "/" + name;
}

}  // namespace rtcegress
