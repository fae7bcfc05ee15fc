// Dentry: a name in the container's mount tree that open files and working
// directories hold on to, as Linux's dentries are.
//
// File systems answer by path, so an open file or a working directory must
// know its *current* path: a rename of it or of any directory above it moves
// it, and unlink, rmdir or a rename over it removes it (its last path then
// stays for display, with " (deleted)"). The kernel reports every such change
// to the DentryTree after the file system made it; only names something holds
// (an open file, a cwd) are in the tree, so paths no one holds cost nothing.
//
// Locking: one mutex for every tree (DentryMutex, a leaf). A Dentry is freed
// when its last holder lets go, and takes itself out of its parent's children
// then; the tree's operations never drop a last reference while they hold
// the mutex.
#pragma once

#include <map>
#include <memory>
#include <string>

namespace stockade::sentry::vfs {

class Dentry {
 public:
  Dentry(std::shared_ptr<Dentry> parent, std::string name) : parent_(std::move(parent)), name_(std::move(name)) {}
  ~Dentry();
  Dentry(const Dentry&) = delete;
  Dentry& operator=(const Dentry&) = delete;

  // The current clean absolute container path; once removed, the last one.
  std::string Path() const;
  // Whether the name is gone (unlink, rmdir, or a rename over it).
  bool removed() const;
  // Path(), with " (deleted)" once removed: what /proc/PID/fd/N shows.
  std::string DisplayName() const;

 private:
  friend class DentryTree;
  std::shared_ptr<Dentry> parent_;  // null for the root
  std::string name_;
  std::map<std::string, std::weak_ptr<Dentry>> children_;  // the names still in place below
  bool removed_ = false;
};

class DentryTree {
 public:
  DentryTree() : root_(std::make_shared<Dentry>(nullptr, "")) {}

  // The dentry for a clean absolute path, made (with its parents) if no one
  // holds it yet.
  std::shared_ptr<Dentry> Intern(const std::string& abs);
  // After `abs` was unlinked or removed.
  void Removed(const std::string& abs);
  // After `from` was renamed to `to` (whatever was at `to` is removed), or
  // with `exchange` after the two were swapped.
  void Renamed(const std::string& from, const std::string& to, bool exchange);

 private:
  // The dentry for `abs` if someone holds it; DentryMutex is held.
  std::shared_ptr<Dentry> FindLocked(const std::string& abs) const;

  std::shared_ptr<Dentry> root_;
};

}  // namespace stockade::sentry::vfs
