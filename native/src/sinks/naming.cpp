#include "sinks/naming.h"

#include <array>
#include <cstdio>

namespace rtcegress {
namespace {

constexpr std::array<const char*, 7> kPlaceholders = {"task_id", "channel", "uid", "date", "time", "index", "part"};

bool safe_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
         c == '.';
}

bool known(const std::string& name) {
  for (const char* p : kPlaceholders) {
    if (name == p) return true;
  }
  return false;
}

std::string strip_extension(const std::string& s) {
  for (const char* ext : {".mp4", ".m3u8", ".ts", ".jpg", ".jpeg"}) {
    std::string e(ext);
    if (s.size() > e.size() && s.compare(s.size() - e.size(), e.size(), e) == 0) return s.substr(0, s.size() - e.size());
  }
  return s;
}

}  // namespace

std::string safe_name_component(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) out += safe_char(c) ? c : '_';
  for (std::size_t pos; (pos = out.find("..")) != std::string::npos;) out[pos] = '_';
  return out;
}

bool validate_filename_pattern(const std::string& pattern, std::string& why) {
  if (pattern.size() > 200) {
    why = "must be at most 200 characters";
    return false;
  }
  if (pattern.find("..") != std::string::npos) {
    why = "must not contain '..'";
    return false;
  }
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '{') {
      std::size_t end = pattern.find('}', i);
      if (end == std::string::npos) {
        why = "has an unclosed '{'";
        return false;
      }
      std::string name = pattern.substr(i + 1, end - i - 1);
      if (!known(name)) {
        why = "unknown placeholder {" + name + "}; use {task_id} {channel} {uid} {date} {time} {index} {part}";
        return false;
      }
      i = end;
    } else if (c == '/' || c == '\\') {
      why = "must be a file name, not a path (no '/' or '\\')";
      return false;
    } else if (!safe_char(c)) {
      why = "may only contain letters, digits, '_', '-', '.' and placeholders";
      return false;
    }
  }
  if (!pattern.empty() && pattern[0] == '.') {
    why = "must not start with '.'";
    return false;
  }
  return true;
}

std::string expand_filename(const std::string& pattern, const NameFields& f, const NameNeeds& needs) {
  std::tm tm{};
  gmtime_r(&f.when, &tm);
  char date[48], tod[48], index[16];
  std::snprintf(date, sizeof date, "%04d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
  std::snprintf(tod, sizeof tod, "%02d%02d%02d", tm.tm_hour, tm.tm_min, tm.tm_sec);
  std::snprintf(index, sizeof index, "%04d", f.index);

  std::string p = strip_extension(pattern.empty() ? std::string("{task_id}") : pattern);
  bool has_uid = false, has_index = false, has_part = false;
  std::string out;
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (p[i] != '{') {
      out += p[i];
      continue;
    }
    std::size_t end = p.find('}', i);
    if (end == std::string::npos) {
      out += p.substr(i);
      break;
    }
    std::string name = p.substr(i + 1, end - i - 1);
    i = end;
    if (name == "task_id") out += safe_name_component(f.task_id);
    else if (name == "channel") out += safe_name_component(f.channel);
    else if (name == "uid") out += safe_name_component(f.uid), has_uid = true;
    else if (name == "date") out += date;
    else if (name == "time") out += tod;
    else if (name == "index") out += index, has_index = true;
    else if (name == "part") out += std::to_string(f.part), has_part = true;
  }
  if (needs.uid && !has_uid) out += "_" + safe_name_component(f.uid);
  if (f.part > 1 && !has_part) out += "_part" + std::to_string(f.part);
  if (needs.index && !has_index) out += std::string("_") + index;
  out = safe_name_component(out);
  if (out.empty() || out[0] == '.') out = "_" + out;
  return out;
}

}  // namespace rtcegress
