// State documents: runc's `state` shape, the hook state, and reading them back.
#include "oci/state.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace stockade::oci {
namespace {

using nlohmann::json;

State Sample() {
  State s;
  s.id = "web";
  s.status = kStatusRunning;
  s.pid = 4242;
  s.bundle = "/b";
  s.rootfs = "/b/rootfs";
  s.created = "2024-05-06T07:08:09.123456789Z";
  s.owner = "";
  s.annotations = {{"k", "v"}};
  return s;
}

TEST(State, ToJsonHasRuncKeys) {
  json j = ToJson(Sample());
  EXPECT_EQ(j["ociVersion"], "1.0.2");
  EXPECT_EQ(j["id"], "web");
  EXPECT_EQ(j["pid"], 4242);
  EXPECT_EQ(j["status"], "running");
  EXPECT_EQ(j["bundle"], "/b");
  EXPECT_EQ(j["rootfs"], "/b/rootfs");
  EXPECT_EQ(j["created"], "2024-05-06T07:08:09.123456789Z");
  EXPECT_EQ(j["owner"], "");
  EXPECT_EQ(j["annotations"]["k"], "v");
  EXPECT_EQ(j.size(), 9u);
  State bare = Sample();
  bare.annotations.clear();
  EXPECT_FALSE(ToJson(bare).contains("annotations"));  // runc: omitempty.
}

TEST(State, FormatStateUsesRuncKeyOrder) {
  EXPECT_EQ(FormatState(Sample()),
            "{\n"
            "  \"ociVersion\": \"1.0.2\",\n"
            "  \"id\": \"web\",\n"
            "  \"pid\": 4242,\n"
            "  \"status\": \"running\",\n"
            "  \"bundle\": \"/b\",\n"
            "  \"rootfs\": \"/b/rootfs\",\n"
            "  \"created\": \"2024-05-06T07:08:09.123456789Z\",\n"
            "  \"annotations\": {\n"
            "    \"k\": \"v\"\n"
            "  },\n"
            "  \"owner\": \"\"\n"
            "}");
}

TEST(State, HookStateIsTheOciSubset) {
  json j = ToHookState(Sample());
  EXPECT_EQ(j, json::parse(R"({"ociVersion": "1.0.2", "id": "web", "status": "running",
                               "pid": 4242, "bundle": "/b", "annotations": {"k": "v"}})"));
  State created = Sample();
  created.pid = 0;
  created.status = kStatusCreating;
  created.annotations.clear();
  j = ToHookState(created);
  EXPECT_FALSE(j.contains("pid"));
  EXPECT_FALSE(j.contains("annotations"));
}

TEST(State, RoundTripsAndNamesBadFields) {
  auto back = StateFromJson(ToJson(Sample()));
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(ToJson(*back), ToJson(Sample()));

  json j = ToJson(Sample());
  j["pid"] = "4242";
  EXPECT_EQ(StateFromJson(j).error().ToString(), "pid: expected integer, got string");
  j = ToJson(Sample());
  j["status"] = "zombie";
  EXPECT_EQ(StateFromJson(j).error().ToString(), "status: unknown status \"zombie\"");
  j = ToJson(Sample());
  j.erase("id");
  EXPECT_EQ(StateFromJson(j).error().ToString(), "id: required");
  j = ToJson(Sample());
  j["annotations"]["n"] = 1;
  EXPECT_EQ(StateFromJson(j).error().ToString(), "annotations[\"n\"]: expected string, got number");
  EXPECT_EQ(StateFromJson(json::array()).error().ToString(), "expected object, got array");
  for (const char* s : {"creating", "created", "running", "paused", "stopped"}) {
    EXPECT_TRUE(IsKnownStatus(s)) << s;
  }
}

TEST(State, Rfc3339NanoMatchesGo) {
  using std::chrono::nanoseconds;
  using std::chrono::seconds;
  using std::chrono::system_clock;
  auto at = [](int64_t secs, int64_t nanos) {
    return system_clock::time_point(
        std::chrono::duration_cast<system_clock::duration>(seconds(secs) + nanoseconds(nanos)));
  };
  EXPECT_EQ(FormatRfc3339Nano(at(0, 0)), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339Nano(at(1, 500000000)), "1970-01-01T00:00:01.5Z");
  EXPECT_EQ(FormatRfc3339Nano(at(1714979289, 123456789)), "2024-05-06T07:08:09.123456789Z");
  EXPECT_EQ(FormatRfc3339Nano(at(1714979289, 1000)), "2024-05-06T07:08:09.000001Z");
  EXPECT_EQ(FormatRfc3339Nano(at(-1, 250000000)), "1969-12-31T23:59:59.25Z");
}

}  // namespace
}  // namespace stockade::oci
