#include "oci/state.h"

#include <ctime>

#include "oci/json_fields.h"

namespace stockade::oci {

using internal::ObjectReader;
using nlohmann::json;

bool IsKnownStatus(const std::string& status) {
  return status == kStatusCreating || status == kStatusCreated || status == kStatusRunning ||
         status == kStatusPaused || status == kStatusStopped;
}

json ToJson(const State& s) {
  json j = {
      {"ociVersion", s.oci_version}, {"id", s.id},         {"pid", s.pid},
      {"status", s.status},          {"bundle", s.bundle}, {"rootfs", s.rootfs},
      {"created", s.created},        {"owner", s.owner},
  };
  if (!s.annotations.empty()) j["annotations"] = s.annotations;
  return j;
}

std::string FormatState(const State& s) {
  // nlohmann::json sorts keys; people diff our output against runc's, so keep runc's order
  // (its containerState struct order).
  nlohmann::ordered_json j;
  j["ociVersion"] = s.oci_version;
  j["id"] = s.id;
  j["pid"] = s.pid;
  j["status"] = s.status;
  j["bundle"] = s.bundle;
  j["rootfs"] = s.rootfs;
  j["created"] = s.created;
  if (!s.annotations.empty()) j["annotations"] = s.annotations;
  j["owner"] = s.owner;
  return j.dump(2, ' ', false, json::error_handler_t::replace);
}

json ToHookState(const State& s) {
  json j = {
      {"ociVersion", s.oci_version},
      {"id", s.id},
      {"status", s.status},
      {"bundle", s.bundle},
  };
  if (s.pid != 0) j["pid"] = s.pid;
  if (!s.annotations.empty()) j["annotations"] = s.annotations;
  return j;
}

Result<State> StateFromJson(const json& doc) {
  try {
    ASSIGN_OR_RETURN(auto r, ObjectReader::Make(doc, ""));
    State s;
    s.oci_version.clear();
    TRY(r.String("ociVersion", &s.oci_version));
    TRY(r.String("id", &s.id));
    TRY(r.Int("pid", &s.pid));
    TRY(r.String("status", &s.status));
    TRY(r.String("bundle", &s.bundle));
    TRY(r.String("rootfs", &s.rootfs));
    TRY(r.String("created", &s.created));
    TRY(r.String("owner", &s.owner));
    TRY(r.StringMap("annotations", &s.annotations));
    if (s.id.empty()) return internal::FieldError("id", "required");
    if (!IsKnownStatus(s.status)) {
      return internal::FieldError("status", "unknown status " + internal::Quote(s.status));
    }
    return s;
  } catch (const json::exception& e) {
    return Error::Msg(std::string("internal error reading state: ") + e.what());
  }
}

std::string FormatRfc3339Nano(std::chrono::system_clock::time_point t) {
  using std::chrono::duration_cast;
  using std::chrono::nanoseconds;
  using std::chrono::seconds;
  const auto since_epoch = t.time_since_epoch();
  auto secs = duration_cast<seconds>(since_epoch);
  auto nanos = duration_cast<nanoseconds>(since_epoch - secs).count();
  if (nanos < 0) {  // Before 1970: floor the seconds, keep the fraction positive.
    secs -= seconds(1);
    nanos += 1000000000;
  }
  const time_t tt = static_cast<time_t>(secs.count());
  struct tm tm;
  gmtime_r(&tt, &tm);
  char buf[64];
  size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out(buf, n);
  if (nanos != 0) {
    std::string frac = std::to_string(nanos);
    frac.insert(0, 9 - frac.size(), '0');
    while (frac.back() == '0') frac.pop_back();
    out += "." + frac;
  }
  return out + "Z";
}

}  // namespace stockade::oci
