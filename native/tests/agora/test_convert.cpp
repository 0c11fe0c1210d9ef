// Copying the SDK's frames into FFmpeg frames: layout, rotation, and refusal of frames we cannot use.
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "sources/agora/frame_convert.h"
#include "sources/agora/reasons.h"

extern "C" {
#include <libavutil/pixfmt.h>
#include <libavutil/samplefmt.h>
}

using namespace rtcegress::agora;  // NOLINT(google-build-using-namespace)

namespace {

// A w x h I420 image whose luma is 10*row + col (so positions can be checked) with padded strides.
struct TestImage {
  int w;
  int h;
  int stride;
  std::vector<uint8_t> y, u, v;
  TestImage(int width, int height) : w(width), h(height), stride(width + 3) {
    const int cw = (w + 1) / 2;
    const int ch = (h + 1) / 2;
    y.assign(static_cast<std::size_t>(stride * h), 0xEE);
    u.assign(static_cast<std::size_t>((cw + 1) * ch), 0xEE);
    v.assign(static_cast<std::size_t>((cw + 1) * ch), 0xEE);
    for (int r = 0; r < h; ++r) {
      for (int c = 0; c < w; ++c) y[static_cast<std::size_t>(r * stride + c)] = static_cast<uint8_t>(10 * r + c);
    }
    for (int r = 0; r < ch; ++r) {
      for (int c = 0; c < cw; ++c) {
        u[static_cast<std::size_t>(r * (cw + 1) + c)] = static_cast<uint8_t>(100 + 10 * r + c);
        v[static_cast<std::size_t>(r * (cw + 1) + c)] = static_cast<uint8_t>(200 + r + c);
      }
    }
  }
  VideoFrame frame(int rotation) {
    VideoFrame f{};
    f.type = kPixelI420;
    f.width = w;
    f.height = h;
    f.y_stride = stride;
    f.u_stride = (w + 1) / 2 + 1;
    f.v_stride = (w + 1) / 2 + 1;
    f.y_buffer = y.data();
    f.u_buffer = u.data();
    f.v_buffer = v.data();
    f.rotation = rotation;
    return f;
  }
};

int luma(const AVFrame& f, int x, int y) { return f.data[0][y * f.linesize[0] + x]; }
int cb(const AVFrame& f, int x, int y) { return f.data[1][y * f.linesize[1] + x]; }

}  // namespace

TEST_CASE("I420 is copied row by row, dropping the stride padding") {
  TestImage img(5, 3);
  std::string error;
  auto out = copy_video_frame(img.frame(0), error);
  REQUIRE(out);
  CHECK(out->format == AV_PIX_FMT_YUV420P);
  CHECK(out->width == 5);
  CHECK(out->height == 3);
  CHECK(luma(*out, 0, 0) == 0);
  CHECK(luma(*out, 4, 0) == 4);
  CHECK(luma(*out, 4, 2) == 24);
  CHECK(cb(*out, 2, 1) == 112);  // odd sizes: chroma is (5+1)/2 x (3+1)/2
}

TEST_CASE("rotation is applied clockwise so the picture is upright") {
  TestImage img(4, 2);  // luma rows: [0 1 2 3] [10 11 12 13]
  std::string error;
  SUBCASE("90") {
    auto out = copy_video_frame(img.frame(90), error);
    REQUIRE(out);
    CHECK(out->width == 2);
    CHECK(out->height == 4);
    // Clockwise: the bottom-left corner (10) goes to the top-left, the top-left (0) to the top-right.
    CHECK(luma(*out, 0, 0) == 10);
    CHECK(luma(*out, 1, 0) == 0);
    CHECK(luma(*out, 1, 3) == 3);
    CHECK(luma(*out, 0, 3) == 13);
  }
  SUBCASE("180") {
    auto out = copy_video_frame(img.frame(180), error);
    REQUIRE(out);
    CHECK(out->width == 4);
    CHECK(luma(*out, 0, 0) == 13);
    CHECK(luma(*out, 3, 1) == 0);
  }
  SUBCASE("270") {
    auto out = copy_video_frame(img.frame(270), error);
    REQUIRE(out);
    CHECK(out->width == 2);
    CHECK(out->height == 4);
    CHECK(luma(*out, 0, 0) == 3);
    CHECK(luma(*out, 1, 0) == 13);
    CHECK(luma(*out, 0, 3) == 0);
  }
  SUBCASE("-90 is 270, and an odd angle is ignored") {
    auto minus = copy_video_frame(img.frame(-90), error);
    REQUIRE(minus);
    CHECK(luma(*minus, 0, 0) == 3);
    auto odd = copy_video_frame(img.frame(45), error);
    REQUIRE(odd);
    CHECK(odd->width == 4);
  }
}

