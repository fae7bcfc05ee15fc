#include "base/io.h"
#include "cli/cli.h"
#include "oci/default_spec.h"

namespace stockade::cli {

void AddSpec(CLI::App& app, Context& ctx) {
  auto bundle = std::make_shared<std::string>(".");
  auto rootless = std::make_shared<bool>(false);
  auto* sub = app.add_subcommand("spec", "write a default config.json");
  sub->add_option("-b,--bundle", *bundle, "directory to write config.json to");
  sub->add_flag("--rootless", *rootless, "a spec for a rootless container");
  sub->callback([&ctx, bundle, rootless] {
    ctx.action = [bundle, rootless] {
      std::string path = JoinPath(*bundle, "config.json");
      if (PathExists(path)) return Fail("File " + path + " exists. Remove it first");
      auto st = WriteFileAtomic(path, oci::DefaultSpec(*rootless).dump(2) + "\n", 0644);
      return st.ok() ? 0 : Fail(st.error());
    };
  });
}

}  // namespace stockade::cli
