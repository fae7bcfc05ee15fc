#include <unistd.h>

#include <cctype>
#include <optional>

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

// runc's sizes: a number with an optional binary unit (k, m, g, t, p; with or without "b"),
// or -1 for unlimited.
std::optional<int64_t> ParseBytes(const std::string& text) {
  if (text == "-1") return -1;
  size_t end = 0;
  double v;
  try {
    v = std::stod(text, &end);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (v < 0) return std::nullopt;
  std::string unit = text.substr(end);
  for (char& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!unit.empty() && unit.back() == 'b') unit.pop_back();
  if (!unit.empty() && unit.back() == 'i') unit.pop_back();
  static const std::string kUnits = "kmgtp";
  double mult = 1;
  if (!unit.empty()) {
    size_t i = kUnits.find(unit);
    if (unit.size() != 1 || i == std::string::npos) return std::nullopt;
    for (size_t k = 0; k <= i; ++k) mult *= 1024;
  }
  return static_cast<int64_t>(v * mult);
}

void AddUpdate(CLI::App& app, Context& ctx) {
  struct Flags {
    std::string id, resources;
    std::string memory, memory_reservation, memory_swap, kernel_memory, kernel_memory_tcp;
    std::optional<int64_t> cpu_quota, cpu_rt_runtime, pids;
    std::optional<uint64_t> cpu_period, cpu_shares, cpu_rt_period, blkio_weight;
    std::string cpuset_cpus, cpuset_mems;
  };
  auto f = std::make_shared<Flags>();
  auto* sub = app.add_subcommand("update", "change a running container's resource limits");
  sub->add_option("-r,--resources", f->resources, "resources JSON file, or - for stdin");
  sub->add_option("--memory", f->memory, "memory limit (e.g. 128M, -1 for none)");
  sub->add_option("--memory-reservation", f->memory_reservation);
  sub->add_option("--memory-swap", f->memory_swap, "memory plus swap limit");
  sub->add_option("--kernel-memory", f->kernel_memory);
  sub->add_option("--kernel-memory-tcp", f->kernel_memory_tcp);
  sub->add_option("--cpu-quota", f->cpu_quota);
  sub->add_option("--cpu-period", f->cpu_period);
  sub->add_option("--cpu-share,--cpu-shares", f->cpu_shares);
  sub->add_option("--cpu-rt-period", f->cpu_rt_period);
  sub->add_option("--cpu-rt-runtime", f->cpu_rt_runtime);
  sub->add_option("--cpuset-cpus", f->cpuset_cpus);
  sub->add_option("--cpuset-mems", f->cpuset_mems);
  sub->add_option("--blkio-weight", f->blkio_weight);
  sub->add_option("--pids-limit", f->pids);
  std::string ignored;
  sub->add_option("--l3-cache-schema,--mem-bw-schema", ignored, "accepted for runc compatibility");
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
      struct Size {
        const std::string& text;
        const char* flag;
        const char* key;
      };
      for (const Size& sz : {Size{f->memory, "--memory", "limit"},
                             Size{f->memory_reservation, "--memory-reservation", "reservation"},
                             Size{f->memory_swap, "--memory-swap", "swap"},
                             Size{f->kernel_memory, "--kernel-memory", "kernel"},
                             Size{f->kernel_memory_tcp, "--kernel-memory-tcp", "kernelTCP"}}) {
        if (sz.text.empty()) continue;
        auto v = ParseBytes(sz.text);
        if (!v) return Fail(std::string("invalid value for ") + sz.flag + ": \"" + sz.text + "\"");
        res["memory"][sz.key] = *v;
      }
      if (f->cpu_quota) res["cpu"]["quota"] = *f->cpu_quota;
      if (f->cpu_period) res["cpu"]["period"] = *f->cpu_period;
      if (f->cpu_shares) res["cpu"]["shares"] = *f->cpu_shares;
      if (f->cpu_rt_period) res["cpu"]["realtimePeriod"] = *f->cpu_rt_period;
      if (f->cpu_rt_runtime) res["cpu"]["realtimeRuntime"] = *f->cpu_rt_runtime;
      if (!f->cpuset_cpus.empty()) res["cpu"]["cpus"] = f->cpuset_cpus;
      if (!f->cpuset_mems.empty()) res["cpu"]["mems"] = f->cpuset_mems;
      if (f->blkio_weight) res["blockIO"]["weight"] = *f->blkio_weight;
      if (f->pids) res["pids"]["limit"] = *f->pids;
      auto r = ParseResources(res);
      if (!r.ok()) return Fail(r.error());
      auto st = runtime::Update(ctx.globals, f->id, *r);
      return st.ok() ? 0 : Fail(st.error());
    };
  });
}

}  // namespace stockade::cli
