#include "runtime/cgroup/raw_resources.h"

#include <limits>

namespace stockade::cgroup {

namespace {

Error Bad(const std::string& where, const std::string& what) {
  return Error(EINVAL, "invalid linux.resources." + where + ": " + what);
}

// An unsigned field no larger than `max`; absent or null gives nullopt.
Result<std::optional<uint64_t>> OptUint(const nlohmann::json& obj, const char* key,
                                        const std::string& where, uint64_t max) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::optional<uint64_t>();
  if (!it->is_number_unsigned() && !(it->is_number_integer() && it->get<int64_t>() >= 0)) {
    return Bad(where + "." + key, "want a non-negative integer, got " + it->dump());
  }
  uint64_t v = it->get<uint64_t>();
  if (v > max) return Bad(where + "." + key, std::to_string(v) + " is too large");
  return std::optional<uint64_t>(v);
}

Result<int64_t> DeviceNumber(const nlohmann::json& obj, const char* key, const std::string& where) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_number_integer() || it->get<int64_t>() < 0) {
    return Bad(where + "." + key, "want a device number");
  }
  return it->get<int64_t>();
}

Result<std::vector<ThrottleDevice>> Throttles(const nlohmann::json& bio, const char* key) {
  std::vector<ThrottleDevice> out;
  auto it = bio.find(key);
  if (it == bio.end() || it->is_null()) return out;
  std::string where = std::string("blockIO.") + key;
  if (!it->is_array()) return Bad(where, "want an array");
  for (const auto& e : *it) {
    if (!e.is_object()) return Bad(where, "want objects");
    ThrottleDevice d;
    ASSIGN_OR_RETURN(d.major, DeviceNumber(e, "major", where));
    ASSIGN_OR_RETURN(d.minor, DeviceNumber(e, "minor", where));
    ASSIGN_OR_RETURN(std::optional<uint64_t> rate,
                     OptUint(e, "rate", where, std::numeric_limits<uint64_t>::max()));
    d.rate = rate.value_or(0);
    out.push_back(d);
  }
  return out;
}

}  // namespace

Result<BlockIo> ParseBlockIo(const nlohmann::json& j) {
  BlockIo out;
  if (j.is_null()) return out;
  if (!j.is_object()) return Bad("blockIO", "want an object");
  ASSIGN_OR_RETURN(auto weight, OptUint(j, "weight", "blockIO", 1000));
  ASSIGN_OR_RETURN(auto leaf, OptUint(j, "leafWeight", "blockIO", 1000));
  if (weight) out.weight = static_cast<uint16_t>(*weight);
  if (leaf) out.leaf_weight = static_cast<uint16_t>(*leaf);
  if (auto it = j.find("weightDevice"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) return Bad("blockIO.weightDevice", "want an array");
    for (const auto& e : *it) {
      if (!e.is_object()) return Bad("blockIO.weightDevice", "want objects");
      WeightDevice d;
      ASSIGN_OR_RETURN(d.major, DeviceNumber(e, "major", "blockIO.weightDevice"));
      ASSIGN_OR_RETURN(d.minor, DeviceNumber(e, "minor", "blockIO.weightDevice"));
      ASSIGN_OR_RETURN(auto w, OptUint(e, "weight", "blockIO.weightDevice", 1000));
      ASSIGN_OR_RETURN(auto lw, OptUint(e, "leafWeight", "blockIO.weightDevice", 1000));
      if (w) d.weight = static_cast<uint16_t>(*w);
      if (lw) d.leaf_weight = static_cast<uint16_t>(*lw);
      out.weight_device.push_back(d);
    }
  }
  ASSIGN_OR_RETURN(out.read_bps, Throttles(j, "throttleReadBpsDevice"));
  ASSIGN_OR_RETURN(out.write_bps, Throttles(j, "throttleWriteBpsDevice"));
  ASSIGN_OR_RETURN(out.read_iops, Throttles(j, "throttleReadIOPSDevice"));
  ASSIGN_OR_RETURN(out.write_iops, Throttles(j, "throttleWriteIOPSDevice"));
  return out;
}

