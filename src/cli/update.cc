#include <unistd.h>

#include "base/io.h"
#include "cli/cli.h"
#include "oci/parse.h"

namespace stockade::cli {
namespace {

// Reuses the spec parser, so resources are checked with the same field-named errors.
Result<oci::Resources> ParseResources(const nlohmann::json& res) {
  nlohmann::json doc = {{"ociVersion", "1.0.2"}, {"linux", {{"resources", res}}}};
  ASSIGN_OR_RETURN(oci::Spec spec, oci::ParseSpec(doc.dump()));
  if (!spec.linux || !spec.linux->resources) return oci::Resources{};
  return *spec.linux->resources;
}

}  // namespace

void AddUpdate(CLI::App& app, Context& ctx) {
  struct Flags {
    std::string id, resources;
    std::optional<int64_t> memory, cpu_quota, pids;
    std::optional<uint64_t> cpu_period, cpu_shares;
  };
  auto f = std::make_shared<Flags>();
  auto* sub = app.add_subcommand("update", "change a running container's resource limits");
  sub->add_option("-r,--resources", f->resources, "resources JSON file, or - for stdin");
  sub->add_option("--memory", f->memory, "memory limit in bytes");
  sub->add_option("--cpu-quota", f->cpu_quota);
  sub->add_option("--cpu-period", f->cpu_period);
  sub->add_option("--cpu-shares", f->cpu_shares);
  sub->add_option("--pids-limit", f->pids);
  sub->add_option("container-id", f->id)->required();
  sub->callback([&ctx, f] {
    ctx.action = [&ctx, f] {
      nlohmann::json res = nlohmann::json::object();
      if (!f->resources.empty()) {
        auto text = f->resources == "-" ? ReadAll(STDIN_FILENO) : ReadFile(f->resources);
        if (!text.ok()) return Fail(text.error());
        res = nlohmann::json::parse(*text, nullptr, false);
        if (res.is_discarded() || !res.is_object()) return Fail("update: resources must be a JSON object");
      }
      if (f->memory) res["memory"]["limit"] = *f->memory;
      if (f->cpu_quota) res["cpu"]["quota"] = *f->cpu_quota;
      if (f->cpu_period) res["cpu"]["period"] = *f->cpu_period;
      if (f->cpu_shares) res["cpu"]["shares"] = *f->cpu_shares;
      if (f->pids) res["pids"]["limit"] = *f->pids;
      auto r = ParseResources(res);
      if (!r.ok()) return Fail(r.error());
      auto st = runtime::Update(ctx.globals, f->id, *r);
      return st.ok() ? 0 : Fail(st.error());
    };
  });
}

}  // namespace stockade::cli
