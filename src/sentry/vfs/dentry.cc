#include "sentry/vfs/dentry.h"

#include <mutex>
#include <vector>

#include "sentry/vfs/filesystem.h"

namespace stockade::sentry::vfs {
namespace {

std::mutex& DentryMutex() {
  static std::mutex mu;
  return mu;
}

// References the tree's operations let go of, released once the mutex is
// dropped (a last reference runs ~Dentry, which takes the mutex).
using Released = std::vector<std::shared_ptr<Dentry>>;

}  // namespace

Dentry::~Dentry() {
  if (!parent_) return;
  std::lock_guard<std::mutex> l(DentryMutex());
  auto it = parent_->children_.find(name_);
  // The name may have been taken since by a newer dentry: leave that one.
  if (it != parent_->children_.end() && it->second.expired()) parent_->children_.erase(it);
}

std::string Dentry::Path() const {
  std::vector<const std::string*> names;
  std::lock_guard<std::mutex> l(DentryMutex());
  for (const Dentry* d = this; d->parent_; d = d->parent_.get()) names.push_back(&d->name_);
  if (names.empty()) return "/";
  std::string out;
  for (auto it = names.rbegin(); it != names.rend(); ++it) out += "/" + **it;
  return out;
}

bool Dentry::removed() const {
  std::lock_guard<std::mutex> l(DentryMutex());
  return removed_;
}

std::string Dentry::DisplayName() const { return removed() ? Path() + " (deleted)" : Path(); }

std::shared_ptr<Dentry> DentryTree::FindLocked(const std::string& abs) const {
  std::shared_ptr<Dentry> d = root_;
  for (const auto& name : PathComponents(abs)) {
    auto it = d->children_.find(name);
    if (it == d->children_.end()) return nullptr;
    d = it->second.lock();
    if (!d) return nullptr;
  }
  return d;
}

std::shared_ptr<Dentry> DentryTree::Intern(const std::string& abs) {
  std::lock_guard<std::mutex> l(DentryMutex());
  std::shared_ptr<Dentry> d = root_;
  for (const auto& name : PathComponents(abs)) {
    auto& slot = d->children_[name];
    std::shared_ptr<Dentry> child = slot.lock();
    if (!child) {
      child = std::make_shared<Dentry>(d, name);
      slot = child;
    }
    d = std::move(child);  // never a last reference: the child holds its parent
  }
  return d;
}

void DentryTree::Removed(const std::string& abs) {
  std::shared_ptr<Dentry> d;
  {
    std::lock_guard<std::mutex> l(DentryMutex());
    d = FindLocked(abs);
    if (!d || !d->parent_) return;
    d->parent_->children_.erase(d->name_);
    d->removed_ = true;
  }
}

void DentryTree::Renamed(const std::string& from, const std::string& to, bool exchange) {
  if (from == to) return;
  // The new parent is held before the mutex is taken: interning may make it.
  auto [to_dir, to_name] = SplitPath(to);
  auto [from_dir, from_name] = SplitPath(from);
  std::shared_ptr<Dentry> to_parent = Intern(to_dir), from_parent = Intern(from_dir);
  Released released;
  std::lock_guard<std::mutex> l(DentryMutex());
  std::shared_ptr<Dentry> a = FindLocked(from);
  std::shared_ptr<Dentry> b = FindLocked(to);
  released = {a, b};  // dropped after the mutex (declared first, destroyed last)
  auto move = [&](const std::shared_ptr<Dentry>& d, const std::shared_ptr<Dentry>& parent, const std::string& name) {
    released.push_back(d->parent_);
    d->parent_ = parent;
    d->name_ = name;
    parent->children_[name] = d;
  };
  if (a) a->parent_->children_.erase(a->name_);
  if (b) b->parent_->children_.erase(b->name_);
  if (b && !exchange) b->removed_ = true;
  if (a) move(a, to_parent, to_name);
  if (b && exchange) move(b, from_parent, from_name);
}

}  // namespace stockade::sentry::vfs
