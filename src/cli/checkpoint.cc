#include "boot/api/api.h"
#include "cli/cli.h"

namespace stockade::cli {

// Checkpoint and restore need the Sentry; on native the sandbox answers that it cannot.
void AddCheckpointRestore(CLI::App& app, Context& ctx) {
  for (const char* name : {"checkpoint", "restore"}) {
    auto id = std::make_shared<std::string>();
    auto* sub = app.add_subcommand(name, std::string(name) + " a container (Sentry platforms only)");
    // runc's flags are accepted so that callers get the real answer, not a usage error.
    // CLI11 keeps references to these: they must outlive parsing.
    static std::vector<std::string> sink;
    for (const char* opt : {"--image-path", "--work-path", "--parent-path", "--manage-cgroups-mode",
                            "--page-server", "--status-fd", "--empty-ns", "-b,--bundle", "--pid-file",
                            "--console-socket", "--lsm-profile", "--lsm-mount-context"}) {
      sub->add_option(opt, sink);
    }
    static bool flags = false;
    for (const char* flag : {"--leave-running", "--tcp-established", "--ext-unix-sk", "--shell-job",
                             "--lazy-pages", "--file-locks", "--pre-dump", "--auto-dedup",
                             "-d,--detach", "--no-subreaper", "--no-pivot", "--skip-in-flight"}) {
      sub->add_flag(flag, flags);
    }
    sub->add_option("container-id", *id)->required();
    bool restore = std::string(name) == "restore";
    sub->callback([&ctx, id, restore] {
      ctx.action = [&ctx, id, restore] {
        // Restore makes a new sandbox; no platform can do that yet.
        if (restore) {
          return Fail("restore is not supported on platform \"" + ctx.globals.platform + "\"");
        }
        auto st = runtime::Unsupported(ctx.globals, *id, restore ? boot_api::kRestore : boot_api::kCheckpoint);
        return st.ok() ? 0 : Fail(st.error());
      };
    });
  }
}

}  // namespace stockade::cli
