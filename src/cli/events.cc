#include <unistd.h>

#include <chrono>
#include <thread>

#include "cli/cli.h"

namespace stockade::cli {

void AddEvents(CLI::App& app, Context& ctx) {
  auto id = std::make_shared<std::string>();
  auto stats = std::make_shared<bool>(false);
  auto interval = std::make_shared<std::string>("5s");
  auto* sub = app.add_subcommand("events", "print container stats, once (--stats) or every --interval");
  sub->add_flag("--stats", *stats, "print stats once and exit");
  sub->add_option("--interval", *interval, "streaming interval, e.g. 5s or 500ms");
  sub->add_option("container-id", *id)->required();
  sub->callback([&ctx, id, stats, interval] {
    ctx.action = [&ctx, id, stats, interval] {
      double secs = atof(interval->c_str());
      if (interval->size() > 2 && interval->substr(interval->size() - 2) == "ms") secs /= 1000;
      if (secs <= 0) return Fail("invalid --interval \"" + *interval + "\"");
      for (;;) {
        auto r = runtime::Stats(ctx.globals, *id);
        if (!r.ok()) {
          // Streaming ends quietly when the container goes away.
          return *stats ? Fail(r.error()) : 0;
        }
        PrintJson(*r, false);
        if (*stats) return 0;
        std::this_thread::sleep_for(std::chrono::duration<double>(secs));
      }
    };
  });
}

}  // namespace stockade::cli
