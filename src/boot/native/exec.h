// Starting the container's program: environment, executable lookup, execve.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/result.h"
#include "boot/native/process_setup.h"
#include "oci/spec.h"

namespace stockade::native {

// runc's prepareEnv: rejects entries without '=' or with an empty name, keeps only the last
// value of duplicated names (in first-seen order of the kept entries), and adds HOME from the
// container's /etc/passwd (`passwd`, its contents) when HOME is unset or empty ("/" if the uid
// has no entry). Pure.
Result<std::vector<std::string>> PrepareEnv(const std::vector<std::string>& env, uid_t uid,
                                            const std::string& passwd);

// The home directory of `uid` in passwd(5) text, or "" if there is none. Pure.
std::string HomeFromPasswd(const std::string& passwd, uid_t uid);

// Go's exec.LookPath (what runc uses) with PATH taken from `env`, not from the runtime:
//   name with a '/'       -> used as is, if it is an executable file;
//   otherwise each PATH entry in order ("" means "."), first executable regular file wins.
// Errors have runc's exact text and no errno, e.g.
//   exec: "foo": executable file not found in $PATH
//   exec: "/x": stat /x: no such file or directory
//   exec: "foo": cannot run executable found relative to current directory
Result<std::string> ResolveExecutable(const std::string& name, const std::vector<std::string>& env);

// The same for process.args[0] with process.env.
Result<std::string> ResolveExecutable(const oci::Process& p);

// Prepares the environment, resolves args[0], calls opts.before_exec, loads the seccomp filter
// when noNewPrivileges is set, closes every FD but stdio/preserved/kept ones, and execve()s.
// Returns only on failure.
Status ExecProcess(const oci::Process& p, const ProcessOptions& opts);

}  // namespace stockade::native
