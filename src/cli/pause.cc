#include "cli/cli.h"

namespace stockade::cli {

void AddPauseResume(CLI::App& app, Context& ctx) {
  for (bool pause : {true, false}) {
    auto id = std::make_shared<std::string>();
    auto* sub = app.add_subcommand(pause ? "pause" : "resume",
                                   pause ? "freeze all processes of a container" : "thaw a paused container");
    sub->add_option("container-id", *id)->required();
    sub->callback([&ctx, id, pause] {
      ctx.action = [&ctx, id, pause] {
        auto st = pause ? runtime::Pause(ctx.globals, *id) : runtime::Resume(ctx.globals, *id);
        return st.ok() ? 0 : Fail(st.error());
      };
    });
  }
}

}  // namespace stockade::cli
