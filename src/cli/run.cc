#include "cli/cli.h"

namespace stockade::cli {

void AddRun(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<runtime::CreateOptions>();
  auto detach = std::make_shared<bool>(false);
  auto* sub = app.add_subcommand("run", "create and start a container, and wait for it");
  AddCreateFlags(sub, *o);
  sub->add_flag("-d,--detach", *detach, "do not wait for the container");
  bool keep = false;
  sub->add_flag("--keep", keep, "accepted for runc compatibility");
  sub->callback([&ctx, o, detach] {
    ctx.action = [&ctx, o, detach] {
      auto r = runtime::Run(ctx.globals, *o, *detach);
      return r.ok() ? *r : Fail(r.error());
    };
  });
}

}  // namespace stockade::cli
