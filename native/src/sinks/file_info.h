// Facts about a finished output file, as announced in file_closed events, and writing files safely.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace rtcegress {

enum class FileKind { media, playlist, snapshot };
const char* to_string(FileKind k);

struct ClosedFile {
  std::string path;   // absolute or as given by output_dir
  std::string name;   // relative to output_dir
  FileKind kind = FileKind::media;
  std::string uid;    // per-user outputs only
  int part = 1;
  double duration_s = 0;
  std::uint64_t bytes = 0;
  std::string sha256;
};

// Hex SHA-256 of a file's contents; empty when it cannot be read.
std::string sha256_file(const std::string& path, std::uint64_t* bytes = nullptr);
std::string sha256_bytes(const std::uint8_t* data, std::size_t size);

// The file_closed event fields.
nlohmann::json to_json(const ClosedFile& f);

std::string join_path(const std::string& dir, const std::string& name);

// Writes content to path atomically (temporary file + rename), so readers never see half a file.
bool write_file_atomically(const std::string& path, const std::string& content, std::string& error);

}  // namespace rtcegress
