#include "cli/cli.h"

namespace stockade::cli {

void AddDelete(CLI::App& app, Context& ctx) {
  auto ids = std::make_shared<std::vector<std::string>>();
  auto force = std::make_shared<bool>(false);
  auto* sub = app.add_subcommand("delete", "delete a container and everything it holds");
  sub->alias("rm");
  sub->add_flag("-f,--force", *force, "kill it first if it is running");
  sub->add_option("container-id", *ids)->required();
  sub->callback([&ctx, ids, force] {
    ctx.action = [&ctx, ids, force] {
      int rc = 0;
      for (const auto& id : *ids) {
        auto st = runtime::Delete(ctx.globals, id, *force);
        if (!st.ok()) rc = Fail(st.error());
      }
      return rc;
    };
  });
}

}  // namespace stockade::cli
