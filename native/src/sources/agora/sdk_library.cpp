#include "sources/agora/sdk_library.h"

#include <dlfcn.h>
#include <sys/stat.h>

#include <cstring>

namespace rtcegress::agora {
namespace {

// The SDK starts threads that may outlive a careless shutdown; never unmapping its code keeps such a thread from
// jumping into freed memory. The handle is still closed (and counted) normally.
constexpr int kSdkFlags = RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE;
// Libraries the SDK links against by bare name; loaded first from the SDK's own directory so that no
// LD_LIBRARY_PATH is needed.
constexpr const char* kDependencies[] = {"libaosl.so"};

bool is_regular_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string join_path(const std::string& dir, const std::string& name) {
  if (dir.empty() || dir.back() == '/') return dir + name;
  return dir + "/" + name;
}

std::string parent_dir(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
}

template <typename Fn>
bool bind(const SharedLibrary& lib, const char* name, Fn& out, std::string& missing) {
  static_assert(sizeof(Fn) == sizeof(void*), "function pointers must fit a data pointer");
  void* sym = lib.symbol(name);
  if (sym == nullptr) {
    missing = name;
    return false;
  }
  std::memcpy(&out, &sym, sizeof out);  // dlsym's object pointer to a function pointer, without a pedantic cast
  return true;
}

}  // namespace

std::unique_ptr<SharedLibrary> SharedLibrary::open(const std::string& path, int flags, std::string& error) {
  ::dlerror();
  void* handle = ::dlopen(path.c_str(), flags);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    error = why != nullptr ? why : "unknown dlopen error";
    return nullptr;
  }
  return std::make_unique<SharedLibrary>(Key{}, handle, path);
}

SharedLibrary::~SharedLibrary() { ::dlclose(handle_); }

void* SharedLibrary::symbol(const char* name) const {
  ::dlerror();
  return ::dlsym(handle_, name);
}

std::string find_sdk_library(const std::string& sdk_dir, std::string& error) {
  if (sdk_dir.empty()) {
    error = kSdkMissing;
    return {};
  }
  for (const char* sub : {"", "lib", "agora_sdk"}) {
    const std::string dir = *sub != '\0' ? join_path(sdk_dir, sub) : sdk_dir;
    const std::string candidate = join_path(dir, kSdkLibraryName);
    if (is_regular_file(candidate)) return candidate;
  }
  error = std::string("Agora SDK not found: no ") + kSdkLibraryName + " in " + sdk_dir + " or its lib/ or " +
          "agora_sdk/ subdirectory (set AGORA_SDK_DIR to the SDK's directory)";
  return {};
}

std::unique_ptr<SdkLibrary> SdkLibrary::load(const std::string& sdk_dir, std::string& error) {
  const std::string path = find_sdk_library(sdk_dir, error);
  if (path.empty()) return nullptr;

  auto sdk = std::make_unique<SdkLibrary>(Key{});
  const std::string dir = parent_dir(path);
  for (const char* name : kDependencies) {
    const std::string dep = join_path(dir, name);
    if (!is_regular_file(dep)) continue;
    std::string why;
    auto lib = SharedLibrary::open(dep, RTLD_NOW | RTLD_GLOBAL | RTLD_NODELETE, why);
    if (!lib) {
      error = "Agora SDK could not be loaded: " + dep + ": " + why;
      return nullptr;
    }
    sdk->dependencies_.push_back(std::move(lib));
  }
  std::string why;
  sdk->library_ = SharedLibrary::open(path, kSdkFlags, why);
  if (!sdk->library_) {
    error = "Agora SDK could not be loaded from " + path + ": " + why;
    return nullptr;
  }
  if (!sdk->resolve(error)) return nullptr;
  return sdk;
}

bool SdkLibrary::resolve(std::string& error) {
  const SharedLibrary& lib = *library_;
  Api& a = api_;
  std::string missing;
  const bool ok =
      bind(lib, "agora_service_create", a.service_create, missing) &&
      bind(lib, "agora_service_initialize", a.service_initialize, missing) &&
      bind(lib, "agora_service_release", a.service_release, missing) &&
      bind(lib, "agora_rtc_conn_create", a.conn_create, missing) &&
      bind(lib, "agora_rtc_conn_destroy", a.conn_destroy, missing) &&
      bind(lib, "agora_rtc_conn_connect", a.conn_connect, missing) &&
      bind(lib, "agora_rtc_conn_disconnect", a.conn_disconnect, missing) &&
      bind(lib, "agora_rtc_conn_register_observer", a.conn_register_observer, missing) &&
      bind(lib, "agora_rtc_conn_unregister_observer", a.conn_unregister_observer, missing) &&
      bind(lib, "agora_rtc_conn_get_local_user", a.conn_get_local_user, missing) &&
      bind(lib, "agora_local_user_register_observer", a.local_user_register_observer, missing) &&
      bind(lib, "agora_local_user_unregister_observer", a.local_user_unregister_observer, missing) &&
      bind(lib, "agora_local_user_subscribe_audio", a.local_user_subscribe_audio, missing) &&
      bind(lib, "agora_local_user_subscribe_video", a.local_user_subscribe_video, missing) &&
      bind(lib, "agora_local_user_set_playback_audio_frame_before_mixing_parameters",
           a.local_user_set_playback_audio_frame_before_mixing_parameters, missing) &&
      bind(lib, "agora_local_user_register_audio_frame_observer", a.local_user_register_audio_frame_observer,
           missing) &&
      bind(lib, "agora_local_user_unregister_audio_frame_observer", a.local_user_unregister_audio_frame_observer,
           missing) &&
      bind(lib, "agora_local_user_register_video_frame_observer", a.local_user_register_video_frame_observer,
           missing) &&
      bind(lib, "agora_local_user_unregister_video_frame_observer", a.local_user_unregister_video_frame_observer,
           missing) &&
      bind(lib, "agora_video_frame_observer2_create", a.video_frame_observer2_create, missing) &&
      bind(lib, "agora_video_frame_observer2_destroy", a.video_frame_observer2_destroy, missing);
  if (!ok) {
    error = "Agora SDK at " + library_->path() + " is not usable: it has no function " + missing +
            " (an SDK version without the C API?)";
  }
  return ok;
}

}  // namespace rtcegress::agora
