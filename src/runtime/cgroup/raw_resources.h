// Typed views of the resource sections that oci::Resources keeps as raw JSON (blockIO,
// hugepageLimits, network), validated before anything is written.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"

namespace stockade::cgroup {

struct WeightDevice {
  int64_t major = 0;
  int64_t minor = 0;
  std::optional<uint16_t> weight;
  std::optional<uint16_t> leaf_weight;
};

struct ThrottleDevice {
  int64_t major = 0;
  int64_t minor = 0;
  uint64_t rate = 0;
};

struct BlockIo {
  std::optional<uint16_t> weight;
  std::optional<uint16_t> leaf_weight;
  std::vector<WeightDevice> weight_device;
  std::vector<ThrottleDevice> read_bps, write_bps, read_iops, write_iops;

  bool empty() const {
    return !weight && !leaf_weight && weight_device.empty() && read_bps.empty() &&
           write_bps.empty() && read_iops.empty() && write_iops.empty();
  }
};

struct HugepageLimit {
  std::string page_size;  // "2MB", "1GB": names the control file, so never contains '/'.
  uint64_t limit = 0;
};

struct NetworkResources {
  std::optional<uint32_t> class_id;
  std::vector<std::pair<std::string, uint32_t>> priorities;  // interface -> priority

  bool empty() const { return !class_id && priorities.empty(); }
};

// linux.resources.rdma: device name -> limits; an unset limit is "max".
struct RdmaLimit {
  std::string device;
  std::optional<uint32_t> hca_handles;
  std::optional<uint32_t> hca_objects;
};

// Each accepts null (section absent) as empty.
Result<BlockIo> ParseBlockIo(const nlohmann::json& j);
Result<std::vector<HugepageLimit>> ParseHugepageLimits(const nlohmann::json& j);
Result<NetworkResources> ParseNetwork(const nlohmann::json& j);
Result<std::vector<RdmaLimit>> ParseRdma(const nlohmann::json& j);
// The rdma.max line for one device: "mlx5_1 hca_handle=3 hca_object=max".
std::string RdmaLine(const RdmaLimit& limit);

}  // namespace stockade::cgroup
