// The Agora source: loads the SDK at start(), joins the channel as workerUid (audience by default), subscribes to
// the listed users (or everyone), and hands each user's I420 video and 16-bit PCM to the sink through a Session.
#include "sources/agora_source.h"

#include <mutex>
#include <utility>

#include "control/events.h"
#include "sources/agora/callbacks.h"
#include "sources/agora/config.h"
#include "sources/agora/sdk_library.h"
#include "sources/agora/session.h"

namespace rtcegress {
namespace {

using agora::Handle;

constexpr unsigned int kAreaGlobal = 0xFFFFFFFFU;

class AgoraSource final : public Source {
 public:
  explicit AgoraSource(agora::Config config) : config_(std::move(config)) {}
  ~AgoraSource() override { stop(); }
  AgoraSource(const AgoraSource&) = delete;
  AgoraSource& operator=(const AgoraSource&) = delete;

  bool start(SourceSink& sink, std::string& error) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (started_) {
      error = "Agora source already started";
      return false;
    }
    started_ = true;
    sdk_ = agora::SdkLibrary::load(config_.sdk_dir, error);
    if (!sdk_ || !agora::check_join_fields(config_, error)) return false;
    log_info("agora sdk loaded", {{"path", sdk_->path()}});
    if (!join(sink, error)) {
      teardown();
      return false;
    }
    return true;
  }

  void stop() override {
    std::lock_guard<std::mutex> lock(mu_);
    if (session_) session_->close();  // from here on nothing reaches the sink
    teardown();
  }

 private:
  bool join(SourceSink& sink, std::string& error) {
    const agora::Api& api = sdk_->api();

    service_ = api.service_create();
    if (service_ == nullptr) {
      error = "Agora SDK could not create its service (" + sdk_->path() + ")";
      return false;
    }
    agora::ServiceConfig service_config{};
    service_config.enable_audio_processor = 1;
    service_config.enable_audio_device = 0;
    service_config.enable_video = 1;
    service_config.app_id = config_.app_id.c_str();
    service_config.area_code = kAreaGlobal;
    service_config.channel_profile = agora::kChannelProfileLiveBroadcasting;
    service_config.use_string_uid = config_.string_uids ? 1 : 0;
    service_config.log_file_path = config_.log_file.empty() ? nullptr : config_.log_file.c_str();
    int rc = api.service_initialize(service_, &service_config);
    if (rc != 0) {
      error = "Agora SDK initialization failed (error " + std::to_string(rc) + "): check the app id";
      return false;
    }

    agora::RtcConnConfig conn_config{};
    conn_config.auto_subscribe_audio = config_.users.empty() ? 1 : 0;
    conn_config.auto_subscribe_video = config_.users.empty() ? 1 : 0;
    conn_config.client_role_type = config_.audience ? agora::kRoleAudience : agora::kRoleBroadcaster;
    conn_config.channel_profile = agora::kChannelProfileLiveBroadcasting;
    conn_ = api.conn_create(service_, &conn_config);
    if (conn_ == nullptr) {
      error = "Agora SDK could not create a connection";
      return false;
    }
    local_user_ = api.conn_get_local_user(conn_);
    video_observer_ = api.video_frame_observer2_create(&tables_.video);
    if (local_user_ == nullptr || video_observer_ == nullptr) {
      error = "Agora SDK could not create the local user or the video observer";
      return false;
    }

    const Handle local_user = local_user_;
    session_ = std::make_shared<agora::Session>(config_, sink, [&api, local_user](const std::string& uid) {
      agora::VideoSubscriptionOptions options{};  // high-quality stream, decoded frames
      api.local_user_subscribe_audio(local_user, uid.c_str());
      api.local_user_subscribe_video(local_user, uid.c_str(), &options);
    });
    agora::register_session(session_, {conn_, local_user_, video_observer_});

    if ((rc = api.conn_register_observer(conn_, &tables_.conn)) < 0) return refused("connection observer", rc, error);
    conn_observer_ = true;
    if ((rc = api.local_user_register_observer(local_user_, &tables_.local_user)) < 0) {
      return refused("local user observer", rc, error);
    }
    user_observer_ = true;
    rc = api.local_user_set_playback_audio_frame_before_mixing_parameters(local_user_, config_.audio_channels,
                                                                          config_.audio_sample_rate);
    if (rc < 0) return refused("per-user audio format", rc, error);
    if ((rc = api.local_user_register_audio_frame_observer(local_user_, &tables_.audio)) < 0) {
      return refused("audio frame observer", rc, error);
    }
    audio_observer_ = true;
    if ((rc = api.local_user_register_video_frame_observer(local_user_, video_observer_)) < 0) {
      return refused("video frame observer", rc, error);
    }
    video_observer_registered_ = true;

    log_info("joining agora channel", {{"channel", config_.channel},
                                       {"worker_uid", config_.worker_uid},
                                       {"users", config_.users},
                                       {"role", config_.audience ? "audience" : "broadcaster"}});
    rc = api.conn_connect(conn_, config_.token.c_str(), config_.channel.c_str(), config_.worker_uid.c_str());
    if (rc != 0) {
      error = "Agora connect to channel " + config_.channel + " failed (error " + std::to_string(rc) + ")";
      return false;
    }
    connect_called_ = true;
    session_->started();
    return true;
  }

  static bool refused(const char* what, int rc, std::string& error) {
    error = std::string("Agora SDK refused the ") + what + " (error " + std::to_string(rc) + ")";
    return false;
  }

  // Releases the SDK objects in reverse order of creation. Safe on a partly built session; idempotent.
  void teardown() {
    if (session_) session_->close();
    if (sdk_) {
      const agora::Api& api = sdk_->api();
      if (audio_observer_) api.local_user_unregister_audio_frame_observer(local_user_);
      if (video_observer_registered_) api.local_user_unregister_video_frame_observer(local_user_, video_observer_);
      if (user_observer_) api.local_user_unregister_observer(local_user_);
      if (connect_called_) api.conn_disconnect(conn_);
      if (conn_observer_) api.conn_unregister_observer(conn_);
      if (video_observer_ != nullptr) api.video_frame_observer2_destroy(video_observer_);
      if (conn_ != nullptr) api.conn_destroy(conn_);
      if (service_ != nullptr) api.service_release(service_);
    }
    audio_observer_ = video_observer_registered_ = user_observer_ = conn_observer_ = false;
    connect_called_ = false;
    video_observer_ = conn_ = local_user_ = service_ = nullptr;
    if (session_) {
      agora::unregister_session(session_.get());
      session_.reset();
    }
  }

  const agora::Config config_;
  std::mutex mu_;
  bool started_ = false;
  std::unique_ptr<agora::SdkLibrary> sdk_;
  std::shared_ptr<agora::Session> session_;

  // The SDK keeps pointers to these tables while they are registered.
  agora::ObserverTables tables_ = agora::make_observer_tables();

  Handle service_ = nullptr;
  Handle conn_ = nullptr;
  Handle local_user_ = nullptr;
  Handle video_observer_ = nullptr;
  bool conn_observer_ = false;
  bool user_observer_ = false;
  bool audio_observer_ = false;
  bool video_observer_registered_ = false;
  bool connect_called_ = false;
};

}  // namespace

std::unique_ptr<Source> make_agora_source(const nlohmann::json& task, std::string& error) {
  agora::Config config;
  if (!agora::parse_config(task, config, error)) return nullptr;
  return std::make_unique<AgoraSource>(std::move(config));
}

}  // namespace rtcegress
