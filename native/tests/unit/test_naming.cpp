#include <doctest/doctest.h>

#include "sinks/naming.h"

using namespace rtcegress;

TEST_CASE("filename patterns are checked") {
  std::string why;
  CHECK(validate_filename_pattern("{task_id}_{channel}-{date}T{time}.{index}", why));
  CHECK_FALSE(validate_filename_pattern("../up", why));
  CHECK(why == "must not contain '..'");
  CHECK_FALSE(validate_filename_pattern("a/b", why));
  CHECK_FALSE(validate_filename_pattern("a\\b", why));
  CHECK_FALSE(validate_filename_pattern("{nope}", why));
  CHECK(why.find("unknown placeholder {nope}") == 0);
  CHECK_FALSE(validate_filename_pattern("{task_id", why));
  CHECK_FALSE(validate_filename_pattern("a b", why));
  CHECK_FALSE(validate_filename_pattern(".hidden", why));
  CHECK_FALSE(validate_filename_pattern(std::string(201, 'a'), why));
}

TEST_CASE("placeholders expand to safe names") {
  NameFields f{"task1", "room/../x y", "u:1", 3, 1, 86400 * 366 + 3661};  // 1971-01-02 01:01:01 UTC
  CHECK(expand_filename("{task_id}_{channel}_{uid}_{date}_{time}_{index}_{part}", f, {}) ==
        "task1_room__._x_y_u_1_19710102_010101_0003_1");
  CHECK(expand_filename("rec.mp4", f, {}) == "rec");  // a given extension is not doubled
}

TEST_CASE("missing discriminators are appended so names never collide") {
  NameFields f{"t", "c", "u7", 2, 1, 0};
  CHECK(expand_filename("{task_id}", f, NameNeeds{true, true}) == "t_u7_0002");
  CHECK(expand_filename("{uid}-{index}", f, NameNeeds{true, true}) == "u7-0002");
  f.part = 3;
  CHECK(expand_filename("{task_id}", f, {}) == "t_part3");
  CHECK(expand_filename("{task_id}_{part}", f, {}) == "t_3");
  CHECK(expand_filename("", f, {}) == "t_part3");
}

TEST_CASE("safe_name_component") {
  CHECK(safe_name_component("a/b\\c..d") == "a_b_c_.d");
  CHECK(safe_name_component("ok-1_2.3") == "ok-1_2.3");
}
