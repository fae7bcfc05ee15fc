#include "cli/cli.h"

namespace stockade::cli {

// As runsc: waits for the container's init and prints {"id","exitStatus"}.
void AddWait(CLI::App& app, Context& ctx) {
  auto id = std::make_shared<std::string>();
  auto* sub = app.add_subcommand("wait", "wait for a container to exit and print its exit status");
  sub->add_option("container-id", *id)->required();
  sub->callback([&ctx, id] {
    ctx.action = [&ctx, id] {
      auto r = runtime::Wait(ctx.globals, *id);
      if (!r.ok()) return Fail(r.error());
      PrintJson({{"id", *id}, {"exitStatus", *r}}, false);
      return 0;
    };
  });
}

}  // namespace stockade::cli
