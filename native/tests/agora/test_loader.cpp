// Finding and loading the SDK, and reading the task: every failure gives a reason a user can act on.
#include <doctest/doctest.h>

#include <stdlib.h>  // mkdtemp, setenv, unsetenv
#include <sys/stat.h>

#include <fstream>
#include <string>

#include "sources/agora/config.h"
#include "sources/agora/sdk_library.h"
#include "sources/agora_source.h"
#include "support.h"

using nlohmann::json;
using rtcegress::make_agora_source;

namespace {

// Scoped environment variable (tests run on one thread).
class EnvVar {
 public:
  EnvVar(const char* name, const char* value) : name_(name) {
    const char* old = std::getenv(name);
    had_ = old != nullptr;
    if (had_) old_ = old;
    if (value != nullptr) {
      setenv(name, value, 1);
    } else {
      unsetenv(name);
    }
  }
  ~EnvVar() {
    if (had_) {
      setenv(name_.c_str(), old_.c_str(), 1);
    } else {
      unsetenv(name_.c_str());
    }
  }
  EnvVar(const EnvVar&) = delete;
  EnvVar& operator=(const EnvVar&) = delete;

 private:
  std::string name_;
  std::string old_;
  bool had_ = false;
};

std::string temp_dir() {
  std::string pattern = "/tmp/agora-test-XXXXXX";
  REQUIRE(mkdtemp(pattern.data()) != nullptr);
  return pattern;
}

// start() of a source built from task; returns the reason (empty on success, after stopping the source).
std::string start_error(const json& task) {
  std::string error;
  auto source = make_agora_source(task, error);
  REQUIRE_MESSAGE(source != nullptr, error);
  agora_test::RecordingSink sink;
  const bool ok = source->start(sink, error);
  source->stop();
  CHECK(sink.calls() == 0);  // a source that failed to start delivers nothing
  return ok ? std::string() : error;
}

}  // namespace

TEST_CASE("without an SDK, start() fails with exactly the documented reason") {
  EnvVar no_dir("AGORA_SDK_DIR", nullptr);
  json task = {{"app_id", "a"}, {"channel", "c"}, {"access_token", "t"}, {"workerUid", 1}};
  CHECK(start_error(task) == "Agora SDK not found: set AGORA_SDK_DIR");
  // An empty sdk_dir counts as not configured too.
  task["agora"] = {{"sdk_dir", ""}};
  CHECK(start_error(task) == "Agora SDK not found: set AGORA_SDK_DIR");
}

TEST_CASE("the SDK is missing before the task's other problems are reported") {
  EnvVar no_dir("AGORA_SDK_DIR", nullptr);
  EnvVar no_app("AGORA_APP_ID", nullptr);
  CHECK(start_error(json::object()) == "Agora SDK not found: set AGORA_SDK_DIR");
}

TEST_CASE("an SDK directory without the library names the directories searched") {
  const std::string dir = temp_dir();
  const std::string error = start_error(agora_test::fake_task("", {{"agora", {{"sdk_dir", dir}}}}));
  CHECK(error.rfind("Agora SDK not found: no libagora_rtc_sdk.so in " + dir, 0) == 0);
  CHECK(error.find("lib/") != std::string::npos);
}

TEST_CASE("a file that is not a shared library gives the loader's reason") {
  const std::string dir = temp_dir();
  std::ofstream(dir + "/libagora_rtc_sdk.so") << "not an ELF file";
  const std::string error = start_error(agora_test::fake_task("", {{"agora", {{"sdk_dir", dir}}}}));
  CHECK(error.rfind("Agora SDK could not be loaded from " + dir + "/libagora_rtc_sdk.so: ", 0) == 0);
}

TEST_CASE("a library without one of the C functions is refused, naming the function") {
  const std::string error =
      start_error(agora_test::fake_task("", {{"agora", {{"sdk_dir", INCOMPLETE_AGORA_SDK_DIR}}}}));
  CHECK(error.find("has no function agora_rtc_conn_connect") != std::string::npos);
  CHECK(error.find(INCOMPLETE_AGORA_SDK_DIR) != std::string::npos);
}