Result<std::vector<HugepageLimit>> ParseHugepageLimits(const nlohmann::json& j) {
  std::vector<HugepageLimit> out;
  if (j.is_null()) return out;
  if (!j.is_array()) return Bad("hugepageLimits", "want an array");
  for (const auto& e : j) {
    if (!e.is_object()) return Bad("hugepageLimits", "want objects");
    HugepageLimit h;
    auto ps = e.find("pageSize");
    if (ps == e.end() || !ps->is_string()) return Bad("hugepageLimits.pageSize", "want a string");
    h.page_size = ps->get<std::string>();
    // The page size becomes part of a file name.
    if (h.page_size.empty() || h.page_size.find_first_of("/.") != std::string::npos) {
      return Bad("hugepageLimits.pageSize", "\"" + h.page_size + "\"");
    }
    ASSIGN_OR_RETURN(auto limit,
                     OptUint(e, "limit", "hugepageLimits", std::numeric_limits<uint64_t>::max()));
    if (!limit) return Bad("hugepageLimits.limit", "missing");
    h.limit = *limit;
    out.push_back(std::move(h));
  }
  return out;
}

Result<NetworkResources> ParseNetwork(const nlohmann::json& j) {
  NetworkResources out;
  if (j.is_null()) return out;
  if (!j.is_object()) return Bad("network", "want an object");
  ASSIGN_OR_RETURN(auto class_id,
                   OptUint(j, "classID", "network", std::numeric_limits<uint32_t>::max()));
  if (class_id) out.class_id = static_cast<uint32_t>(*class_id);
  if (auto it = j.find("priorities"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) return Bad("network.priorities", "want an array");
    for (const auto& e : *it) {
      auto name = e.is_object() ? e.find("name") : e.end();
      if (!e.is_object() || name == e.end() || !name->is_string()) {
        return Bad("network.priorities", "want {\"name\",\"priority\"} objects");
      }
      std::string n = name->get<std::string>();
      if (n.empty() || n.find_first_of(" \n") != std::string::npos) {
        return Bad("network.priorities.name", "\"" + n + "\"");
      }
      ASSIGN_OR_RETURN(auto prio, OptUint(e, "priority", "network.priorities",
                                          std::numeric_limits<uint32_t>::max()));
      out.priorities.emplace_back(n, static_cast<uint32_t>(prio.value_or(0)));
    }
  }
  return out;
}

Result<std::vector<RdmaLimit>> ParseRdma(const nlohmann::json& j) {
  std::vector<RdmaLimit> out;
  if (j.is_null()) return out;
  if (!j.is_object()) return Bad("rdma", "want an object");
  for (const auto& [device, limits] : j.items()) {
    // The device name starts an rdma.max line, whose fields are space-separated.
    if (device.empty() || device.find_first_of(" \n=") != std::string::npos) {
      return Bad("rdma", "device name \"" + device + "\"");
    }
    if (!limits.is_object()) return Bad("rdma." + device, "want an object");
    RdmaLimit l;
    l.device = device;
    ASSIGN_OR_RETURN(auto handles, OptUint(limits, "hcaHandles", "rdma." + device,
                                           std::numeric_limits<uint32_t>::max()));
    ASSIGN_OR_RETURN(auto objects, OptUint(limits, "hcaObjects", "rdma." + device,
                                           std::numeric_limits<uint32_t>::max()));
    if (handles) l.hca_handles = static_cast<uint32_t>(*handles);
    if (objects) l.hca_objects = static_cast<uint32_t>(*objects);
    out.push_back(std::move(l));
  }
  return out;
}

std::string RdmaLine(const RdmaLimit& limit) {
  auto value = [](const std::optional<uint32_t>& v) {
    return v ? std::to_string(*v) : std::string("max");
  };
  return limit.device + " hca_handle=" + value(limit.hca_handles) +
         " hca_object=" + value(limit.hca_objects);
}

}  // namespace stockade::cgroup
