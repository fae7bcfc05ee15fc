#include "boot/native/seccomp.h"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <string_view>
#include <utility>
#include <vector>

#include "base/io.h"
#include "base/log.h"
#include "base/unique_fd.h"

namespace stockade::native {
namespace {

// Linux system calls take at most 6 arguments.
constexpr uint32_t kMaxSyscallArgs = 6;
// runc enables libseccomp's binary-tree layout above this many rules (and not below: libseccomp
// <= 2.5.4 misbehaves with it on empty rule sets).
constexpr size_t kOptimizeThreshold = 32;

std::string Quote(const std::string& s) { return "\"" + s + "\""; }

Status ApplyFlag(scmp_filter_ctx ctx, const std::string& flag) {
  if (flag == "SECCOMP_FILTER_FLAG_TSYNC") {
    // We are single-threaded when loading; there is nothing to synchronise.
    return Ok();
  }
  if (flag == "SECCOMP_FILTER_FLAG_LOG") {
    int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_LOG, 1);
    if (rc < 0) return Error(-rc, "setting seccomp flag " + flag);
    return Ok();
  }
  if (flag == "SECCOMP_FILTER_FLAG_SPEC_ALLOW") {
    int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_SSB, 1);
    if (rc < 0) return Error(-rc, "setting seccomp flag " + flag);
    return Ok();
  }
  if (flag == "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV") {
    return Error(ENOTSUP, "seccomp flag " + flag + " needs libseccomp >= 2.6");
  }
  return Error(EINVAL, "seccomp flag " + Quote(flag) + " is not known");
}

}  // namespace

SeccompFilter::SeccompFilter(SeccompFilter&& o) noexcept
    : ctx_(std::exchange(o.ctx_, nullptr)), uses_notify_(o.uses_notify_) {}

SeccompFilter& SeccompFilter::operator=(SeccompFilter&& o) noexcept {
  if (this != &o) {
    if (ctx_ != nullptr) seccomp_release(ctx_);
    ctx_ = std::exchange(o.ctx_, nullptr);
    uses_notify_ = o.uses_notify_;
  }
  return *this;
}

SeccompFilter::~SeccompFilter() {
  if (ctx_ != nullptr) seccomp_release(ctx_);
}

Result<std::string> SeccompFilter::ExportBpf() const {
  UniqueFd fd(::memfd_create("seccomp-bpf", MFD_CLOEXEC));
  if (!fd.valid()) return Error::FromErrno("memfd_create");
  int rc = seccomp_export_bpf(ctx_, fd.get());
  if (rc < 0) return Error(-rc, "exporting seccomp BPF");
  if (::lseek(fd.get(), 0, SEEK_SET) != 0) return Error::FromErrno("lseek");
  return ReadAll(fd.get());
}

Result<int> SeccompFilter::Load() const {
  int rc = seccomp_load(ctx_);
  if (rc < 0) return Error(-rc, "loading seccomp filter into the kernel");
  if (!uses_notify_) return -1;
  // libseccomp keeps this FD in global state; hand out a duplicate the caller owns. The kernel
  // created the original close-on-exec, so it does not reach the container.
  int fd = seccomp_notify_fd(ctx_);
  if (fd < 0) return Error(-fd, "getting the seccomp notify FD");
  int dup = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
  if (dup < 0) return Error::FromErrno("duplicating the seccomp notify FD");
  return dup;
}

