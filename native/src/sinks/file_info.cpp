#include "sinks/file_info.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
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
using ShaPtr = std::unique_ptr<AVSHA, ShaDeleter>;
struct FileCloser {
  void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

std::string hex(const std::uint8_t* d, std::size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    out += digits[d[i] >> 4];
    out += digits[d[i] & 15];
  }
  return out;
}

// A SHA-256 context ready for data; null when out of memory.
ShaPtr sha256_begin() {
  ShaPtr sha(av_sha_alloc());
  if (!sha || av_sha_init(sha.get(), 256) < 0) return nullptr;
  return sha;
}

std::string sha256_hex(AVSHA* sha) {
  std::uint8_t digest[32];
  av_sha_final(sha, digest);
  return hex(digest, sizeof digest);
}

}  // namespace

std::string sha256_bytes(const std::uint8_t* data, std::size_t size) {
  ShaPtr sha = sha256_begin();
  if (!sha) return {};
  av_sha_update(sha.get(), data, size);
  return sha256_hex(sha.get());
}

std::string sha256_file(const std::string& path, std::uint64_t* bytes) {
  FilePtr f(std::fopen(path.c_str(), "rb"));
  ShaPtr sha = sha256_begin();
  if (!f || !sha) return {};
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
  return sha256_hex(sha.get());
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

bool write_file_atomically(const std::string& path, const std::string& content, std::string& error) {
  std::string tmp = path + ".tmp";
  {
    FilePtr f(std::fopen(tmp.c_str(), "wb"));
    if (!f) {
      error = "cannot create " + tmp + ": " + std::strerror(errno);
      return false;
    }
    if (std::fwrite(content.data(), 1, content.size(), f.get()) != content.size() || std::fflush(f.get()) != 0) {
      error = "cannot write " + tmp + ": " + std::strerror(errno);
      return false;
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    error = "cannot rename " + tmp + ": " + std::strerror(errno);
    std::remove(tmp.c_str());
    return false;
  }
  return true;
}

std::string join_path(const std::string& dir, const std::string& name) {
  if (dir.empty()) return name;
  return dir.back() == '/' ? dir + name : dir + "/" + name;
}

}  // namespace rtcegress
