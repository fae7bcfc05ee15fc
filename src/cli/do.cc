#include "cli/cli.h"
#include "runtime/do.h"

namespace stockade::cli {

void AddDo(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<runtime::DoOptions>();
  auto* sub = app.add_subcommand("do", "run a command in a new sandbox over the host's root (as runsc do)");
  sub->add_option("--cwd", o->cwd, "working directory (default: the current one)");
  // Everything from the command on is its own (`do sh -c '...'`): main
  // splits it off before parsing, as for exec.
  sub->callback([&app, &ctx, o] {
    o->args = ctx.exec_command;
    ctx.action = [&app, &ctx, o] {
      runtime::Globals g = ctx.globals;
      // As runsc do: the Sentry, with no network unless asked for.
      if (app.get_option("--platform")->count() == 0) g.platform = "systrap";
      if (app.get_option("--network")->count() == 0) g.network = "none";
      auto r = runtime::Do(g, *o);
      return r.ok() ? *r : Fail(r.error());
    };
  });
}

}  // namespace stockade::cli
