// A deterministic source for demos and measurements: each user is a moving test pattern in its own colour with
// its uid drawn on it; every second of the source clock all users flash white and beep (a distinct pitch per
// user, around 1 kHz) at the same instant, so audio/video sync can be measured on the output. Joins, leaves,
// mutes and resolution changes follow a script.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "sources/source.h"

namespace rtcegress {

// Flash and beep: the first kPulseSeconds of every second of the source clock.
constexpr double kPulseSeconds = 0.1;

std::unique_ptr<Source> make_synthetic_source(const nlohmann::json& task, std::string& error);

}  // namespace rtcegress
