// The task fields the Agora source reads, checked once up front so that a bad value names its field.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace rtcegress::agora {

struct Config {
  std::string sdk_dir;     // agora.sdk_dir, else $AGORA_SDK_DIR
  std::string app_id;      // agora.app_id, else app_id, else $AGORA_APP_ID
  std::string channel;     // channel
  std::string token;       // access_token (may be empty for app ids without a certificate)
  std::string worker_uid;  // workerUid, as the decimal string the SDK expects ("0" = let Agora assign one)
  bool string_uids = false;          // workerUid is not a number: join with string user accounts
  std::vector<std::string> users;    // users; empty = everyone in the channel
  int audio_channels = 1;            // per-user PCM asked from the SDK (the pipeline mixes and resamples)
  int audio_sample_rate = 48000;
  bool audience = true;              // agora.role: "audience" (default, invisible) or "broadcaster"
  double join_timeout_s = 20.0;      // agora.join_timeout_s: no connection by then = fatal
  double reconnect_timeout_s = 30.0; // agora.reconnect_timeout_s: connection lost for longer = fatal
  std::string log_file;              // agora.log_file: the SDK's own log (default: the SDK's choice)
};

// Reads the fields; on a wrong type or value returns false with a reason naming the field.
// Missing join fields are not an error here (see check_join_fields) so that a missing SDK is reported first.
bool parse_config(const nlohmann::json& task, Config& out, std::string& error);

// The fields without which joining is pointless: app id and channel.
bool check_join_fields(const Config& config, std::string& error);

}  // namespace rtcegress::agora
