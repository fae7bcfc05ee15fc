#include "runtime/store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "base/io.h"
#include "base/proc.h"

namespace stockade::runtime {
namespace {

constexpr char kStateFile[] = "state.json";

Result<UniqueFd> LockDir(const std::string& dir) {
  ASSIGN_OR_RETURN(UniqueFd fd, OpenFile(dir, O_RDONLY | O_DIRECTORY));
  while (flock(fd.get(), LOCK_EX) != 0) {
    if (errno != EINTR) return Error::FromErrno("locking \"" + dir + "\"");
  }
  return fd;
}

}  // namespace

nlohmann::json ToJson(const ContainerState& s) {
  return {{"id", s.id}, {"bundle", s.bundle}, {"rootfs", s.rootfs}, {"status", s.status},
          {"created", s.created}, {"owner", s.owner}, {"platform", s.platform},
          {"sandboxId", s.sandbox_id}, {"sandboxPid", s.sandbox_pid},
          {"sandboxStart", s.sandbox_start}, {"initPid", s.init_pid},
          {"initStart", s.init_start}, {"waiterPid", s.waiter_pid}, {"creatorPid", s.creator_pid},
          {"creatorStart", s.creator_start}, {"cgroup", s.cgroup},
          {"annotations", s.annotations}, {"spec", s.spec}, {"systemdCgroup", s.systemd_cgroup}};
}

Result<ContainerState> StateFromJson(const nlohmann::json& j) {
  try {
    ContainerState s;
    j.at("id").get_to(s.id);
    s.bundle = j.value("bundle", "");
    s.rootfs = j.value("rootfs", "");
    s.status = j.value("status", kStopped);
    s.created = j.value("created", "");
    s.owner = j.value("owner", "");
    s.platform = j.value("platform", "native");
    s.sandbox_id = j.value("sandboxId", s.id);
    s.sandbox_pid = j.value("sandboxPid", 0);
    s.sandbox_start = j.value("sandboxStart", uint64_t{0});
    s.init_pid = j.value("initPid", 0);
    s.init_start = j.value("initStart", uint64_t{0});
    s.waiter_pid = j.value("waiterPid", 0);
    s.creator_pid = j.value("creatorPid", 0);
    s.creator_start = j.value("creatorStart", uint64_t{0});
    s.cgroup = j.value("cgroup", nlohmann::json());
    s.annotations = j.value("annotations", std::map<std::string, std::string>{});
    s.spec = j.value("spec", nlohmann::json::object());
    s.systemd_cgroup = j.value("systemdCgroup", false);
    return s;
  } catch (const nlohmann::json::exception& e) {
    return Error(EINVAL, std::string("corrupt container state: ") + e.what());
  }
}

Status LockedContainer::Save() {
  return WriteFileAtomic(Path(kStateFile), ToJson(state_).dump(), 0600);
}

Status LockedContainer::Remove() {
  TRY(RemoveAll(dir_));
  lock_.reset();
  return Ok();
}

Result<LockedContainer> Store::Create(const std::string& id) {
  TRY(MkdirAll(root_, 0711));
  std::string dir = Dir(id);
  if (::mkdir(dir.c_str(), 0711) != 0) {
    if (errno == EEXIST) return Error(EEXIST, "container with id \"" + id + "\" already exists");
    return Error::FromErrno("creating state directory \"" + dir + "\"");
  }
  auto lock = LockDir(dir);
  if (!lock.ok()) {
    ::rmdir(dir.c_str());
    return std::move(lock).take_error();
  }
  LockedContainer c(dir, std::move(lock).value());
  c.state_.id = id;
  return c;
}

Result<LockedContainer> Store::Open(const std::string& id) {
  std::string dir = Dir(id);
  auto lock = LockDir(dir);
  if (!lock.ok()) {
    if (lock.error().code() == ENOENT) {
      return Error(ENOENT, "container \"" + id + "\" does not exist");
    }
    return std::move(lock).take_error();
  }
  LockedContainer c(dir, std::move(lock).value());
  auto text = ReadFile(c.Path(kStateFile));
  if (!text.ok()) {
    // A directory without state is a create that died before its first save.
    if (text.error().code() == ENOENT) {
      c.state_.id = id;
      c.state_.status = kStopped;
      return c;
    }
    return std::move(text).take_error();
  }
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded()) return Error(EINVAL, "corrupt state file in \"" + dir + "\"");
  ASSIGN_OR_RETURN(c.state_, StateFromJson(j));
  return c;
}

Result<ContainerState> Store::Peek(const std::string& id) const {
  auto text = ReadFile(Dir(id) + "/" + kStateFile);
  if (!text.ok()) {
    if (text.error().code() == ENOENT && PathExists(Dir(id))) {
      ContainerState s;
      s.id = id;
      s.status = kStopped;
      return s;
    }
    if (text.error().code() == ENOENT) return Error(ENOENT, "container \"" + id + "\" does not exist");
    return std::move(text).take_error();
  }
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded()) return Error(EINVAL, "corrupt state file for \"" + id + "\"");
  return StateFromJson(j);
}

std::vector<std::string> Store::List() const {
  std::vector<std::string> ids;
  DIR* d = opendir(root_.c_str());
  if (d == nullptr) return ids;
  while (struct dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n == "." || n == ".." || e->d_type != DT_DIR) continue;
    ids.push_back(n);
  }
  closedir(d);
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::string EffectiveStatus(const ContainerState& s) {
  if (s.status == kStopped) return kStopped;
  if (s.status == kCreating) {
    // A create still in progress holds the lock; a dead one left its sandbox gone, or died
    // (its CLI) before there was one.
    if (s.sandbox_pid != 0 && !ProcessAlive(s.sandbox_pid, s.sandbox_start)) return kStopped;
    if (s.sandbox_pid == 0 && s.creator_pid != 0 && !ProcessAlive(s.creator_pid, s.creator_start)) return kStopped;
    return kCreating;
  }
  if (s.sandbox_pid != 0 && !ProcessAlive(s.sandbox_pid, s.sandbox_start)) return kStopped;
  if (s.init_pid != 0 && !ProcessAlive(s.init_pid, s.init_start)) return kStopped;
  return s.status;
}

}  // namespace stockade::runtime
