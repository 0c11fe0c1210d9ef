// Human-readable reasons for the SDK's numeric connection, error and user-left codes.
#pragma once

#include <string>

namespace rtcegress::agora {

// Why the connection failed or was closed by the other side (CONNECTION_CHANGED_REASON_TYPE).
std::string connection_failure_reason(int reason);

// Whether the SDK's on_error code means the recording cannot go on, and its message.
bool is_fatal_error_code(int code);
std::string error_code_reason(int code, const char* sdk_message);

// user_left's reason text for USER_OFFLINE_REASON_TYPE.
std::string user_left_reason(int reason);

}  // namespace rtcegress::agora
