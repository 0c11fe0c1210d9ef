#include <doctest/doctest.h>

#include "compose/draw.h"
#include "compose/speaker.h"
#include "encode/ffmpeg_util.h"
#include "sinks/file_info.h"
#include "sinks/playlist.h"
#include "sources/url_source.h"

using namespace rtcegress;

TEST_CASE("the spotlight follows the loudest user without flickering") {
  SpeakerTracker t;
  double now = 0;
  auto step = [&](double a, double b, double seconds) {
    for (double end = now + seconds; now < end; now += 0.033) t.update({{"a", a}, {"b", b}}, 0.033, now);
  };
  step(0, 0, 1);
  CHECK(t.speaker().empty());
  step(0.2, 0.01, 1);
  CHECK(t.speaker() == "a");
  // b slightly louder: not enough of a margin, a stays.
  step(0.2, 0.25, 3);
  CHECK(t.speaker() == "a");
  // b clearly louder, but only briefly: a stays.
  step(0.01, 0.5, 0.4);
  step(0.2, 0.01, 1);
  CHECK(t.speaker() == "a");
  // b clearly louder for long enough: b.
  step(0.01, 0.5, 3);
  CHECK(t.speaker() == "b");
  // Silence keeps whoever was shown.
  step(0, 0, 3);
  CHECK(t.speaker() == "b");
}

TEST_CASE("when the speaker leaves, the loudest of those left takes the spotlight at once") {
  SpeakerTracker t;
  double now = 0;
  for (; now < 3; now += 0.033) t.update({{"a", 0.1}, {"b", 0.6}, {"c", 0.02}}, 0.033, now);
  CHECK(t.speaker() == "b");
  t.update({{"a", 0.1}, {"c", 0.02}}, 0.033, now);  // b left
  CHECK(t.speaker() == "a");
  CHECK(t.level_db("b") == -120.0);  // forgotten: it can never win again with a frozen level
  t.update({}, 0.033, now + 0.033);  // everybody left
  CHECK(t.speaker().empty());
}

TEST_CASE("event playlist text") {
  std::vector<PlaylistEntry> e = {{"a_00000.ts", 4.0}, {"a_00001.ts", 2.5}};
  CHECK(render_event_playlist(e, 4, false) ==
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-PLAYLIST-TYPE:EVENT\n#EXT-X-TARGETDURATION:4\n"
        "#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:4.000,\na_00000.ts\n#EXTINF:2.500,\na_00001.ts\n");
  CHECK(render_event_playlist(e, 4, true).find("#EXT-X-ENDLIST\n") != std::string::npos);
}

TEST_CASE("sha256") {
  const std::uint8_t abc[] = {'a', 'b', 'c'};
  CHECK(sha256_bytes(abc, 3) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("colours convert to limited-range BT.601") {
  Yuv white = rgb_to_yuv(Rgb{255, 255, 255}), black = rgb_to_yuv(Rgb{0, 0, 0});
  CHECK(white.y == 235);
  CHECK(black.y == 16);
  CHECK(white.u == 128);
  CHECK(black.v == 128);
}

TEST_CASE("drawing clips to the frame") {
  FramePtr f = make_frame();
  REQUIRE(alloc_yuv_frame(f.get(), 16, 16));
  fill_frame(f.get(), Yuv{16, 128, 128});
  fill_rect(f.get(), Rect{12, 12, 100, 100}, Yuv{200, 10, 20});
  CHECK(f->data[0][11 * f->linesize[0] + 11] == 16);
  CHECK(f->data[0][15 * f->linesize[0] + 15] == 200);
  CHECK(f->data[1][7 * f->linesize[1] + 7] == 10);
  draw_text(f.get(), -3, -3, "W?", 2, 235);  // partly outside: no crash, the part inside is drawn
  CHECK(f->data[0][1 * f->linesize[0] + 5] == 235);  // W's third row, right stroke (font pixel (4, 2))
  CHECK(text_width("ab", 3) == 33);
}

TEST_CASE("network URLs are redacted") {
  CHECK(redact_url("rtmp://u:p@host:1935/app/key?x=1") == "rtmp://host:1935/...");
  CHECK(redact_url("/tmp/a.mp4") == "/tmp/a.mp4");
  CHECK(redact_url("file:///tmp/a.mp4") == "file:///tmp/a.mp4");
  CHECK(redact_url("srt://h:9000?streamid=secret") == "srt://h:9000/...");
}
