#include "base/io.h"
#include "cli/cli.h"
#include "oci/parse.h"

namespace stockade::cli {

void AddExec(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<runtime::ExecOptions>();
  auto process_file = std::make_shared<std::string>();
  auto* sub = app.add_subcommand("exec", "run a new process in a running container");
  sub->add_option("-p,--process", *process_file, "process.json to run");
  sub->add_flag("-d,--detach", o->detach, "do not wait for the process");
  sub->add_option("--pid-file", o->pid_file);
  sub->add_flag("-t,--tty", o->tty, "allocate a pseudo-TTY");
  sub->add_option("--console-socket", o->console_socket);
  sub->add_option("--cwd", o->cwd);
  sub->add_option("-e,--env", o->env)->allow_extra_args(false);
  sub->add_option("-u,--user", o->user, "UID[:GID]");
  sub->add_option("-c,--cap", o->caps)->allow_extra_args(false);
  sub->add_flag("--no-new-privs", o->no_new_privs);
  std::string ignored;
  sub->add_option("--process-label,--apparmor,--cgroup", ignored, "accepted for runc compatibility");
  std::vector<int> gids;
  sub->add_option("-g,--additional-gids", gids)->allow_extra_args(false);
  std::string preserve;
  sub->add_option("--preserve-fds", preserve);
  // The command after the ID was split off by main (it keeps its own flags).
  sub->add_option("container-id", o->id)->required();
  sub->callback([&ctx, o, process_file] {
    ctx.action = [&ctx, o, process_file] {
      o->args = ctx.exec_command;
      if (!process_file->empty()) {
        auto text = ReadFile(*process_file);
        if (!text.ok()) return Fail(text.error());
        auto p = oci::ParseProcess(*text);
        if (!p.ok()) return Fail(p.error());
        o->process = *p;
      }
      auto r = runtime::Exec(ctx.globals, *o);
      return r.ok() ? *r : Fail(r.error());
    };
  });
}

}  // namespace stockade::cli
