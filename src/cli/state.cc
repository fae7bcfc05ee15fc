#include "cli/cli.h"

namespace stockade::cli {

void AddState(CLI::App& app, Context& ctx) {
  auto id = std::make_shared<std::string>();
  auto* sub = app.add_subcommand("state", "print the OCI state of a container");
  sub->add_option("container-id", *id)->required();
  sub->callback([&ctx, id] {
    ctx.action = [&ctx, id] {
      auto r = runtime::State(ctx.globals, *id);
      if (!r.ok()) return Fail(r.error());
      PrintJson(*r);
      return 0;
    };
  });
}

}  // namespace stockade::cli
