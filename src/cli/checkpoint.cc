#include "boot/api/api.h"
#include "cli/cli.h"

namespace stockade::cli {

// Checkpoint and restore need the Sentry; on native the sandbox answers that it cannot.
void AddCheckpointRestore(CLI::App& app, Context& ctx) {
  for (const char* name : {"checkpoint", "restore"}) {
    auto id = std::make_shared<std::string>();
    auto* sub = app.add_subcommand(name, std::string(name) + " a container (Sentry platforms only)");
    sub->allow_extras();
    sub->add_option("container-id", *id)->required();
    bool restore = std::string(name) == "restore";
    sub->callback([&ctx, id, restore] {
      ctx.action = [&ctx, id, restore] {
        auto st = runtime::Unsupported(ctx.globals, *id, restore ? boot_api::kRestore : boot_api::kCheckpoint);
        return st.ok() ? 0 : Fail(st.error());
      };
    });
  }
}

}  // namespace stockade::cli