Result<uint32_t> ParseSeccompAction(const std::string& name, std::optional<uint32_t> errno_ret) {
  if (name == "SCMP_ACT_KILL" || name == "SCMP_ACT_KILL_THREAD") return SCMP_ACT_KILL_THREAD;
  if (name == "SCMP_ACT_KILL_PROCESS") return SCMP_ACT_KILL_PROCESS;
  if (name == "SCMP_ACT_TRAP") return SCMP_ACT_TRAP;
  if (name == "SCMP_ACT_ALLOW") return SCMP_ACT_ALLOW;
  if (name == "SCMP_ACT_LOG") return SCMP_ACT_LOG;
  if (name == "SCMP_ACT_NOTIFY") return SCMP_ACT_NOTIFY;
  // The return value is 16 bits in the kernel ABI (SECCOMP_RET_DATA); runc truncates the same.
  const uint32_t data = errno_ret.value_or(EPERM) & 0xffff;
  if (name == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO(data);
  if (name == "SCMP_ACT_TRACE") return SCMP_ACT_TRACE(data);
  return Error(EINVAL, "invalid seccomp action " + Quote(name));
}

Result<scmp_compare> ParseSeccompOperator(const std::string& op) {
  if (op == "SCMP_CMP_NE") return SCMP_CMP_NE;
  if (op == "SCMP_CMP_LT") return SCMP_CMP_LT;
  if (op == "SCMP_CMP_LE") return SCMP_CMP_LE;
  if (op == "SCMP_CMP_EQ") return SCMP_CMP_EQ;
  if (op == "SCMP_CMP_GE") return SCMP_CMP_GE;
  if (op == "SCMP_CMP_GT") return SCMP_CMP_GT;
  if (op == "SCMP_CMP_MASKED_EQ") return SCMP_CMP_MASKED_EQ;
  return Error(EINVAL, "invalid seccomp operator " + Quote(op));
}

Result<uint32_t> ParseSeccompArch(const std::string& name) {
  constexpr std::string_view kPrefix = "SCMP_ARCH_";
  if (name.compare(0, kPrefix.size(), kPrefix) == 0) {
    std::string arch = name.substr(kPrefix.size());
    for (auto& c : arch) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
    if (arch == "native") return seccomp_arch_native();
    // libseccomp's own names are the lowercase suffixes ("x86_64", "aarch64", "mips64n32"...).
    if (uint32_t token = seccomp_arch_resolve_name(arch.c_str()); token != 0) return token;
  }
  return Error(EINVAL, "invalid seccomp architecture " + Quote(name));
}

bool SeccompEnabled(const oci::Seccomp& s) {
  return !s.default_action.empty() || !s.syscalls.empty();
}

Result<SeccompFilter> BuildSeccompFilter(const oci::Seccomp& s) {
  if (s.default_action == "SCMP_ACT_NOTIFY") {
    // Everything, including the writes that hand the listener FD over, would block.
    return Error(EINVAL, "SCMP_ACT_NOTIFY cannot be used as default action");
  }
  ASSIGN_OR_RETURN(uint32_t def, ParseSeccompAction(s.default_action, s.default_errno_ret));
  bool notify = false;
  for (const auto& sc : s.syscalls) {
    if (sc.action != "SCMP_ACT_NOTIFY") continue;
    notify = true;
    for (const auto& n : sc.names) {
      if (n == "write") {
        return Error(EINVAL, "SCMP_ACT_NOTIFY cannot be used for the write syscall");
      }
    }
  }

  scmp_filter_ctx ctx = seccomp_init(def);
  if (ctx == nullptr) return Error(EINVAL, "creating seccomp filter (seccomp_init)");
  SeccompFilter filter(ctx, notify);

  for (const auto& a : s.architectures) {
    ASSIGN_OR_RETURN(uint32_t arch, ParseSeccompArch(a));
    int rc = seccomp_arch_add(ctx, arch);
    if (rc < 0 && rc != -EEXIST) return Error(-rc, "adding seccomp architecture " + a);
  }

  if (s.flags.empty()) {
    // runc: with no flags given, SPEC_ALLOW is the default where libseccomp and the kernel
    // support it (API level 4).
    if (seccomp_api_get() >= 4) (void)seccomp_attr_set(ctx, SCMP_FLTATR_CTL_SSB, 1);
  } else {
    for (const auto& f : s.flags) TRY(ApplyFlag(ctx, f));
  }
  if (s.syscalls.size() > kOptimizeThreshold) {
    (void)seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
  }
  // libseccomp sets no_new_privs on load by default; process.noNewPrivileges decides that.
  if (int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0); rc < 0) {
    return Error(-rc, "clearing the seccomp no_new_privs attribute");
  }

  for (const auto& sc : s.syscalls) {
    ASSIGN_OR_RETURN(uint32_t act, ParseSeccompAction(sc.action, sc.errno_ret));
    // libseccomp rejects rules equal to the default action; they are redundant anyway.
    if (act == def) continue;
    std::vector<scmp_arg_cmp> conds;
    std::array<int, kMaxSyscallArgs> per_index{};
    bool repeated_index = false;
    for (const auto& a : sc.args) {
      if (a.index >= kMaxSyscallArgs) {
        return Error(EINVAL, "seccomp argument index " + std::to_string(a.index) + " out of range");
      }
      ASSIGN_OR_RETURN(scmp_compare op, ParseSeccompOperator(a.op));
      conds.push_back(SCMP_CMP(a.index, op, a.value, a.value_two));
      repeated_index = repeated_index || ++per_index[a.index] > 1;
    }
    for (const auto& name : sc.names) {
      if (name.empty()) return Error(EINVAL, "empty string is not a valid syscall");
      int nr = seccomp_syscall_resolve_name(name.c_str());
      if (nr == __NR_SCMP_ERROR) {
        LOG_DEBUG("unknown seccomp syscall \"%s\" ignored", name.c_str());
        continue;
      }
      int rc = 0;
      if (repeated_index) {
        // libseccomp cannot AND two comparisons on one argument; runc's behaviour is one rule
        // per comparison, i.e. they are ORed.
        for (const auto& c : conds) {
          rc = seccomp_rule_add_array(ctx, act, nr, 1, &c);
          if (rc < 0) break;
        }
      } else {
        rc = seccomp_rule_add_array(ctx, act, nr, static_cast<unsigned>(conds.size()),
                                    conds.empty() ? nullptr : conds.data());
      }
      if (rc < 0) return Error(-rc, "adding seccomp rule for syscall " + name);
    }
  }
  return filter;
}