TEST_CASE("AGORA_SDK_DIR is used when the task names no directory, and the library is found in lib/") {
  EnvVar dir("AGORA_SDK_DIR", FAKE_AGORA_SDK_DIR);
  json task = agora_test::fake_task("users=7");
  task.erase("agora");
  CHECK(start_error(task).empty());
  std::string error;
  CHECK(rtcegress::agora::find_sdk_library(FAKE_AGORA_SDK_DIR, error) ==
        std::string(FAKE_AGORA_SDK_DIR) + "/lib/libagora_rtc_sdk.so");
}

TEST_CASE("the loader finds the library directly in the directory and in agora_sdk/") {
  std::string error;
  CHECK(rtcegress::agora::find_sdk_library(INCOMPLETE_AGORA_SDK_DIR, error) ==
        std::string(INCOMPLETE_AGORA_SDK_DIR) + "/libagora_rtc_sdk.so");
  const std::string dir = temp_dir();
  REQUIRE(mkdir((dir + "/agora_sdk").c_str(), 0700) == 0);
  std::ofstream(dir + "/agora_sdk/libagora_rtc_sdk.so") << "x";
  CHECK(rtcegress::agora::find_sdk_library(dir, error) == dir + "/agora_sdk/libagora_rtc_sdk.so");
}

TEST_CASE("missing join fields are reported once the SDK is found") {
  EnvVar no_app("AGORA_APP_ID", nullptr);
  json task = agora_test::fake_task("");
  task.erase("app_id");
  CHECK(start_error(task) == "Agora app id missing: set app_id (or agora.app_id, or AGORA_APP_ID)");
  task = agora_test::fake_task("");
  task.erase("channel");
  CHECK(start_error(task) == "channel is required for the agora source");
}

TEST_CASE("malformed agora fields are refused by make_agora_source, naming the field") {
  const auto reason = [](const json& extra) {
    std::string error;
    auto source = make_agora_source(agora_test::fake_task("", extra), error);
    CHECK(source == nullptr);
    return error;
  };
  CHECK(reason({{"users", 5}}) == "users must be a list of user ids");
  CHECK(reason({{"users", json::array({"a", ""})}}) ==
        "users[1] must be a non-empty string or a non-negative integer");
  CHECK(reason({{"users", json::array({-3})}}) == "users[0] must be a non-empty string or a non-negative integer");
  CHECK(reason({{"workerUid", true}}) == "workerUid must be a non-negative integer or a non-empty string");
  CHECK(reason({{"channel", 3}}) == "channel must be a string");
  CHECK(reason({{"access_token", json::array()}}) == "access_token must be a string");
  CHECK(reason({{"agora", {{"role", "host"}}}}) == "agora.role must be \"audience\" or \"broadcaster\"");
  CHECK(reason({{"agora", {{"join_timeout_s", 0}}}}) == "agora.join_timeout_s must be a positive number of seconds");
  CHECK(reason({{"agora", {{"sdk_dir", 1}}}}) == "agora.sdk_dir must be a string");
  CHECK(reason({{"audio", {{"channels", 0}}}}) == "audio.channels must be a positive integer");
  std::string error;
  CHECK(make_agora_source(json::array(), error) == nullptr);
  CHECK(error == "task must be a JSON object");
}

TEST_CASE("config: ids, app id precedence, user accounts") {
  using rtcegress::agora::Config;
  using rtcegress::agora::parse_config;
  EnvVar no_app("AGORA_APP_ID", "from-env");
  Config c;
  std::string error;
  REQUIRE(parse_config({{"workerUid", 42.0}, {"users", json::array({1001, "1002"})}}, c, error));
  CHECK(c.worker_uid == "42");
  CHECK(c.users == std::vector<std::string>{"1001", "1002"});
  CHECK_FALSE(c.string_uids);
  CHECK(c.app_id == "from-env");
  REQUIRE(parse_config({{"app_id", "path-app"}, {"agora", {{"app_id", "sdk-app"}}}}, c, error));
  CHECK(c.app_id == "sdk-app");
  CHECK(c.worker_uid == "0");
  REQUIRE(parse_config({{"app_id", "path-app"}, {"users", "alice"}}, c, error));
  CHECK(c.app_id == "path-app");
  CHECK(c.users == std::vector<std::string>{"alice"});
  CHECK(c.string_uids);  // a non-numeric user id means the channel uses string user accounts
  REQUIRE(parse_config({{"audio", {{"channels", 6}}}, {"agora", {{"role", "broadcaster"}}}}, c, error));
  CHECK(c.audio_channels == 2);
  CHECK_FALSE(c.audience);
}
