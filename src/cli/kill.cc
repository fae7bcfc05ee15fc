#include "base/proc.h"
#include "cli/cli.h"

namespace stockade::cli {

void AddKill(CLI::App& app, Context& ctx) {
  auto id = std::make_shared<std::string>();
  auto sig = std::make_shared<std::string>("SIGTERM");
  auto all = std::make_shared<bool>(false);
  auto* sub = app.add_subcommand("kill", "send a signal to a container's init (or all its processes)");
  sub->add_flag("-a,--all", *all, "signal every process of the container");
  sub->add_option("container-id", *id)->required();
  sub->add_option("signal", *sig, "name or number (default SIGTERM)");
  sub->callback([&ctx, id, sig, all] {
    ctx.action = [&ctx, id, sig, all] {
      auto n = ParseSignal(*sig);
      if (!n) return Fail("unknown signal \"" + *sig + "\"");
      auto st = runtime::Kill(ctx.globals, *id, *n, *all);
      return st.ok() ? 0 : Fail(st.error());
    };
  });
}

}  // namespace stockade::cli
