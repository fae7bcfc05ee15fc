#include <cstdio>

#include "cli/cli.h"

namespace stockade::cli {

void AddList(CLI::App& app, Context& ctx) {
  auto format = std::make_shared<std::string>("table");
  auto quiet = std::make_shared<bool>(false);
  auto* sub = app.add_subcommand("list", "list containers");
  sub->alias("ls");
  sub->add_option("-f,--format", *format)->check(CLI::IsMember({"table", "json"}));
  sub->add_flag("-q,--quiet", *quiet, "IDs only");
  sub->callback([&ctx, format, quiet] {
    ctx.action = [&ctx, format, quiet] {
      auto states = runtime::ListStates(ctx.globals);
      if (*quiet) {
        for (const auto& s : states) printf("%s\n", s["id"].get<std::string>().c_str());
        return 0;
      }
      if (*format == "json") {
        PrintJson(nlohmann::json(states), false);
        return 0;
      }
      printf("%-12s %-10s %-10s %-40s %-30s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER");
      for (const auto& s : states) {
        printf("%-12s %-10d %-10s %-40s %-30s %s\n", s["id"].get<std::string>().c_str(),
               s["pid"].get<int>(), s["status"].get<std::string>().c_str(),
               s["bundle"].get<std::string>().c_str(), s["created"].get<std::string>().c_str(),
               s["owner"].get<std::string>().c_str());
      }
      return 0;
    };
  });
}

}  // namespace stockade::cli
