// The "process" object: shared by config.json and exec's process.json.
#include "oci/json_fields.h"
#include "oci/parse_internal.h"

namespace stockade::oci::internal {
namespace {

Result<ConsoleSize> ParseConsoleSize(const json& v, const std::string& path) {
  ASSIGN_OR_RETURN(auto r, ObjectReader::Make(v, path));
  ConsoleSize c;
  TRY(r.Int("height", &c.height));
  TRY(r.Int("width", &c.width));
  return c;
}

Result<User> ParseUser(const json& v, const std::string& path) {
  ASSIGN_OR_RETURN(auto r, ObjectReader::Make(v, path));
  User u;
  TRY(r.Int("uid", &u.uid));
  TRY(r.Int("gid", &u.gid));
  TRY(r.Int("umask", &u.umask));
  TRY(r.IntList("additionalGids", &u.additional_gids));
  TRY(r.String("username", &u.username));  // Windows only; kept for completeness.
  return u;
}

Result<Capabilities> ParseCapabilities(const json& v, const std::string& path) {
  ASSIGN_OR_RETURN(auto r, ObjectReader::Make(v, path));
  Capabilities c;
  TRY(r.Strings("bounding", &c.bounding));
  TRY(r.Strings("effective", &c.effective));
  TRY(r.Strings("inheritable", &c.inheritable));
  TRY(r.Strings("permitted", &c.permitted));
  TRY(r.Strings("ambient", &c.ambient));
  return c;
}

Result<Rlimit> ParseRlimit(const json& v, const std::string& path) {
  ASSIGN_OR_RETURN(auto r, ObjectReader::Make(v, path));
  Rlimit l;
  TRY(r.String("type", &l.type));
  TRY(r.Int("hard", &l.hard));
  TRY(r.Int("soft", &l.soft));
  return l;
}

}  // namespace

Result<Process> ParseProcessAt(const json& v, const std::string& path) {
  ASSIGN_OR_RETURN(auto r, ObjectReader::Make(v, path));
  Process p;
  // The struct defaults cwd to "/" for code that builds a Process by hand, but a document
  // without cwd is invalid (runc: "Cwd property must not be empty"), so let validation see it.
  p.cwd.clear();
  TRY(r.Bool("terminal", &p.terminal));
  TRY(r.Object("consoleSize", &p.console_size, ParseConsoleSize));
  if (const json* user = r.Get("user")) {
    ASSIGN_OR_RETURN(p.user, ParseUser(*user, r.PathOf("user")));
  }
  TRY(r.Strings("args", &p.args));
  TRY(r.String("commandLine", &p.command_line));
  TRY(r.Strings("env", &p.env));
  TRY(r.String("cwd", &p.cwd));
  TRY(r.Object("capabilities", &p.capabilities, ParseCapabilities));
  TRY(r.Array("rlimits", &p.rlimits, ParseRlimit));
  TRY(r.Bool("noNewPrivileges", &p.no_new_privileges));
  TRY(r.String("apparmorProfile", &p.apparmor_profile));
  TRY(r.Int("oomScoreAdj", &p.oom_score_adj));
  TRY(r.String("selinuxLabel", &p.selinux_label));
  TRY(r.Raw("ioPriority", &p.io_priority));
  TRY(r.Raw("scheduler", &p.scheduler));
  TRY(r.Raw("execCPUAffinity", &p.exec_cpu_affinity));
  return p;
}

}  // namespace stockade::oci::internal
