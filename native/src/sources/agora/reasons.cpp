#include "sources/agora/reasons.h"

#include "sources/agora/sdk_api.h"

namespace rtcegress::agora {

std::string connection_failure_reason(int reason) {
  switch (reason) {
    case kReasonBannedByServer:
      return "Agora removed the recorder from the channel (kicked or banned by the server)";
    case kReasonJoinFailed:
      return "Agora join failed: could not join the channel for too long";
    case kReasonInvalidAppId:
      return "Agora rejected the app id (invalid app_id)";
    case kReasonInvalidChannelName:
      return "Agora rejected the channel name (invalid channel)";
    case kReasonInvalidToken:
      return "Agora rejected the access_token (invalid token, or issued for another channel or workerUid)";
    case kReasonTokenExpired:
      return "Agora access_token expired";
    case kReasonRejectedByServer:
      return "Agora server rejected the connection";
    case kReasonSameUidLogin:
      return "another client joined the channel with the same workerUid";
    case kReasonTooManyBroadcasters:
      return "Agora refused the join: too many broadcasters in the channel";
    case kReasonLicenseValidationFailure:
      return "Agora license validation failed";
    default:
      return "Agora connection failed (reason code " + std::to_string(reason) + ")";
  }
}

bool is_fatal_error_code(int code) {
  return code == kErrInvalidAppId || code == kErrInvalidChannelName || code == kErrTokenExpired ||
         code == kErrInvalidToken || code == kErrBannedByServer;
}

std::string error_code_reason(int code, const char* sdk_message) {
  std::string text;
  switch (code) {
    case kErrInvalidAppId:
      text = connection_failure_reason(kReasonInvalidAppId);
      break;
    case kErrInvalidChannelName:
      text = connection_failure_reason(kReasonInvalidChannelName);
      break;
    case kErrTokenExpired:
      text = connection_failure_reason(kReasonTokenExpired);
      break;
    case kErrInvalidToken:
      text = connection_failure_reason(kReasonInvalidToken);
      break;
    case kErrBannedByServer:
      text = connection_failure_reason(kReasonBannedByServer);
      break;
    default:
      text = "Agora SDK error " + std::to_string(code);
      break;
  }
  if (sdk_message != nullptr && *sdk_message != '\0') text += std::string(" (") + sdk_message + ")";
  return text;
}

std::string user_left_reason(int reason) {
  switch (reason) {
    case kOfflineQuit:
      return "quit";
    case kOfflineDropped:
      return "dropped";
    case kOfflineBecomeAudience:
      return "became_audience";
    default:
      return "left";
  }
}

}  // namespace rtcegress::agora
