#include "cli/cli.h"
#include "oci/features.h"

namespace stockade::cli {

void AddFeatures(CLI::App& app, Context& ctx) {
  auto* sub = app.add_subcommand("features", "print the runtime's features as JSON");
  sub->callback([&ctx] {
    ctx.action = [] {
      PrintJson(oci::Features());
      return 0;
    };
  });
}

}  // namespace stockade::cli