Result<CompiledSeccomp> CompileSeccomp(const oci::Seccomp& s) {
  ASSIGN_OR_RETURN(SeccompFilter filter, BuildSeccompFilter(s));
  if (filter.uses_notify()) return Error(ENOTSUP, "seccomp notify filters are loaded by libseccomp");
  CompiledSeccomp c;
  ASSIGN_OR_RETURN(c.bpf, filter.ExportBpf());
  // The same flags seccomp_load() would pass for these attributes.
  uint32_t v = 0;
  if (seccomp_attr_get(filter.get(), SCMP_FLTATR_CTL_TSYNC, &v) == 0 && v != 0) c.flags |= SECCOMP_FILTER_FLAG_TSYNC;
  v = 0;
  if (seccomp_attr_get(filter.get(), SCMP_FLTATR_CTL_LOG, &v) == 0 && v != 0) c.flags |= SECCOMP_FILTER_FLAG_LOG;
  v = 0;
  if (seccomp_attr_get(filter.get(), SCMP_FLTATR_CTL_SSB, &v) == 0 && v != 0) c.flags |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
  return c;
}

Status LoadCompiledSeccomp(const CompiledSeccomp& c) {
  if (c.bpf.empty() || c.bpf.size() % sizeof(struct sock_filter) != 0) {
    return Error(EINVAL, "malformed compiled seccomp filter");
  }
  struct sock_fprog prog;
  prog.len = static_cast<unsigned short>(c.bpf.size() / sizeof(struct sock_filter));
  prog.filter = reinterpret_cast<struct sock_filter*>(const_cast<char*>(c.bpf.data()));
  if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, c.flags, &prog) != 0) {
    return Error::FromErrno("loading seccomp filter into the kernel");
  }
  return Ok();
}

Status LoadSeccomp(const oci::Seccomp& s, const SeccompNotifyHandler& on_notify) {
  if (!SeccompEnabled(s)) return Ok();
  ASSIGN_OR_RETURN(SeccompFilter filter, BuildSeccompFilter(s));
  // Check before loading: afterwards a notifying syscall with nobody listening would hang.
  if (filter.uses_notify()) {
    if (s.listener_path.empty()) {
      return Error(EINVAL, "seccomp action SCMP_ACT_NOTIFY requires linux.seccomp.listenerPath");
    }
    if (!on_notify) {
      return Error(ENOTSUP,
                   "seccomp action SCMP_ACT_NOTIFY: no handler to pass the listener FD "
                   "to \"" +
                       s.listener_path + "\"");
    }
  }
  ASSIGN_OR_RETURN(int fd, filter.Load());
  if (fd >= 0) {
    UniqueFd owned(fd);
    TRY_CTX(on_notify(fd), "passing the seccomp listener FD to \"" + s.listener_path + "\"");
  }
  return Ok();
}

}  // namespace stockade::native
