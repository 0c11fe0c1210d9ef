// Finding and loading the Agora SDK's shared library at run time, with RAII dlopen handles.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sources/agora/sdk_api.h"

namespace rtcegress::agora {

inline constexpr const char* kSdkLibraryName = "libagora_rtc_sdk.so";
inline constexpr const char* kSdkMissing = "Agora SDK not found: set AGORA_SDK_DIR";

// One dlopen handle; dlclose on destruction.
class SharedLibrary {
  struct Key {
    explicit Key() = default;
  };

 public:
  // Returns nullptr with error (dlerror's text) when the library cannot be loaded.
  static std::unique_ptr<SharedLibrary> open(const std::string& path, int flags, std::string& error);
  ~SharedLibrary();
  SharedLibrary(const SharedLibrary&) = delete;
  SharedLibrary& operator=(const SharedLibrary&) = delete;

  SharedLibrary(Key /*only open() constructs*/, void* handle, std::string path)
      : handle_(handle), path_(std::move(path)) {}

  void* symbol(const char* name) const;
  const std::string& path() const { return path_; }

 private:
  void* handle_;
  std::string path_;
};

// The SDK library inside sdk_dir: sdk_dir itself, then its lib/ and agora_sdk/ subdirectories (the layout of
// Agora's download). Empty with error when there is none.
std::string find_sdk_library(const std::string& sdk_dir, std::string& error);

// The loaded SDK and its resolved C functions.
class SdkLibrary {
  struct Key {
    explicit Key() = default;
  };

 public:
  // Loads the SDK from sdk_dir (empty = not configured). Returns nullptr with a reason a user can act on:
  // kSdkMissing, the directories searched, the loader's error, or the first missing function.
  static std::unique_ptr<SdkLibrary> load(const std::string& sdk_dir, std::string& error);

  explicit SdkLibrary(Key /*only load() constructs*/) {}

  const Api& api() const { return api_; }
  const std::string& path() const { return library_->path(); }

 private:
  bool resolve(std::string& error);

  std::vector<std::unique_ptr<SharedLibrary>> dependencies_;  // declared first: closed after the SDK
  std::unique_ptr<SharedLibrary> library_;
  Api api_{};
};

}  // namespace rtcegress::agora
