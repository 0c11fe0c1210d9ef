// Output file names from the task's filename_pattern: placeholders, safe characters only, never a path.
#pragma once

#include <ctime>
#include <string>

namespace rtcegress {

struct NameFields {
  std::string task_id;
  std::string channel;
  std::string uid;    // empty for composite outputs
  int index = 1;      // 1-based: rotation file, snapshot number, or rejoin number
  int part = 1;       // the task's attempt number (a resumed task writes part 2, 3, ...)
  std::time_t when = 0;
};

// Which discriminators this output needs so that two files never get the same name.
struct NameNeeds {
  bool uid = false;    // individual mode
  bool index = false;  // several files of this kind may be written (rotation, snapshots, rejoin)
};

// True when pattern only uses known placeholders and safe literal characters; why says what is wrong.
bool validate_filename_pattern(const std::string& pattern, std::string& why);

// The base name (no extension). Placeholder values are reduced to safe characters; when the pattern lacks a
// needed discriminator ({uid}, {index}, or {part} for part > 1) it is appended as "_<value>".
std::string expand_filename(const std::string& pattern, const NameFields& fields, const NameNeeds& needs);

// Replaces every character outside [A-Za-z0-9._-] by '_' and breaks up "..".
std::string safe_name_component(const std::string& s);

}  // namespace rtcegress
