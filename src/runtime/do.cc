#include "runtime/do.h"

#include <sys/random.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "base/io.h"
#include "oci/default_spec.h"

extern char** environ;

namespace stockade::runtime {
namespace {

std::string RandomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  if (getrandom(raw.data(), raw.size(), 0) != static_cast<ssize_t>(raw.size())) {
    raw = std::to_string(getpid()) + std::to_string(time(nullptr));
  }
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

// The spec of a `do` container: the default one, running `o.args` in the
// caller's directory and environment, with the host's root as its rootfs.
nlohmann::json DoSpec(const DoOptions& o, const std::string& cwd) {
  nlohmann::json spec = oci::DefaultSpec(false);
  spec["process"]["args"] = o.args;
  spec["process"]["cwd"] = cwd;
  spec["process"]["terminal"] = false;
  nlohmann::json env = nlohmann::json::array();
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) env.push_back(*e);
  spec["process"]["env"] = std::move(env);
  spec["process"]["user"] = {{"uid", getuid()}, {"gid", getgid()}};
  // Writable as the container sees it; the overlay keeps the host's unchanged.
  spec["root"] = {{"path", "/"}, {"readonly", false}};
  spec["hostname"] = "stockade-do";
  return spec;
}

}  // namespace

Result<int> Do(const Globals& g, const DoOptions& o) {
  if (o.args.empty()) return Error::Msg("do: no command given");
  if (g.platform == "native") return Error::Msg("do runs the command under the Sentry: use a Sentry platform (--platform=systrap or ptrace)");
  if (g.overlay != "memory") return Error::Msg("do needs --overlay=memory: the host's root is never written");
  std::string cwd = o.cwd;
  if (cwd.empty()) {
    std::error_code ec;
    cwd = std::filesystem::current_path(ec).string();
    if (ec) cwd = "/";
  }
  if (cwd.empty() || cwd[0] != '/') return Error::Msg("do: --cwd must be an absolute path: " + cwd);

  // The bundle only carries config.json: its rootfs is "/".
  std::error_code ec;
  std::string tmp = std::filesystem::temp_directory_path(ec).string();
  if (ec) tmp = "/tmp";
  std::string bundle = tmp + "/stockade-do-XXXXXX";
  if (mkdtemp(bundle.data()) == nullptr) return Error::FromErrno("do: making a bundle directory under " + tmp);
  struct RemoveBundle {
    std::string dir;
    ~RemoveBundle() {
      std::error_code ignored;
      std::filesystem::remove_all(dir, ignored);
    }
  } remove_bundle{bundle};
  TRY(WriteFileAtomic(bundle + "/config.json", DoSpec(o, cwd).dump(2) + "\n", 0600));

  CreateOptions co;
  co.id = "do-" + RandomHex(6);
  co.bundle = bundle;
  return Run(g, co, /*detach=*/false);
}

}  // namespace stockade::runtime
