#include "gofer/fuzz_fixture.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "base/io.h"

namespace stockade::gofer {
namespace {

constexpr char kCanary[] = "canary: never served";

void Ensure(bool ok, const std::string& what) {
  if (!ok) {
    fprintf(stderr, "fuzz fixture: %s: %s\n", what.c_str(), strerror(errno));
    abort();
  }
}

size_t Entries(const std::string& dir) {
  std::error_code ec;
  size_t n = 0;
  for (auto it = std::filesystem::directory_iterator(dir, ec); !ec && it != std::filesystem::directory_iterator();
       it.increment(ec)) {
    ++n;
  }
  return n;
}

}  // namespace

FuzzFixture::FuzzFixture() {
  char tmpl[] = "/tmp/gofer-fuzz-XXXXXX";
  Ensure(mkdtemp(tmpl) != nullptr, "mkdtemp");
  top_ = tmpl;
  root_ = top_ + "/root";
  canary_dir_ = top_ + "/outside";
  Ensure(mkdir(canary_dir_.c_str(), 0755) == 0, "mkdir outside");
  Ensure(WriteFileAtomic(canary_dir_ + "/secret", kCanary, 0644).ok(), "canary");
  Restore();
}

FuzzFixture::~FuzzFixture() {
  std::error_code ec;
  std::filesystem::remove_all(top_, ec);
}

void FuzzFixture::Restore() {
  std::error_code ec;
  std::filesystem::remove_all(root_, ec);
  Ensure(mkdir(root_.c_str(), 0755) == 0, "mkdir root");
  Ensure(mkdir((root_ + "/dir").c_str(), 0755) == 0, "mkdir dir");
  Ensure(WriteFileAtomic(root_ + "/dir/file", "hello", 0644).ok(), "file");
  Ensure(WriteFileAtomic(root_ + "/top", "top", 0600).ok(), "top");
  Ensure(symlink("/", (root_ + "/abs").c_str()) == 0, "abs link");
  Ensure(symlink("../..", (root_ + "/dir/up").c_str()) == 0, "up link");
  Ensure(symlink("../outside/secret", (root_ + "/sneaky").c_str()) == 0, "sneaky link");
  Ensure(symlink("dir", (root_ + "/rel").c_str()) == 0, "rel link");
  Ensure(mkfifo((root_ + "/fifo").c_str(), 0644) == 0, "fifo");
}

std::string FuzzFixture::HandleAndCheck(std::string_view request) {
  auto server = Server::ForSource(root_, false);
  if (!server.ok()) return "cannot serve the root: " + server.error().ToString();
  std::string reply;
  UniqueFd donated;
  server->Handle(request, &reply, &donated);
  if (reply.empty()) return "no reply";
  if (donated) {
    // Only regular files under the root are ever donated.
    struct stat st {};
    if (fstat(donated.get(), &st) != 0 || !S_ISREG(st.st_mode)) return "donated a non-regular file";
    char link[PATH_MAX] = {};
    std::string proc = "/proc/self/fd/" + std::to_string(donated.get());
    ssize_t n = readlink(proc.c_str(), link, sizeof link - 1);
    if (n <= 0) return "donated FD has no path";
    std::string path(link, static_cast<size_t>(n));
    if (path.rfind(root_ + "/", 0) != 0) return "donated a file outside the root: " + path;
  }
  auto canary = ReadFile(canary_dir_ + "/secret");
  if (!canary.ok() || *canary != kCanary) return "the canary outside the root changed";
  if (Entries(canary_dir_) != 1) return "something was made beside the canary";
  if (Entries(top_) != 2) return "something was made beside the root";
  return "";
}

}  // namespace stockade::gofer