TEST_CASE("unusable video frames are refused with a reason") {
  TestImage img(4, 2);
  std::string error;
  VideoFrame f = img.frame(0);
  f.type = 2;  // BGRA
  CHECK_FALSE(copy_video_frame(f, error));
  CHECK(error == "video frame in pixel format 2 (only I420 is supported)");
  f = img.frame(0);
  f.width = 0;
  CHECK_FALSE(copy_video_frame(f, error));
  CHECK(error == "video frame of invalid size 0x2");
  f = img.frame(0);
  f.y_stride = 3;
  CHECK_FALSE(copy_video_frame(f, error));
  f = img.frame(0);
  f.v_buffer = nullptr;
  CHECK_FALSE(copy_video_frame(f, error));
  CHECK(error == "video frame with missing planes or strides shorter than its width");
}

TEST_CASE("16-bit PCM becomes an S16 frame with rate and channel layout") {
  std::vector<int16_t> pcm(480 * 2);
  for (std::size_t i = 0; i < pcm.size(); ++i) pcm[i] = static_cast<int16_t>(i);
  AudioFrame in{};
  in.samples_per_channel = 480;
  in.bytes_per_sample = 2;
  in.channels = 2;
  in.samples_per_sec = 48000;
  in.buffer = pcm.data();
  std::string error;
  auto out = copy_audio_frame(in, error);
  REQUIRE(out);
  CHECK(out->format == AV_SAMPLE_FMT_S16);
  CHECK(out->sample_rate == 48000);
  CHECK(out->nb_samples == 480);
  CHECK(out->ch_layout.nb_channels == 2);
  const auto* samples = reinterpret_cast<const int16_t*>(out->data[0]);
  CHECK(samples[0] == 0);
  CHECK(samples[959] == 959);

  in.bytes_per_sample = 4;
  CHECK_FALSE(copy_audio_frame(in, error));
  CHECK(error == "audio frame with 4 bytes per sample (only 16-bit PCM)");
  in.bytes_per_sample = 2;
  in.channels = 0;
  CHECK_FALSE(copy_audio_frame(in, error));
  in.channels = 2;
  in.buffer = nullptr;
  CHECK_FALSE(copy_audio_frame(in, error));
}

TEST_CASE("SDK codes become reasons a user can act on") {
  CHECK(connection_failure_reason(kReasonInvalidToken).find("invalid token") != std::string::npos);
  CHECK(connection_failure_reason(kReasonTokenExpired) == "Agora access_token expired");
  CHECK(connection_failure_reason(kReasonBannedByServer).find("kicked or banned") != std::string::npos);
  CHECK(connection_failure_reason(kReasonSameUidLogin).find("same workerUid") != std::string::npos);
  CHECK(connection_failure_reason(99) == "Agora connection failed (reason code 99)");
  CHECK(is_fatal_error_code(kErrInvalidToken));
  CHECK_FALSE(is_fatal_error_code(17));
  CHECK(error_code_reason(17, "join rejected") == "Agora SDK error 17 (join rejected)");
  CHECK(user_left_reason(kOfflineDropped) == "dropped");
  CHECK(user_left_reason(kOfflineBecomeAudience) == "became_audience");
}
