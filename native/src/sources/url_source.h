// Each user is an input FFmpeg can open (file, RTMP, RTSP, SRT, HLS, ...), decoded and delivered in real time
// (paced by its timestamps). An input that ends or breaks is that user leaving, not the task failing.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "sources/source.h"

namespace rtcegress {

std::unique_ptr<Source> make_url_source(const nlohmann::json& task, std::string& error);

// The URL as it may appear in logs: local paths in full, network URLs only as scheme://host (keys and tokens
// often live in the path or query).
std::string redact_url(const std::string& url);

}  // namespace rtcegress
