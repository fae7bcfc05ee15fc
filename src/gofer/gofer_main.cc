// `stockade gofer`: one per container, started by the CLI next to the
// sandbox. It opens each root it serves, then confines itself (its own mount
// namespace, a chroot into the rootfs, nobody in its own user namespace, a few
// file capabilities there, no new privileges, the seccomp allowlist) before it
// reads the Sentry's first request, and serves until the Sentry closes every socket.
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <thread>

#include "base/io.h"
#include "gofer/config.h"
#include "gofer/confine.h"
#include "gofer/server.h"

namespace stockade::gofer {
namespace {

int sync_fd = -1;

// Reports a failure on the sync pipe (the CLI shows it) and in the log.
void Fail(const std::string& msg) {
  std::string line = "stockade gofer: " + msg + "\n";
  (void)!write(2, line.data(), line.size());
  if (sync_fd >= 0) {
    std::string e = "E" + line;
    (void)!write(sync_fd, e.data(), e.size());
    close(sync_fd);
    sync_fd = -1;
  }
}

Result<Config> ReadConfig(int fd) {
  ASSIGN_OR_RETURN(std::string text, ReadAll(fd, 1 << 20));
  close(fd);
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Error::Msg("the gofer's config is not a JSON object");
  Config c;
  try {
    c = j.get<Config>();
  } catch (const std::exception& e) {
    return Error::Msg(std::string("the gofer's config: ") + e.what());
  }
  if (c.rootfs.empty() || c.rootfs[0] != '/') return Error::Msg("the gofer's rootfs must be an absolute path");
  for (const auto& r : c.roots) {
    if (r.source.empty() || r.source[0] != '/') return Error::Msg("a served root must be an absolute path");
    if (r.fd < 3) return Error::Msg("a served root has no socket");
  }
  return c;
}

}  // namespace

int GoferMain(int config_fd) {
  // Until the config is read, failures can only go to the log.
  auto cfg = ReadConfig(config_fd);
  if (!cfg.ok()) {
    Fail(cfg.error().ToString());
    return 1;
  }
  sync_fd = cfg->sync_fd;
  std::vector<Server> servers;
  for (const auto& r : cfg->roots) {
    auto s = Server::ForSource(r.source, r.readonly);
    if (!s.ok()) {
      Fail(s.error().ToString());
      return 1;
    }
    servers.push_back(std::move(*s));
  }
  if (Status st = Confine(cfg->rootfs); !st.ok()) {
    Fail(st.error().ToString());
    return 1;
  }
  (void)!write(sync_fd, "K", 1);
  close(sync_fd);
  sync_fd = -1;
  std::vector<std::thread> threads;
  for (size_t i = 0; i < servers.size(); ++i) {
    int sock = cfg->roots[i].fd;
    threads.emplace_back([&servers, i, sock] {
      if (Status st = servers[i].Serve(sock); !st.ok()) Fail(st.error().ToString());
      close(sock);
    });
  }
  for (auto& t : threads) t.join();
  return 0;
}

}  // namespace stockade::gofer
