// The part of the Agora Linux server SDK's C API that the recorder uses, written down from its published
// signatures (the SDK itself is loaded at run time, never at build time).
//
// Layout notes: the SDK reads our config structs and observer tables, so they follow its field order exactly.
// Observer tables end with a block of null slots: newer SDK versions append callbacks, and the SDK calls only
// the slots that are non-null, so spare null slots keep a newer SDK from reading past our table.
// Of the frame structs the SDK hands us we read only the leading fields, which have not moved between versions.
#pragma once

#include <cstddef>
#include <cstdint>

namespace rtcegress::agora {

using Handle = void*;
using UserId = const char*;
using Unused = void (*)();

// --- enums (values as published in AgoraBase.h) -----------------------------------------------------------------
enum ChannelProfile : int { kChannelProfileLiveBroadcasting = 1 };
enum ClientRole : int { kRoleBroadcaster = 1, kRoleAudience = 2 };

enum ConnectionChangedReason : int {
  kReasonConnecting = 0,
  kReasonJoinSuccess = 1,
  kReasonInterrupted = 2,
  kReasonBannedByServer = 3,
  kReasonJoinFailed = 4,
  kReasonLeaveChannel = 5,
  kReasonInvalidAppId = 6,
  kReasonInvalidChannelName = 7,
  kReasonInvalidToken = 8,
  kReasonTokenExpired = 9,
  kReasonRejectedByServer = 10,
  kReasonSettingProxyServer = 11,
  kReasonRenewToken = 12,
  kReasonClientIpChanged = 13,
  kReasonKeepAliveTimeout = 14,
  kReasonRejoinSuccess = 15,
  kReasonLost = 16,
  kReasonEchoTest = 17,
  kReasonClientIpChangedByUser = 18,
  kReasonSameUidLogin = 19,
  kReasonTooManyBroadcasters = 20,
  kReasonLicenseValidationFailure = 21,
};

enum ErrorCode : int {
  kErrInvalidAppId = 101,
  kErrInvalidChannelName = 102,
  kErrTokenExpired = 109,
  kErrInvalidToken = 110,
  kErrBannedByServer = 123,
};

enum UserOfflineReason : int { kOfflineQuit = 0, kOfflineDropped = 1, kOfflineBecomeAudience = 2 };

enum RemoteStreamState : int { kStreamStopped = 0, kStreamStarting = 1, kStreamDecoding = 2, kStreamFrozen = 3 };
enum RemoteStreamReason : int { kStreamReasonRemoteMuted = 5, kStreamReasonRemoteUnmuted = 6 };

enum UserMediaInfo : int { kMediaInfoMuteAudio = 0, kMediaInfoMuteVideo = 1 };

enum VideoPixelFormat : int { kPixelI420 = 1 };
enum AudioFramePosition : int { kAudioPositionBeforeMixing = 0x0008 };

// --- structs passed to the SDK ----------------------------------------------------------------------------------
struct ServiceConfig {
  int enable_audio_processor;
  int enable_audio_device;
  int enable_video;
  void* context;
  const char* app_id;
  unsigned int area_code;
  int channel_profile;
  int audio_scenario;
  int use_string_uid;
  int domain_limit;
  int log_level;
  const char* log_file_path;
  uint32_t log_file_size_kb;
  const char* data_dir;
  const char* config_dir;
};

struct AudioSubscriptionOptions {
  int packet_only;
  int pcm_data_only;
  uint32_t bytes_per_sample;
  uint32_t number_of_channels;
  uint32_t sample_rate_hz;
};

struct RtcConnConfig {
  int auto_subscribe_audio;
  int auto_subscribe_video;
  int enable_audio_recording_or_playout;
  int max_send_bitrate;
  int min_port;
  int max_port;
  AudioSubscriptionOptions audio_subs_options;
  int client_role_type;
  int channel_profile;
  int audio_recv_media_packet;
  int audio_recv_encoded_frame;
  int video_recv_media_packet;
};

struct VideoSubscriptionOptions {
  int type;  // 0 = high quality stream
  uint8_t encoded_frame_only;
};

// --- structs the SDK passes to us -------------------------------------------------------------------------------
struct RtcConnInfo {
  uint64_t id;
  const char* channel_id;
  int state;
  const char* local_user_id;
  unsigned int internal_uid;
};

struct VideoFrame {
  int type;  // VideoPixelFormat
  int width;
  int height;
  int y_stride;
  int u_stride;
  int v_stride;
  uint8_t* y_buffer;
  uint8_t* u_buffer;
  uint8_t* v_buffer;
  int rotation;  // clockwise degrees to apply for display: 0, 90, 180, 270
  int64_t render_time_ms;
  int avsync_type;
  // (more fields follow in the SDK; not read)
};

struct AudioFrame {
  int type;  // 0 = 16-bit PCM
  int samples_per_channel;
  int bytes_per_sample;
  int channels;
  int samples_per_sec;
  void* buffer;  // interleaved
  int64_t render_time_ms;
  int avsync_type;
  // (more fields follow in the SDK; not read)
};

struct AudioParams {
  int sample_rate;
  int channels;
  int mode;
  int samples_per_call;
};

// --- observer tables (arrays of callbacks; order is the ABI) ----------------------------------------------------
inline constexpr int kSpareSlots = 32;

struct RtcConnObserver {
  void (*on_connected)(Handle conn, const RtcConnInfo* info, int reason);
  void (*on_disconnected)(Handle conn, const RtcConnInfo* info, int reason);
  void (*on_connecting)(Handle conn, const RtcConnInfo* info, int reason);
  void (*on_reconnecting)(Handle conn, const RtcConnInfo* info, int reason);
  void (*on_reconnected)(Handle conn, const RtcConnInfo* info, int reason);
  void (*on_connection_lost)(Handle conn, const RtcConnInfo* info);
  Unused on_lastmile_quality;
  Unused on_lastmile_probe_result;
  void (*on_token_privilege_will_expire)(Handle conn, const char* token);
  void (*on_token_privilege_did_expire)(Handle conn);
  void (*on_connection_license_validation_failure)(Handle conn, int reason);
  void (*on_connection_failure)(Handle conn, const RtcConnInfo* info, int reason);
  void (*on_user_joined)(Handle conn, UserId user_id);
  void (*on_user_left)(Handle conn, UserId user_id, int reason);
  Unused on_transport_stats;
  Unused on_change_role_success;
  Unused on_change_role_failure;
  Unused on_user_network_quality;
  Unused on_network_type_changed;
  Unused on_api_call_executed;
  Unused on_content_inspect_result;
  Unused on_snapshot_taken;
  void (*on_error)(Handle conn, int error, const char* msg);
  Unused on_warning;
  Unused on_channel_media_relay_state_changed;
  Unused on_local_user_registered;
  Unused on_user_account_updated;
  Unused on_stream_message_error;
  Unused on_encryption_error;
  Unused on_upload_log_result;
  Unused spare[kSpareSlots];
};

struct LocalUserObserver {
  Unused on_audio_track_publish_success;
  Unused on_audio_track_publish_start;
  Unused on_audio_track_unpublished;
  Unused on_audio_track_publication_failure;
  Unused on_local_audio_track_state_changed;
  Unused on_local_audio_track_statistics;
  Unused on_remote_audio_track_statistics;
  Unused on_user_audio_track_subscribed;
  void (*on_user_audio_track_state_changed)(Handle local_user, UserId user_id, Handle track, int state, int reason,
                                            int elapsed);
  Unused on_audio_subscribe_state_changed;
  Unused on_audio_publish_state_changed;
  Unused on_first_remote_audio_frame;
  Unused on_first_remote_audio_decoded;
  Unused on_video_track_publish_success;
  Unused on_video_track_publish_start;
  Unused on_video_track_unpublished;
  Unused on_video_track_publication_failure;
  Unused on_local_video_track_state_changed;
  Unused on_local_video_track_statistics;
  Unused on_user_video_track_subscribed;
  void (*on_user_video_track_state_changed)(Handle local_user, UserId user_id, Handle track, int state, int reason,
                                            int elapsed);
  Unused on_remote_video_track_statistics;
  Unused on_audio_volume_indication;
  Unused on_active_speaker;
  Unused on_remote_video_stream_info_updated;
  Unused on_video_subscribe_state_changed;
  Unused on_video_publish_state_changed;
  Unused on_first_remote_video_frame;
  Unused on_first_remote_video_decoded;
  Unused on_first_remote_video_frame_rendered;
  Unused on_video_size_changed;
  void (*on_user_info_updated)(Handle local_user, UserId user_id, int msg, int val);
  Unused on_intra_request_received;
  Unused on_remote_subscribe_fallback_to_audio_only;
  Unused on_stream_message;
  Unused on_user_state_changed;
  Unused on_audio_meta_data_received;
  Unused spare[kSpareSlots];
};

// Return values of the audio callbacks stand for a C++ bool: 1 = handled.
struct AudioFrameObserver {
  int (*on_record_audio_frame)(Handle local_user, const char* channel_id, const AudioFrame* frame);
  int (*on_playback_audio_frame)(Handle local_user, const char* channel_id, const AudioFrame* frame);
  int (*on_mixed_audio_frame)(Handle local_user, const char* channel_id, const AudioFrame* frame);
  int (*on_ear_monitoring_audio_frame)(Handle local_user, const AudioFrame* frame);
  int (*on_playback_audio_frame_before_mixing)(Handle local_user, const char* channel_id, UserId user_id,
                                               const AudioFrame* frame);
  int (*on_get_audio_frame_position)(Handle local_user);
  AudioParams (*on_get_playback_audio_frame_param)(Handle local_user);
  AudioParams (*on_get_record_audio_frame_param)(Handle local_user);
  AudioParams (*on_get_mixed_audio_frame_param)(Handle local_user);
  AudioParams (*on_get_ear_monitoring_audio_frame_param)(Handle local_user);
  Unused spare[kSpareSlots];
};

struct VideoFrameObserver2 {
  int (*on_frame)(Handle observer, const char* channel_id, UserId remote_uid, const VideoFrame* frame);
  Unused spare[kSpareSlots];
};

// --- the functions, as resolved from the shared library ---------------------------------------------------------
struct Api {
  Handle (*service_create)();
  int (*service_initialize)(Handle service, const ServiceConfig* config);
  int (*service_release)(Handle service);

