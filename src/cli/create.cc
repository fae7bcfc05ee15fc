#include "cli/cli.h"

namespace stockade::cli {

void AddCreate(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<runtime::CreateOptions>();
  auto* sub = app.add_subcommand("create", "create a container");
  AddCreateFlags(sub, *o);
  sub->callback([&ctx, o] {
    ctx.action = [&ctx, o] {
      auto r = runtime::Create(ctx.globals, *o);
      return r.ok() ? 0 : Fail(r.error());
    };
  });
}

}  // namespace stockade::cli
