// The "linux" object, minus resources and seccomp (parse_resources.cc, parse_seccomp.cc).
#include "oci/json_fields.h"
#include "oci/parse_internal.h"

namespace stockade::oci::internal {
namespace {

Result<Namespace> ParseNamespace(const json& v, const std::string& path) {
  ASSIGN_OR_RETURN(auto r, ObjectReader::Make(v, path));
  Namespace ns;
  TRY(r.String("type", &ns.type));
  TRY(r.String("path", &ns.path));
  return ns;
}

Result<Device> ParseDevice(const json& v, const std::string& path) {
  ASSIGN_OR_RETURN(auto r, ObjectReader::Make(v, path));
  Device d;
  TRY(r.String("type", &d.type));
  TRY(r.String("path", &d.path));
  TRY(r.Int("major", &d.major));
  TRY(r.Int("minor", &d.minor));
  TRY(r.Int("fileMode", &d.file_mode));
  TRY(r.Int("uid", &d.uid));
  TRY(r.Int("gid", &d.gid));
  return d;
}

}  // namespace

Result<IdMapping> ParseIdMappingAt(const json& v, const std::string& path) {
  ASSIGN_OR_RETURN(auto r, ObjectReader::Make(v, path));
  IdMapping m;
  TRY(r.Int("containerID", &m.container_id));
  TRY(r.Int("hostID", &m.host_id));
  TRY(r.Int("size", &m.size));
  return m;
}

Result<Linux> ParseLinuxAt(const json& v, const std::string& path) {
  ASSIGN_OR_RETURN(auto r, ObjectReader::Make(v, path));
  Linux l;
  TRY(r.Array("uidMappings", &l.uid_mappings, ParseIdMappingAt));
  TRY(r.Array("gidMappings", &l.gid_mappings, ParseIdMappingAt));
  TRY(r.StringMap("sysctl", &l.sysctl));
  TRY(r.Object("resources", &l.resources, ParseResourcesAt));
  TRY(r.String("cgroupsPath", &l.cgroups_path));
  TRY(r.Array("namespaces", &l.namespaces, ParseNamespace));
  TRY(r.Array("devices", &l.devices, ParseDevice));
  TRY(r.Object("seccomp", &l.seccomp, ParseSeccompAt));
  TRY(r.String("rootfsPropagation", &l.rootfs_propagation));
  TRY(r.Strings("maskedPaths", &l.masked_paths));
  TRY(r.Strings("readonlyPaths", &l.readonly_paths));
  TRY(r.String("mountLabel", &l.mount_label));
  TRY(r.Raw("personality", &l.personality));
  TRY(r.Raw("intelRdt", &l.intel_rdt));
  TRY(r.Raw("timeOffsets", &l.time_offsets));
  return l;
}

}  // namespace stockade::oci::internal
