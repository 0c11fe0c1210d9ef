#include "sources/agora/config.h"

#include <cmath>
#include <cstdlib>

namespace rtcegress::agora {
namespace {

using nlohmann::json;

constexpr unsigned long long kMaxUid = 4294967295ULL;  // Agora uids are 32-bit unsigned

std::string env_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? std::string(value) : std::string();
}

bool read_string(const json& obj, const char* key, const std::string& field, std::string& out, std::string& error) {
  const auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return true;
  if (!it->is_string()) {
    error = field + " must be a string";
    return false;
  }
  out = it->get<std::string>();
  return true;
}

bool read_seconds(const json& obj, const char* key, const std::string& field, double& out, std::string& error) {
  const auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return true;
  if (!it->is_number() || !std::isfinite(it->get<double>()) || it->get<double>() <= 0) {
    error = field + " must be a positive number of seconds";
    return false;
  }
  out = it->get<double>();
  return true;
}

// A user id as the SDK sees it: a decimal string for numeric ids, the string itself otherwise.
bool user_id_text(const json& value, std::string& out) {
  if (value.is_number_unsigned()) {
    if (value.get<unsigned long long>() > kMaxUid) return false;
    out = value.dump();
    return true;
  }
  if (value.is_number_integer()) {
    const long long v = value.get<long long>();
    if (v < 0 || static_cast<unsigned long long>(v) > kMaxUid) return false;
    out = value.dump();
    return true;
  }
  if (value.is_number_float()) {
    const double d = value.get<double>();
    if (!std::isfinite(d) || d < 0 || d != std::floor(d) || d > static_cast<double>(kMaxUid)) return false;
    out = std::to_string(static_cast<unsigned long long>(d));
    return true;
  }
  if (value.is_string() && !value.get<std::string>().empty()) {
    out = value.get<std::string>();
    return true;
  }
  return false;
}

bool is_decimal(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool read_users(const json& task, Config& out, std::string& error) {
  const auto it = task.find("users");
  if (it == task.end() || it->is_null()) return true;
  if (it->is_string()) {  // upstream clients may send one user as a bare string
    if (!it->get<std::string>().empty()) out.users.push_back(it->get<std::string>());
    return true;
  }
  if (!it->is_array()) {
    error = "users must be a list of user ids";
    return false;
  }
  for (std::size_t i = 0; i < it->size(); ++i) {
    std::string uid;
    if (!user_id_text((*it)[i], uid)) {
      error = "users[" + std::to_string(i) + "] must be a non-empty string or a non-negative integer";
      return false;
    }
    out.users.push_back(uid);
  }
  return true;
}

bool read_audio(const json& task, Config& out, std::string& error) {
  const auto it = task.find("audio");
  if (it == task.end() || it->is_null()) return true;
  if (!it->is_object()) {
    error = "audio must be an object";
    return false;
  }
  const auto channels = it->find("channels");
  if (channels != it->end() && !channels->is_null()) {
    if (!channels->is_number_integer() || channels->get<int>() < 1) {
      error = "audio.channels must be a positive integer";
      return false;
    }
    out.audio_channels = channels->get<int>() >= 2 ? 2 : 1;
  }
  return true;
}

bool read_agora_object(const json& agora, Config& out, std::string& error) {
  if (!read_string(agora, "sdk_dir", "agora.sdk_dir", out.sdk_dir, error)) return false;
  if (!read_string(agora, "app_id", "agora.app_id", out.app_id, error)) return false;
  if (!read_string(agora, "log_file", "agora.log_file", out.log_file, error)) return false;
  if (!read_seconds(agora, "join_timeout_s", "agora.join_timeout_s", out.join_timeout_s, error)) return false;
  if (!read_seconds(agora, "reconnect_timeout_s", "agora.reconnect_timeout_s", out.reconnect_timeout_s, error)) {
    return false;
  }
  std::string role;
  if (!read_string(agora, "role", "agora.role", role, error)) return false;
  if (!role.empty()) {
    if (role != "audience" && role != "broadcaster") {
      error = "agora.role must be \"audience\" or \"broadcaster\"";
      return false;
    }
    out.audience = role == "audience";
  }
  return true;
}

}  // namespace

bool parse_config(const json& task, Config& out, std::string& error) {
  out = Config{};
  if (!task.is_object()) {
    error = "task must be a JSON object";
    return false;
  }
  const auto agora = task.find("agora");
  if (agora != task.end() && !agora->is_null()) {
    if (!agora->is_object()) {
      error = "agora must be an object";
      return false;
    }
    if (!read_agora_object(*agora, out, error)) return false;
  }
  if (out.sdk_dir.empty()) out.sdk_dir = env_or_empty("AGORA_SDK_DIR");
  if (out.app_id.empty() && !read_string(task, "app_id", "app_id", out.app_id, error)) return false;
  if (out.app_id.empty()) out.app_id = env_or_empty("AGORA_APP_ID");
  if (!read_string(task, "channel", "channel", out.channel, error)) return false;
  if (!read_string(task, "access_token", "access_token", out.token, error)) return false;

  out.worker_uid = "0";
  const auto uid = task.find("workerUid");
  if (uid != task.end() && !uid->is_null()) {
    if (!user_id_text(*uid, out.worker_uid)) {
      error = "workerUid must be a non-negative integer or a non-empty string";
      return false;
    }
  }
  if (!read_users(task, out, error) || !read_audio(task, out, error)) return false;
  // Agora channels use either numeric uids or string user accounts; any non-numeric id means accounts.
  out.string_uids = !is_decimal(out.worker_uid);
  for (const auto& user : out.users) out.string_uids = out.string_uids || !is_decimal(user);
  return true;
}

bool check_join_fields(const Config& config, std::string& error) {
  if (config.app_id.empty()) {
    error = "Agora app id missing: set app_id (or agora.app_id, or AGORA_APP_ID)";
    return false;
  }
  if (config.channel.empty()) {
    error = "channel is required for the agora source";
    return false;
  }
  return true;
}

}  // namespace rtcegress::agora
