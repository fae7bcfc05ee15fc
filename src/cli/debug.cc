#include <cstdio>

#include "cli/cli.h"

namespace stockade::cli {

// `stockade debug --stacks ID`: the sandbox's thread stacks, as `runsc debug --stacks`.
void AddDebug(CLI::App& app, Context& ctx) {
  auto id = std::make_shared<std::string>();
  auto stacks = std::make_shared<bool>(false);
  auto* sub = app.add_subcommand("debug", "inspect a running sandbox");
  sub->add_flag("--stacks", *stacks, "print the sandbox's thread stacks");
  sub->add_option("container-id", *id)->required();
  sub->callback([&ctx, id, stacks] {
    ctx.action = [&ctx, id, stacks] {
      if (!*stacks) return Fail("debug: nothing to do (try --stacks)");
      auto r = runtime::DebugStacks(ctx.globals, *id);
      if (!r.ok()) return Fail(r.error());
      printf("%s", r->is_string() ? r->get<std::string>().c_str() : r->dump().c_str());
      return 0;
    };
  });
}

}  // namespace stockade::cli