  Handle (*conn_create)(Handle service, const RtcConnConfig* config);
  void (*conn_destroy)(Handle conn);
  int (*conn_connect)(Handle conn, const char* token, const char* channel_id, const char* user_id);
  int (*conn_disconnect)(Handle conn);
  int (*conn_register_observer)(Handle conn, RtcConnObserver* observer);
  int (*conn_unregister_observer)(Handle conn);
  Handle (*conn_get_local_user)(Handle conn);

  int (*local_user_register_observer)(Handle local_user, LocalUserObserver* observer);
  int (*local_user_unregister_observer)(Handle local_user);
  int (*local_user_subscribe_audio)(Handle local_user, UserId user_id);
  int (*local_user_subscribe_video)(Handle local_user, UserId user_id, const VideoSubscriptionOptions* options);
  int (*local_user_set_playback_audio_frame_before_mixing_parameters)(Handle local_user, int channels,
                                                                       int sample_rate_hz);
  int (*local_user_register_audio_frame_observer)(Handle local_user, AudioFrameObserver* observer);
  int (*local_user_unregister_audio_frame_observer)(Handle local_user);
  int (*local_user_register_video_frame_observer)(Handle local_user, Handle video_observer);
  int (*local_user_unregister_video_frame_observer)(Handle local_user, Handle video_observer);

  Handle (*video_frame_observer2_create)(VideoFrameObserver2* observer);
  int (*video_frame_observer2_destroy)(Handle video_observer);
};

}  // namespace rtcegress::agora
