// linux.seccomp: the container's syscall filter, in the OCI (libseccomp-named) form.
#include "oci/json_fields.h"
#include "oci/parse_internal.h"

namespace stockade::oci::internal {
namespace {

Result<SeccompArg> ParseArg(const json& v, const std::string& path) {
  ASSIGN_OR_RETURN(auto r, ObjectReader::Make(v, path));
  SeccompArg a;
  TRY(r.Int("index", &a.index));
  TRY(r.Int("value", &a.value));
  TRY(r.Int("valueTwo", &a.value_two));
  TRY(r.String("op", &a.op));
  return a;
}

Result<SeccompSyscall> ParseSyscall(const json& v, const std::string& path) {
  ASSIGN_OR_RETURN(auto r, ObjectReader::Make(v, path));
  SeccompSyscall s;
  TRY(r.Strings("names", &s.names));
  TRY(r.String("action", &s.action));
  TRY(r.Int("errnoRet", &s.errno_ret));
  TRY(r.Array("args", &s.args, ParseArg));
  return s;
}

}  // namespace

Result<Seccomp> ParseSeccompAt(const json& v, const std::string& path) {
  ASSIGN_OR_RETURN(auto r, ObjectReader::Make(v, path));
  Seccomp s;
  TRY(r.String("defaultAction", &s.default_action));
  TRY(r.Int("defaultErrnoRet", &s.default_errno_ret));
  TRY(r.Strings("architectures", &s.architectures));
  TRY(r.Strings("flags", &s.flags));
  TRY(r.String("listenerPath", &s.listener_path));
  TRY(r.String("listenerMetadata", &s.listener_metadata));
  TRY(r.Array("syscalls", &s.syscalls, ParseSyscall));
  return s;
}

}  // namespace stockade::oci::internal
