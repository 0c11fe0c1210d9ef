// The Agora Linux server SDK as a media source, loaded at run time with dlopen (no SDK at build time).
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "sources/source.h"

namespace rtcegress {

// task: the whole task config (channel, access_token, workerUid, users, app_id, agora.sdk_dir, source, ...).
// Never returns nullptr for a well-formed config: a missing SDK is reported by start() returning false with
// "Agora SDK not found: set AGORA_SDK_DIR" so that the task finishes failed with that reason.
std::unique_ptr<Source> make_agora_source(const nlohmann::json& task, std::string& error);

}  // namespace rtcegress
