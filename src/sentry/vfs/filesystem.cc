#include "sentry/vfs/filesystem.h"

#include <algorithm>

namespace stockade::sentry::vfs {

Result<FsWalk> Filesystem::Walk(const std::string& dir, const std::vector<std::string>& comps) {
  FsWalk w;
  std::string path = dir;
  ASSIGN_OR_RETURN(w.st, Stat(path, false));
  for (size_t i = 0; i < comps.size(); ++i) {
    if (!S_ISDIR(w.st.st_mode)) {
      w.stop = ENOTDIR;
      return w;
    }
    std::string next = JoinPath(path, comps[i]);
    auto st = Stat(next, false);
    if (!st.ok()) {
      if (st.error().code() != ENOENT) return st.error();
      w.stop = ENOENT;
      return w;
    }
    if (S_ISLNK(st->st_mode)) {
      w.stop = ELOOP;
      w.st = *st;
      ASSIGN_OR_RETURN(w.target, ReadLink(next));
      return w;
    }
    w.st = *st;
    w.walked = i + 1;
    path = std::move(next);
  }
  return w;
}

Result<std::string> Filesystem::GetXattr(const std::string& path, const std::string&) {
  TRY(Stat(path, false));
  return Error(EOPNOTSUPP, "");
}

Status Filesystem::SetXattr(const std::string& path, const std::string&, const std::string&, int) {
  TRY(Stat(path, false));
  return Error(EOPNOTSUPP, "");
}

Result<std::vector<std::string>> Filesystem::ListXattr(const std::string& path) {
  TRY(Stat(path, false));
  return std::vector<std::string>{};
}

Status Filesystem::RemoveXattr(const std::string& path, const std::string&) {
  TRY(Stat(path, false));
  return Error(EOPNOTSUPP, "");
}

Result<std::vector<Dirent>> Filesystem::ListDir(const std::string&) { return Error(ENOTDIR, ""); }

void MountTable::Add(std::string point, std::shared_ptr<Filesystem> fs) {
  std::lock_guard<std::mutex> l(mu_);
  std::erase_if(mounts_, [&](const Mount& m) { return m.point == point; });
  mounts_.push_back({std::move(point), std::move(fs)});
  std::stable_sort(mounts_.begin(), mounts_.end(),
                   [](const Mount& a, const Mount& b) { return a.point.size() > b.point.size(); });
}

bool MountTable::Remove(const std::string& point) {
  std::lock_guard<std::mutex> l(mu_);
  return std::erase_if(mounts_, [&](const Mount& m) { return m.point == point; }) > 0;
}

std::pair<std::shared_ptr<Filesystem>, std::string> MountTable::Resolve(const std::string& path) const {
  std::lock_guard<std::mutex> l(mu_);
  for (const Mount& m : mounts_) {
    if (m.point == "/") return {m.fs, path};
    if (path == m.point) return {m.fs, "/"};
    if (path.size() > m.point.size() && path.compare(0, m.point.size(), m.point) == 0 &&
        path[m.point.size()] == '/') {
      return {m.fs, path.substr(m.point.size())};
    }
  }
  return {nullptr, path};
}

bool MountTable::IsMountPoint(const std::string& path) const {
  std::lock_guard<std::mutex> l(mu_);
  return std::any_of(mounts_.begin(), mounts_.end(), [&](const Mount& m) { return m.point == path; });
}

std::vector<Mount> MountTable::mounts() const {
  std::lock_guard<std::mutex> l(mu_);
  return mounts_;
}

std::string JoinPath(const std::string& dir, const std::string& name) {
  return dir == "/" ? "/" + name : dir + "/" + name;
}

std::string CleanPath(const std::string& base, const std::string& path) {
  std::string full = (!path.empty() && path[0] == '/') ? path : base + "/" + path;
  std::vector<std::string> parts;
  for (auto& comp : PathComponents(full)) {
    if (comp == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (comp != ".") {
      parts.push_back(std::move(comp));
    }
  }
  std::string out;
  for (const auto& p : parts) out += "/" + p;
  return out.empty() ? "/" : out;
}

std::pair<std::string, std::string> SplitPath(const std::string& clean) {
  size_t slash = clean.rfind('/');
  if (slash == std::string::npos || clean == "/") return {"/", ""};
  return {slash == 0 ? "/" : clean.substr(0, slash), clean.substr(slash + 1)};
}

std::vector<std::string> PathComponents(const std::string& path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    if (j > i) out.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

}  // namespace stockade::sentry::vfs
