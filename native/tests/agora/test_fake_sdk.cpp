// The Agora source against the fake SDK: media for the subscribed users only, user and mute events, resolution
// changes, each failure kind as one fatal error, and a stop() after which nothing reaches the sink.
#include <doctest/doctest.h>

#include <algorithm>
#include <memory>
#include <string>

#include "sources/agora_source.h"
#include "support.h"

using agora_test::FakeSdk;
using agora_test::RecordingSink;
using agora_test::fake_task;
using nlohmann::json;

namespace {

struct Running {
  RecordingSink sink;
  std::unique_ptr<rtcegress::Source> source;

  explicit Running(const json& task) {
    std::string error;
    source = rtcegress::make_agora_source(task, error);
    REQUIRE_MESSAGE(source != nullptr, error);
    REQUIRE_MESSAGE(source->start(sink, error), error);
  }
  ~Running() { source->stop(); }
  Running(const Running&) = delete;
  Running& operator=(const Running&) = delete;
};

std::size_t index_of(const std::vector<std::string>& log, const std::string& entry) {
  return static_cast<std::size_t>(std::find(log.begin(), log.end(), entry) - log.begin());
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Runs a task until the first fatal error and returns it.
std::string fatal_reason(const json& task) {
  Running run(task);
  REQUIRE(run.sink.wait([&] { return run.sink.fatal_count_locked() > 0; }));
  for (const auto& e : run.sink.errors()) {
    if (e.fatal) return e.reason;
  }
  return {};
}

}  // namespace

TEST_CASE("everyone in the channel is recorded when users is empty") {
  Running run(fake_task("users=1001,1002"));
  auto& sink = run.sink;
  REQUIRE(sink.wait([&] {
    return sink.video_frames_locked("1001") >= 3 && sink.video_frames_locked("1002") >= 3 &&
           sink.audio_frames_locked("1001") >= 10 && sink.audio_frames_locked("1002") >= 10;
  }));
  const auto log = sink.log();
  CHECK(index_of(log, "joined 1001") < index_of(log, "video 1001"));  // joined before its first frame
  CHECK(sink.formats_ok());
  CHECK(sink.sizes("1001") == std::set<std::pair<int, int>>{{320, 240}});
  CHECK(sink.errors().empty());
  const std::string connect = FakeSdk::get().last_connect();
  CHECK(contains(connect, "app=test-app;channel=room1;uid=4242;token=fake:users=1001,1002;"));
  CHECK(contains(connect, "role=2;auto_audio=1;auto_video=1;string_uid=0;channels=1;rate=48000"));
}

TEST_CASE("only the listed users are subscribed and delivered") {
  SUBCASE("the SDK honours the subscriptions") {
    Running run(fake_task("users=1001,1002,1003", {{"users", json::array({"1002"})}}));
    auto& sink = run.sink;
    REQUIRE(sink.wait([&] { return sink.video_frames_locked("1002") >= 5 && sink.audio_frames_locked("1002") >= 20; }));
    CHECK(contains(FakeSdk::get().last_connect(), "auto_audio=0;auto_video=0"));
    CHECK(sink.video_frames("1001") == 0);
    CHECK(sink.audio_frames("1003") == 0);
    const auto log = sink.log();
    CHECK(std::count(log.begin(), log.end(), "joined 1002") == 1);
    CHECK(index_of(log, "joined 1001") == log.size());
  }
  SUBCASE("media of other users is dropped even if the SDK sends it") {
    Running run(fake_task("users=1001,1002;deliver_all", {{"users", json::array({1002})}}));
    auto& sink = run.sink;
    REQUIRE(sink.wait([&] { return sink.video_frames_locked("1002") >= 5; }));
    CHECK(sink.video_frames("1001") == 0);
    CHECK(sink.audio_frames("1001") == 0);
  }
}

TEST_CASE("users joining and leaving are reported, with no media after a user left") {
  Running run(fake_task("users=1001;@150 join 1003;@300 leave 1001"));
  auto& sink = run.sink;
  REQUIRE(sink.wait([&] { return sink.has_locked("left 1001 quit") && sink.video_frames_locked("1003") >= 3; }));
  // Let the fake run on: 1001 must stay silent once it left.
  REQUIRE(sink.wait([&] { return sink.video_frames_locked("1003") >= 8; }));
  const auto log = sink.log();
  const std::size_t left = index_of(log, "left 1001 quit");
  CHECK(index_of(log, "joined 1003") < log.size());
  CHECK(std::find(log.begin() + static_cast<long>(left), log.end(), "video 1001") == log.end());
  CHECK(std::find(log.begin() + static_cast<long>(left), log.end(), "audio 1001") == log.end());
}

TEST_CASE("camera and microphone mutes are reported once per change") {
  Running run(fake_task(
      "users=1001,1002;@100 mute_video 1001;@400 unmute_video 1001;@100 mute_audio 1002;@400 unmute_audio 1002;"
      "@500 info_mute_video 1002;@700 info_unmute_video 1002"));
  auto& sink = run.sink;
  REQUIRE(sink.wait([&] {
    return sink.has_locked("video_muted 1001 0") && sink.has_locked("audio_muted 1002 0") &&
           sink.has_locked("video_muted 1002 0");
  }));
  const auto log = sink.log();
  CHECK(index_of(log, "video_muted 1001 1") < index_of(log, "video_muted 1001 0"));
  CHECK(index_of(log, "audio_muted 1002 1") < index_of(log, "audio_muted 1002 0"));
  CHECK(index_of(log, "video_muted 1002 1") < index_of(log, "video_muted 1002 0"));
  CHECK(std::count(log.begin(), log.end(), "video_muted 1001 1") == 1);
}

TEST_CASE("resolution changes and rotated frames reach the sink at their new size") {
  Running run(fake_task("users=1001,1002;@150 resize 1001 640x360;@150 rotate 1002 90"));
  auto& sink = run.sink;
  REQUIRE(sink.wait([&] {
    return sink.sizes_locked("1001").count({640, 360}) > 0 && sink.sizes_locked("1002").count({240, 320}) > 0;
  }));
  CHECK(sink.sizes("1001").count({320, 240}) == 1);
  CHECK(sink.formats_ok());
}

TEST_CASE("each failure kind ends the task with one fatal error and a clear reason") {
  CHECK(contains(fatal_reason(fake_task("fail=8")), "Agora rejected the access_token"));
  CHECK(fatal_reason(fake_task("fail=9")) == "Agora access_token expired");
  CHECK(fatal_reason(fake_task("users=1001;@200 expire")) == "Agora access_token expired");
  CHECK(contains(fatal_reason(fake_task("users=1001;@200 ban")), "kicked or banned"));
  CHECK(contains(fatal_reason(fake_task("users=1001;@200 kick")), "kicked or banned"));
  CHECK(contains(fatal_reason(fake_task("fail=6")), "app id"));
  CHECK(contains(fatal_reason(fake_task("users=1001;@100 error 110")), "access_token"));
  CHECK(fatal_reason(fake_task("no_connect", {{"agora", {{"join_timeout_s", 0.2}}}})) ==
        "Agora join timed out: not connected to channel room1 within 0.2 s (check the network and the app id)");
}

TEST_CASE("a lost connection is fatal only when not restored in time") {
  SUBCASE("not restored") {
    Running run(fake_task("users=1001;@100 lost", {{"agora", {{"reconnect_timeout_s", 0.3}}}}));
    auto& sink = run.sink;
    REQUIRE(sink.wait([&] { return sink.fatal_count_locked() == 1; }));
    const auto errors = sink.errors();
    REQUIRE(errors.size() == 2);
    CHECK(errors[0].reason == "Agora connection lost; reconnecting");
    CHECK_FALSE(errors[0].fatal);
    CHECK(errors[1].reason == "Agora connection lost and not restored within 0.3 s");
  }
  SUBCASE("restored") {
    Running run(fake_task("users=1001;@100 reconnecting;@150 lost;@250 reconnected",
                          {{"agora", {{"reconnect_timeout_s", 0.6}}}}));
    auto& sink = run.sink;
    REQUIRE(sink.wait([&] { return sink.has_locked("warning Agora connection restored"); }));
    const int frames = sink.video_frames("1001");
    // Well past the reconnect timeout, media flows again and nothing turned fatal.
    REQUIRE(sink.wait([&] { return sink.video_frames_locked("1001") >= frames + 12; }));
    for (const auto& e : sink.errors()) CHECK_FALSE(e.fatal);
  }
}

TEST_CASE("later failures after the first fatal error are not reported again") {
  Running run(fake_task("users=1001;@100 ban;@150 expire;@200 error 110;@250 reconnected"));
  auto& sink = run.sink;
  REQUIRE(sink.wait([&] { return sink.fatal_count_locked() == 1; }));
  const int frames = sink.video_frames("1001");
  // Media resumes after the last scripted event, so every failure before it has been processed by then.
  REQUIRE(sink.wait([&] { return sink.video_frames_locked("1001") >= frames + 3; }));
  CHECK(sink.errors().size() == 1);
}

TEST_CASE("connect() refusing is a start() failure") {
  std::string error;
  auto source = rtcegress::make_agora_source(fake_task("connect_rc=-7"), error);
  REQUIRE(source);
  RecordingSink sink;
  CHECK_FALSE(source->start(sink, error));
  CHECK(error == "Agora connect to channel room1 failed (error -7)");
  source->stop();
  CHECK(FakeSdk::get().live_objects() == 0);
}

TEST_CASE("stop() releases every SDK object, is idempotent, and nothing reaches the sink after it") {
  FakeSdk::get().reset_stale_calls();
  RecordingSink sink;
  std::string error;
  // stale=20: the fake keeps calling our observers 20 more times after we unregistered them (a misbehaving SDK).
  auto source = rtcegress::make_agora_source(fake_task("users=1001,1002;stale=20"), error);
  REQUIRE(source);
  REQUIRE(source->start(sink, error));
  REQUIRE(sink.wait([&] { return sink.video_frames_locked("1001") >= 3; }));
  sink.set_stale_probe([] { return FakeSdk::get().stale_calls(); });
  source->stop();
  CHECK(FakeSdk::get().stale_calls() >= 20);  // the fake did call the unregistered observers...
  CHECK(sink.calls_in_stale_mode() == 0);     // ...and none of those calls reached the sink
  const int calls = sink.calls();
  source->stop();
  CHECK(sink.calls() == calls);
  CHECK(FakeSdk::get().live_objects() == 0);
  source.reset();
  CHECK(FakeSdk::get().live_objects() == 0);
}

TEST_CASE("destroying a running source stops it") {
  RecordingSink sink;
  std::string error;
  auto source = rtcegress::make_agora_source(fake_task("users=1001"), error);
  REQUIRE(source);
  REQUIRE(source->start(sink, error));
  REQUIRE(sink.wait([&] { return sink.video_frames_locked("1001") >= 1; }));
  source.reset();
  CHECK(FakeSdk::get().live_objects() == 0);
}

TEST_CASE("two sources one after the other each get their own media") {
  for (int i = 0; i < 2; ++i) {
    Running run(fake_task("users=5" + std::to_string(i)));
    const std::string uid = "5" + std::to_string(i);
    REQUIRE(run.sink.wait([&] { return run.sink.video_frames_locked(uid) >= 2; }));
  }
  CHECK(FakeSdk::get().live_objects() == 0);
}
