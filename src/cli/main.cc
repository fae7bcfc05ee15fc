// Entry point: `stockade boot` is the sandbox; everything else is the runc-compatible CLI.
#include <unistd.h>

#include <cstring>
#include <iostream>
#include <set>

#include "base/log.h"
#include "boot/boot.h"
#include "gofer/config.h"
#include "cli/cli.h"

namespace stockade::cli {
namespace {

constexpr char kVersion[] = "0.1.0";

// runc (Go's flag package) also accepts long flags with one dash: "-bundle x". Callers use both.
std::vector<std::string> NormalizeArgs(int argc, char** argv) {
  static const char* kLong[] = {"root", "log", "log-format", "debug", "debug-log", "systemd-cgroup",
                                "platform", "network", "overlay", "bundle", "pid-file", "console-socket",
                                "detach", "force", "all", "format", "process", "tty", "cwd",
                                "env", "user", "stats", "interval", "resources", "rootless",
                                "no-pivot", "no-new-keyring", "preserve-fds", "keep", "cap",
                                "no-new-privs", "signal", "additional-gids", "process-label",
                                "apparmor", "criu", "image-path", "work-path", "systrap-no-patch"};
  std::vector<std::string> out;
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    if (i > 0 && a.size() > 2 && a[0] == '-' && a[1] != '-') {
      std::string name = a.substr(1, a.find('=') == std::string::npos ? std::string::npos : a.find('=') - 1);
      for (const char* l : kLong) {
        if (name == l) {
          a = "-" + a;
          break;
        }
      }
    }
    out.push_back(a);
  }
  return out;
}

// `exec ID CMD ARGS...` and `do CMD ARGS...`: everything after the container ID (exec) or
// after do's own flags belongs to the command, flags included, so we split there ourselves
// (runc stops flag parsing at the first positional). Returns the command part and truncates
// `args` before it.
std::vector<std::string> SplitExecCommand(std::vector<std::string>& args) {
  static const std::set<std::string> kWithValue = {
      "--root", "--log", "--log-format", "--debug-log", "--platform", "--network", "--overlay", "--criu",
      "-p", "--process", "--pid-file", "--console-socket", "--cwd", "-e", "--env", "-u", "--user",
      "-c", "--cap", "--process-label", "--apparmor", "-g", "--additional-gids",
      "--preserve-fds", "--cgroup"};
  size_t i = 1;
  bool in_exec = false, in_do = false;
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      if (!in_exec) break;
      args.erase(args.begin() + static_cast<long>(i));
      break;
    }
    if (!a.empty() && a[0] == '-') {
      if (a.find('=') == std::string::npos && kWithValue.count(a) != 0) ++i;
      continue;
    }
    if (!in_exec && !in_do) {
      if (a != "exec" && a != "do") return {};
      (a == "exec" ? in_exec : in_do) = true;
      continue;
    }
    break;  // exec's container ID, or do's command
  }
  if (!(in_exec || in_do) || i >= args.size()) return {};
  size_t first = in_exec ? i + 1 : i;
  std::vector<std::string> cmd(args.begin() + static_cast<long>(first), args.end());
  args.resize(first);
  return cmd;
}

int Main(int argc, char** argv) {
  if (argc >= 4 && strcmp(argv[1], "boot") == 0 && strcmp(argv[2], "--config-fd") == 0) {
    return boot::BootMain(atoi(argv[3]));
  }
  if (argc >= 4 && strcmp(argv[1], "gofer") == 0 && strcmp(argv[2], "--config-fd") == 0) {
    return gofer::GoferMain(atoi(argv[3]));
  }
  Context ctx;
  CLI::App app{"Stockade: a sandboxed OCI container runtime", "stockade"};
  app.set_version_flag("-v,--version",
                       std::string("stockade version ") + kVersion +
                           "\nspec: 1.2.0\nplatforms: native, ptrace\n");
  app.require_subcommand(1);
  app.fallthrough();
  app.add_option("--root", ctx.globals.root, "state directory")->default_val(
      geteuid() == 0 ? "/run/stockade"
                     : (getenv("XDG_RUNTIME_DIR") ? std::string(getenv("XDG_RUNTIME_DIR")) : "/tmp") + "/stockade");
  app.add_option("--log", ctx.log_file, "log file (default stderr)");
  app.add_option("--log-format", ctx.log_format, "text or json")->check(CLI::IsMember({"text", "json"}));
  app.add_flag("--debug", ctx.debug, "debug logging");
  app.add_option("--debug-log", ctx.debug_log, "debug log file, or DIR/ for one file per process");
  app.add_flag("--systemd-cgroup", ctx.globals.systemd_cgroup, "cgroupsPath is slice:prefix:name");
  app.add_option("--platform", ctx.globals.platform, "native, ptrace or systrap")
      ->check(CLI::IsMember({"native", "ptrace", "systrap", "kvm"}));
  app.add_flag("--strace", ctx.globals.strace, "log the application's system calls (Sentry platforms)");
  app.add_flag("--systrap-no-patch", ctx.globals.systrap_no_patch,
               "systrap: do not patch hot syscall sites in application code into direct calls");
  app.add_option("--network", ctx.globals.network, "sandbox, host or none")
      ->check(CLI::IsMember({"sandbox", "host", "none"}));
  app.add_option("--overlay", ctx.globals.overlay,
                 "Sentry platforms: memory (the rootfs's changes stay in the sandbox's memory) or none "
                 "(they reach the host)")
      ->check(CLI::IsMember({"memory", "none"}));
  bool ignored = false;
  app.add_flag("--rootless", ignored, "accepted for runc compatibility");
  std::string criu;
  app.add_option("--criu", criu, "accepted for runc compatibility");

  AddCreate(app, ctx);
  AddStart(app, ctx);
  AddRun(app, ctx);
  AddState(app, ctx);
  AddList(app, ctx);
  AddKill(app, ctx);
  AddDelete(app, ctx);
  AddWait(app, ctx);
  AddPs(app, ctx);
  AddExec(app, ctx);
  AddEvents(app, ctx);
  AddPauseResume(app, ctx);
  AddUpdate(app, ctx);
  AddSpec(app, ctx);
  AddFeatures(app, ctx);
  AddCheckpointRestore(app, ctx);
  AddDebug(app, ctx);
  AddDo(app, ctx);

  std::vector<std::string> args = NormalizeArgs(argc, argv);
  ctx.exec_command = SplitExecCommand(args);
  std::vector<std::string> rev(args.rbegin(), args.rend() - 1);
  try {
    app.parse(rev);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string msg = e.what();
    std::cerr << msg << (msg.empty() || msg.back() != '\n' ? "\n" : "");
    return 1;
  }
  log::Options lo;
  lo.component = "cli";
  lo.file = ctx.log_file;
  bool ok;
  lo.format = log::ParseFormat(ctx.log_format, &ok);
  lo.debug = ctx.debug;
  lo.debug_log = ctx.debug_log;
  std::string err = log::Init(lo);
  if (!err.empty()) {
    std::cerr << err << "\n";
    return 1;
  }
  LOG_DEBUG("command line: %s", [&] {
    std::string s;
    for (const auto& a : args) s += a + " ";
    return s;
  }().c_str());
  if (!ctx.action) return Fail("no command given");
  return ctx.action();
}

}  // namespace
}  // namespace stockade::cli

int main(int argc, char** argv) {
  try {
    return stockade::cli::Main(argc, argv);
  } catch (const std::exception& e) {
    return stockade::cli::Fail(std::string("internal error: ") + e.what());
  }
}
