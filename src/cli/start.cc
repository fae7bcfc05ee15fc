#include "cli/cli.h"

namespace stockade::cli {

void AddStart(CLI::App& app, Context& ctx) {
  auto id = std::make_shared<std::string>();
  auto* sub = app.add_subcommand("start", "start a created container");
  sub->add_option("container-id", *id)->required();
  sub->callback([&ctx, id] {
    ctx.action = [&ctx, id] {
      auto st = runtime::Start(ctx.globals, *id);
      return st.ok() ? 0 : Fail(st.error());
    };
  });
}

}  // namespace stockade::cli
