// The gofer's file server against a real directory tree: every operation,
// and the hostile requests a compromised Sentry could send.
#include "gofer/server.h"

#include <sys/wait.h>

#include "gofer/confine.h"
#include "base/io.h"
#include "gofer/fuzz_fixture.h"

#include <dirent.h>
#include <sched.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace stockade::gofer {
namespace {

// One reply from a served socket: its bytes in *packet, and a donated FD in
// *fd (if any; -1 otherwise). Returns recvmsg's result.
ssize_t RecvReply(int sock, std::string* packet, int* fd) {
  char buf[kMaxMessage];
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  struct iovec iov = {buf, sizeof buf};
  struct msghdr m {};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = control;
  m.msg_controllen = sizeof control;
  ssize_t n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
  packet->assign(buf, n > 0 ? static_cast<size_t>(n) : 0);
  if (fd != nullptr) {
    *fd = -1;
    if (CMSG_FIRSTHDR(&m)) std::memcpy(fd, CMSG_DATA(CMSG_FIRSTHDR(&m)), sizeof *fd);
  }
  return n;
}

class GoferServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/gofer-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    top_ = tmpl;
    root_ = top_ + "/root";
    ASSERT_EQ(mkdir(root_.c_str(), 0755), 0);
    Write(top_ + "/secret", "host secret");
    ASSERT_EQ(mkdir((root_ + "/dir").c_str(), 0755), 0);
    Write(root_ + "/dir/file", "hello");
    ASSERT_EQ(symlink("/", (root_ + "/abs").c_str()), 0);
    ASSERT_EQ(symlink("../..", (root_ + "/dir/up").c_str()), 0);
    ASSERT_EQ(symlink("dir", (root_ + "/rel").c_str()), 0);
    server_ = std::make_unique<Server>(Server::ForSource(root_, false).value());
  }
  void TearDown() override { (void)!system(("rm -rf " + top_).c_str()); }

  static void Write(const std::string& path, const std::string& data) {
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(write(fd, data.data(), data.size()), static_cast<ssize_t>(data.size()));
    close(fd);
  }

  struct Answer {
    int err = 0;
    std::string payload;
    UniqueFd fd;
  };
  Answer Call(Server& s, const Request& r) {
    return CallRaw(s, EncodeRequest(r));
  }
  Answer Call(const Request& r) { return Call(*server_, r); }
  Answer CallRaw(Server& s, const std::string& bytes) {
    std::string reply;
    Answer a;
    s.Handle(bytes, &reply, &a.fd);
    auto p = DecodeReply(reply);
    if (!p.ok()) {
      a.err = p.error().code();
      EXPECT_FALSE(a.fd.valid()) << "an FD with an error";
    } else {
      a.payload = std::string(*p);
    }
    return a;
  }
  WalkReply WalkOf(const std::string& path, std::string* target = nullptr) {
    Answer a = Call({.op = Op::kWalk, .path = path});
    EXPECT_EQ(a.err, 0) << path;
    WalkReply w{};
    EXPECT_GE(a.payload.size(), sizeof w);
    std::memcpy(&w, a.payload.data(), sizeof w);
    if (target) *target = a.payload.substr(sizeof w);
    return w;
  }

  std::string top_, root_;
  std::unique_ptr<Server> server_;
};

TEST_F(GoferServerTest, WalkReportsEachStop) {
  WalkReply w = WalkOf("dir/file");
  EXPECT_EQ(w.walked, 2u);
  EXPECT_EQ(w.stop, 0);
  EXPECT_TRUE(S_ISREG(w.st.mode));
  EXPECT_EQ(w.st.size, 5u);

  w = WalkOf("dir/missing/x");
  EXPECT_EQ(w.walked, 1u);
  EXPECT_EQ(w.stop, ENOENT);
  EXPECT_TRUE(S_ISDIR(w.st.mode));  // the parent's

  std::string target;
  w = WalkOf("rel/file", &target);
  EXPECT_EQ(w.walked, 0u);
  EXPECT_EQ(w.stop, ELOOP);
  EXPECT_TRUE(S_ISLNK(w.st.mode));
  EXPECT_EQ(target, "dir");

  w = WalkOf("dir/up/secret", &target);
  EXPECT_EQ(w.walked, 1u);
  EXPECT_EQ(w.stop, ELOOP);
  EXPECT_EQ(target, "../..");

  w = WalkOf("dir/file/x");
  EXPECT_EQ(w.walked, 2u);
  EXPECT_EQ(w.stop, ENOTDIR);

  w = WalkOf("");
  EXPECT_EQ(w.walked, 0u);
  EXPECT_EQ(w.stop, 0);
  EXPECT_TRUE(S_ISDIR(w.st.mode));
}

TEST_F(GoferServerTest, HostilePathsAreRefused) {
  for (const char* p : {"..", "../secret", "dir/../../secret", "/dir", "dir//file", "./dir", "dir/", "a\0b"}) {
    std::string path = std::string(p) == "a\0b" ? std::string("a\0b", 3) : p;
    for (Op op : {Op::kWalk, Op::kOpen, Op::kUnlink, Op::kMkdir, Op::kReadDir}) {
      EXPECT_EQ(Call({.op = op, .mode = 0755, .path = path}).err, EINVAL) << path << " op " << int(op);
    }
  }
  EXPECT_EQ(Call({.op = Op::kWalk, .path = std::string(300, 'a')}).err, ENAMETOOLONG);
}

TEST_F(GoferServerTest, SymlinksAreNeverFollowed) {
  // Through an absolute link, a relative one leading up, and as the last component.
  EXPECT_EQ(Call({.op = Op::kOpen, .path = "abs/etc/passwd"}).err, ELOOP);
  EXPECT_EQ(Call({.op = Op::kOpen, .path = "dir/up/secret"}).err, ELOOP);
  EXPECT_EQ(Call({.op = Op::kOpen, .path = "rel"}).err, ELOOP);
  EXPECT_EQ(Call({.op = Op::kMkdir, .mode = 0755, .path = "abs/tmp/x"}).err, ELOOP);
  EXPECT_EQ(Call({.op = Op::kUnlink, .path = "dir/up/secret"}).err, ELOOP);
  EXPECT_EQ(Call({.op = Op::kReadDir, .path = "abs"}).err, ENOTDIR);
  EXPECT_EQ(Call({.op = Op::kRename, .path = "dir/file", .path2 = "dir/up/stolen"}).err, ELOOP);
  EXPECT_EQ(Call({.op = Op::kLink, .path = "dir/file", .path2 = "abs/tmp/stolen"}).err, ELOOP);
  EXPECT_EQ(Call({.op = Op::kSetAttr, .flags = kSetMode, .mode = 0777, .path = "rel"}).err, EOPNOTSUPP);
  struct stat st;
  EXPECT_EQ(stat((top_ + "/stolen").c_str(), &st), -1);
  ASSERT_EQ(stat((top_ + "/secret").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
}

TEST_F(GoferServerTest, OpenDonatesRegularFilesOnly) {
  Answer a = Call({.op = Op::kOpen, .flags = O_RDONLY, .path = "dir/file"});
  ASSERT_EQ(a.err, 0);
  ASSERT_TRUE(a.fd.valid());
  char buf[16] = {};
  EXPECT_EQ(read(a.fd.get(), buf, sizeof buf), 5);
  EXPECT_STREQ(buf, "hello");
  EXPECT_EQ(fcntl(a.fd.get(), F_GETFL) & O_NONBLOCK, 0);

  a = Call({.op = Op::kOpen, .flags = O_RDONLY | O_DIRECTORY, .path = "dir"});
  EXPECT_EQ(a.err, 0);
  EXPECT_FALSE(a.fd.valid()) << "directories are served by RPC, never donated";
  EXPECT_EQ(Call({.op = Op::kOpen, .flags = O_WRONLY, .path = "dir"}).err, EISDIR);
  EXPECT_EQ(Call({.op = Op::kOpen, .flags = O_RDONLY | O_DIRECTORY, .path = "dir/file"}).err, ENOTDIR);
  EXPECT_EQ(Call({.op = Op::kOpen, .flags = O_RDONLY | O_CREAT | O_EXCL, .path = "dir/file"}).err, EEXIST);
  EXPECT_EQ(Call({.op = Op::kOpen, .flags = O_RDONLY | 0x40000000, .path = "dir/file"}).err, EINVAL);

  if (geteuid() == 0) {
    // A device node in the tree is reported, never opened.
    ASSERT_EQ(mknod((root_ + "/null").c_str(), S_IFCHR | 0666, makedev(1, 3)), 0);
    a = Call({.op = Op::kOpen, .flags = O_RDWR, .path = "null"});
    EXPECT_EQ(a.err, 0);
    EXPECT_FALSE(a.fd.valid());
  }
}

TEST_F(GoferServerTest, CreateMakesTheCallersFiles) {
  Answer a = Call({.op = Op::kOpen, .flags = O_WRONLY | O_CREAT | O_EXCL, .mode = 0640, .uid = 1234, .gid = 5678,
                   .path = "dir/new"});
  ASSERT_EQ(a.err, 0);
  ASSERT_TRUE(a.fd.valid());
  EXPECT_EQ(write(a.fd.get(), "x", 1), 1);
  struct stat st;
  ASSERT_EQ(lstat((root_ + "/dir/new").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_EQ(st.st_size, 1);
  if (geteuid() == 0) {
    EXPECT_EQ(st.st_uid, 1234u);
    EXPECT_EQ(st.st_gid, 5678u);
  }
  EXPECT_EQ(Call({.op = Op::kMkdir, .mode = 0700, .path = "d2"}).err, 0);
  EXPECT_EQ(Call({.op = Op::kMkdir, .mode = 0700, .path = "d2"}).err, EEXIST);
  EXPECT_EQ(Call({.op = Op::kMknod, .mode = S_IFIFO | 0600, .path = "d2/fifo"}).err, 0);
  EXPECT_EQ(Call({.op = Op::kMknod, .mode = S_IFCHR | 0600, .path = "d2/dev"}).err, EPERM);
  EXPECT_EQ(Call({.op = Op::kMknod, .mode = S_IFBLK | 0600, .path = "d2/blk"}).err, EPERM);
  EXPECT_EQ(Call({.op = Op::kSymlink, .path = "d2/ln", .path2 = "/anything/../at/all"}).err, 0);
  char buf[64] = {};
  EXPECT_EQ(readlink((root_ + "/d2/ln").c_str(), buf, sizeof buf), 19);
  EXPECT_EQ(Call({.op = Op::kLink, .path = "dir/new", .path2 = "d2/hard"}).err, 0);
  ASSERT_EQ(lstat((root_ + "/d2/hard").c_str(), &st), 0);
  EXPECT_EQ(st.st_nlink, 2u);
}

TEST_F(GoferServerTest, RenameUnlinkAndSetAttr) {
  Write(root_ + "/dir/other", "other");
  EXPECT_EQ(Call({.op = Op::kRename, .flags = RENAME_NOREPLACE, .path = "dir/file", .path2 = "dir/other"}).err, EEXIST);
  EXPECT_EQ(Call({.op = Op::kRename, .flags = RENAME_EXCHANGE, .path = "dir/file", .path2 = "dir/other"}).err, 0);
  EXPECT_EQ(Call({.op = Op::kRename, .flags = 0x80, .path = "dir/file", .path2 = "dir/x"}).err, EINVAL);
  EXPECT_EQ(Call({.op = Op::kRename, .path = "dir/file", .path2 = "moved"}).err, 0);
  EXPECT_EQ(Call({.op = Op::kUnlink, .path = "dir"}).err, EISDIR);
  EXPECT_EQ(Call({.op = Op::kUnlink, .flags = AT_REMOVEDIR, .path = "dir"}).err, ENOTEMPTY);
  EXPECT_EQ(Call({.op = Op::kUnlink, .path = ""}).err, EBUSY);
  EXPECT_EQ(Call({.op = Op::kUnlink, .flags = 0x1000, .path = "moved"}).err, EINVAL);

  EXPECT_EQ(Call({.op = Op::kSetAttr, .flags = kSetSize | kSetMode | kSetMtime, .mode = 0600, .size = 2,
                  .mtime_sec = 1000000000, .mtime_nsec = 5, .path = "moved"}).err, 0);
  struct stat st;
  ASSERT_EQ(lstat((root_ + "/moved").c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 2);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(st.st_mtim.tv_sec, 1000000000);
  EXPECT_EQ(st.st_mtim.tv_nsec, 5);
  EXPECT_EQ(Call({.op = Op::kSetAttr, .flags = kSetSize, .size = 1, .path = "dir"}).err, EISDIR);
  EXPECT_EQ(Call({.op = Op::kSetAttr, .flags = 0x1000, .path = "moved"}).err, EINVAL);
}

TEST_F(GoferServerTest, ReadDirPagesWithCookies) {
  for (int i = 0; i < 3000; ++i) Write(root_ + "/dir/f" + std::to_string(i), "");
  std::set<std::string> names;
  uint64_t cookie = 0;
  int pages = 0;
  while (true) {
    Answer a = Call({.op = Op::kReadDir, .size = cookie, .path = "dir"});
    ASSERT_EQ(a.err, 0);
    if (a.payload.empty()) break;
    ++pages;
    for (size_t pos = 0; pos < a.payload.size();) {
      WireDirent d;
      ASSERT_LE(pos + sizeof d, a.payload.size());
      std::memcpy(&d, a.payload.data() + pos, sizeof d);
      pos += sizeof d;
      names.insert(a.payload.substr(pos, d.name_len));
      pos += d.name_len;
      cookie = d.off;
    }
  }
  EXPECT_GT(pages, 1);
  EXPECT_EQ(names.size(), 3000u + 4);  // ".", "..", file, up and the 3000
  EXPECT_TRUE(names.count("up"));
}

TEST_F(GoferServerTest, ReadOnlyRootRefusesChanges) {
  Server ro = Server::ForSource(root_, true).value();
  EXPECT_EQ(Call(ro, {.op = Op::kMkdir, .mode = 0755, .path = "x"}).err, EROFS);
  EXPECT_EQ(Call(ro, {.op = Op::kOpen, .flags = O_WRONLY, .path = "dir/file"}).err, EROFS);
  EXPECT_EQ(Call(ro, {.op = Op::kOpen, .flags = O_RDONLY | O_CREAT, .mode = 0644, .path = "new"}).err, EROFS);
  EXPECT_EQ(Call(ro, {.op = Op::kUnlink, .path = "dir/file"}).err, EROFS);
  EXPECT_EQ(Call(ro, {.op = Op::kSetAttr, .flags = kSetMode, .mode = 0777, .path = "dir/file"}).err, EROFS);
  Answer a = Call(ro, {.op = Op::kOpen, .flags = O_RDONLY, .path = "dir/file"});
  EXPECT_EQ(a.err, 0);
  EXPECT_TRUE(a.fd.valid());
  a = Call(ro, {.op = Op::kStatFs});
  ASSERT_EQ(a.err, 0);
  WireStatFs s;
  ASSERT_EQ(a.payload.size(), sizeof s);
  std::memcpy(&s, a.payload.data(), sizeof s);
  EXPECT_TRUE(s.flags & ST_RDONLY);
}

TEST_F(GoferServerTest, UserXattrsOnFilesAndDirectories) {
  auto set = [&](const std::string& path, const std::string& name, const std::string& value, uint32_t flags = 0) {
    return Call({.op = Op::kSetXattr, .flags = flags, .size = name.size(), .path = path, .path2 = name + value}).err;
  };
  ASSERT_EQ(set("dir/file", "user.color", "blue"), 0);
  Answer a = Call({.op = Op::kGetXattr, .path = "dir/file", .path2 = "user.color"});
  ASSERT_EQ(a.err, 0);
  EXPECT_EQ(a.payload, "blue");
  char host[16] = {};
  ASSERT_EQ(getxattr((root_ + "/dir/file").c_str(), "user.color", host, sizeof host), 4);  // on the host file
  EXPECT_STREQ(host, "blue");
  EXPECT_EQ(set("dir/file", "user.color", "red", XATTR_CREATE), EEXIST);
  EXPECT_EQ(set("dir/file", "user.new", "x", XATTR_REPLACE), ENODATA);
  ASSERT_EQ(set("dir", "user.d", ""), 0);  // directories too, and an empty value
  a = Call({.op = Op::kListXattr, .path = "dir"});
  ASSERT_EQ(a.err, 0);
  EXPECT_EQ(a.payload, std::string("user.d\0", 7));
  EXPECT_EQ(Call({.op = Op::kRemoveXattr, .path = "dir/file", .path2 = "user.color"}).err, 0);
  EXPECT_EQ(Call({.op = Op::kGetXattr, .path = "dir/file", .path2 = "user.color"}).err, ENODATA);
  // Other namespaces never reach the host file; symlinks keep none.
  EXPECT_EQ(set("dir/file", "trusted.x", "1"), EOPNOTSUPP);
  EXPECT_EQ(set("dir/file", "security.capability", "1"), EOPNOTSUPP);
  EXPECT_EQ(Call({.op = Op::kGetXattr, .path = "dir/file", .path2 = "trusted.x"}).err, EOPNOTSUPP);
  EXPECT_EQ(set("abs", "user.x", "1"), EPERM);
  EXPECT_EQ(Call({.op = Op::kGetXattr, .path = "abs", .path2 = "user.x"}).err, ENODATA);
  a = Call({.op = Op::kListXattr, .path = "abs"});
  EXPECT_EQ(a.err, 0);
  EXPECT_EQ(a.payload, "");
  // Malformed: a name longer than the argument, unknown flags, a NUL in a name.
  EXPECT_EQ(Call({.op = Op::kSetXattr, .size = 99, .path = "dir/file", .path2 = "user.a"}).err, EINVAL);
  EXPECT_EQ(set("dir/file", "user.a", "1", 0x100), EINVAL);
  EXPECT_EQ(Call({.op = Op::kGetXattr, .path = "dir/file", .path2 = std::string("user.a\0b", 8)}).err, EINVAL);
  // A read-only root reads them and refuses changes.
  Server ro = Server::ForSource(root_, true).value();
  EXPECT_EQ(Call(ro, {.op = Op::kGetXattr, .path = "dir", .path2 = "user.d"}).err, 0);
  EXPECT_EQ(Call(ro, {.op = Op::kSetXattr, .size = 6, .path = "dir", .path2 = "user.dx"}).err, EROFS);
  EXPECT_EQ(Call(ro, {.op = Op::kRemoveXattr, .path = "dir", .path2 = "user.d"}).err, EROFS);
}

TEST_F(GoferServerTest, FileRootServesOneFile) {
  Server f = Server::ForSource(root_ + "/dir/file", false).value();
  Answer a = Call(f, {.op = Op::kWalk, .path = ""});
  ASSERT_EQ(a.err, 0);
  WalkReply w;
  std::memcpy(&w, a.payload.data(), sizeof w);
  EXPECT_TRUE(S_ISREG(w.st.mode));
  a = Call(f, {.op = Op::kOpen, .flags = O_RDWR, .path = ""});
  ASSERT_EQ(a.err, 0);
  EXPECT_TRUE(a.fd.valid());
  a = Call(f, {.op = Op::kWalk, .path = "x"});
  ASSERT_EQ(a.err, 0);
  std::memcpy(&w, a.payload.data(), sizeof w);
  EXPECT_EQ(w.walked, 0u);
  EXPECT_EQ(w.stop, ENOTDIR);
  EXPECT_EQ(Call(f, {.op = Op::kUnlink, .path = ""}).err, EBUSY);
  EXPECT_EQ(Call(f, {.op = Op::kMkdir, .mode = 0755, .path = "x"}).err, ENOTDIR);
}

TEST_F(GoferServerTest, MalformedPacketsGetErrors) {
  EXPECT_EQ(CallRaw(*server_, "").err, EINVAL);
  EXPECT_EQ(CallRaw(*server_, std::string(10, 'x')).err, EINVAL);
  std::string req = EncodeRequest({.op = Op::kWalk, .path = "dir"});
  EXPECT_EQ(CallRaw(*server_, req + "extra").err, EINVAL);
  std::string bad_op = EncodeRequest({.op = static_cast<Op>(999), .path = "dir"});
  EXPECT_EQ(CallRaw(*server_, bad_op).err, ENOSYS);
}

TEST_F(GoferServerTest, ServesASeqpacketSocket) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
  std::thread t([&] { EXPECT_TRUE(server_->Serve(sv[1]).ok()); });
  std::string req = EncodeRequest({.op = Op::kOpen, .flags = O_RDONLY, .path = "dir/file"});
  ASSERT_EQ(send(sv[0], req.data(), req.size(), 0), static_cast<ssize_t>(req.size()));
  std::string packet;
  int fd = -1;
  ASSERT_GT(RecvReply(sv[0], &packet, &fd), 0);
  EXPECT_TRUE(DecodeReply(packet).ok());
  ASSERT_GE(fd, 0);
  char buf[kMaxMessage];
  EXPECT_EQ(pread(fd, buf, 5, 0), 5);
  close(fd);
  // An over-long packet is refused, and the server goes on.
  std::string huge(kMaxMessage + 100, 'x');
  ASSERT_EQ(send(sv[0], huge.data(), huge.size(), 0), static_cast<ssize_t>(huge.size()));
  ssize_t n = recv(sv[0], buf, sizeof buf, 0);
  auto r = DecodeReply(std::string_view(buf, static_cast<size_t>(n)));
  EXPECT_EQ(r.ok() ? 0 : r.error().code(), EMSGSIZE);
  close(sv[0]);
  t.join();
  close(sv[1]);
}

// The allowlist is enough to serve every operation, and nothing else gets through.
TEST_F(GoferServerTest, AllowlistServesAndKillsOnAnythingElse) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(sv[0]);  // else the server would never see its peer close
    if (!LoadSeccompAllowlist().ok()) _exit(3);
    // On a thread of its own, as the gofer serves each root.
    bool ok = false;
    std::thread th([&] { ok = server_->Serve(sv[1]).ok(); });
    th.join();
    _exit(ok ? 0 : 4);
  }
  close(sv[1]);
  auto call = [&](const Request& r, int* fd) {
    std::string req = EncodeRequest(r);
    EXPECT_EQ(send(sv[0], req.data(), req.size(), 0), static_cast<ssize_t>(req.size()));
    std::string packet;
    EXPECT_GT(RecvReply(sv[0], &packet, fd), 0);
    auto r2 = DecodeReply(packet);
    return r2.ok() ? 0 : r2.error().code();
  };
  int fd = -1;
  EXPECT_EQ(call({.op = Op::kWalk, .path = "dir/up"}, nullptr), 0);
  EXPECT_EQ(call({.op = Op::kOpen, .flags = O_RDWR | O_CREAT, .mode = 0600, .path = "dir/c"}, &fd), 0);
  EXPECT_GE(fd, 0);
  close(fd);
  EXPECT_EQ(call({.op = Op::kMkdir, .mode = 0755, .path = "m"}, nullptr), 0);
  EXPECT_EQ(call({.op = Op::kMknod, .mode = S_IFIFO | 0600, .path = "m/p"}, nullptr), 0);
  EXPECT_EQ(call({.op = Op::kSymlink, .path = "m/s", .path2 = "x"}, nullptr), 0);
  EXPECT_EQ(call({.op = Op::kLink, .path = "dir/c", .path2 = "m/h"}, nullptr), 0);
  EXPECT_EQ(call({.op = Op::kRename, .path = "m/h", .path2 = "m/h2"}, nullptr), 0);
  EXPECT_EQ(call({.op = Op::kSetAttr, .flags = kSetMode | kSetUid | kSetSize | kSetAtime, .mode = 0644,
                  .uid = geteuid(), .size = 3, .atime_nsec = kTimeNow, .path = "dir/c"}, nullptr), 0);
  EXPECT_EQ(call({.op = Op::kSetAttr, .flags = kSetMode, .mode = 0644, .path = "m/p"}, nullptr), 0);
  EXPECT_EQ(call({.op = Op::kUnlink, .path = "m/h2"}, nullptr), 0);
  EXPECT_EQ(call({.op = Op::kReadDir, .path = "m"}, nullptr), 0);
  EXPECT_EQ(call({.op = Op::kStatFs}, nullptr), 0);
  EXPECT_EQ(call({.op = Op::kSetXattr, .size = 6, .path = "dir/c", .path2 = "user.av"}, nullptr), 0);
  EXPECT_EQ(call({.op = Op::kGetXattr, .path = "dir/c", .path2 = "user.a"}, nullptr), 0);
  EXPECT_EQ(call({.op = Op::kListXattr, .path = "dir/c"}, nullptr), 0);
  EXPECT_EQ(call({.op = Op::kRemoveXattr, .path = "dir/c", .path2 = "user.a"}, nullptr), 0);
  close(sv[0]);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;

  pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (!LoadSeccompAllowlist().ok()) _exit(3);
    (void)!socket(AF_INET, SOCK_STREAM, 0);
    _exit(0);
  }
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS) << "status " << status;
}

// What the gofer's threads make glibc's malloc do, under the allowlist alone:
// more than eight threads alive at once (a container with many bind mounts has
// one serving thread per root), each with an arena of its own, whose heaps
// shrink when big frees merge into the top, and which then exit. glibc then
// counts CPUs (from /sys, or by sched_getaffinity when the root has no /sys) and
// asks /proc whether overcommit is strict. Each happens once per process, so
// this runs in a freshly started one: in the host's root, or in an empty one (a
// tmpfs over /tmp in a mount namespace of its own, gone when the process exits).
void ManyThreadsChurnMalloc(bool empty_root) {
  if (empty_root && (unshare(CLONE_NEWNS) != 0 || mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
                     mount("tmpfs", "/tmp", "tmpfs", 0, "mode=0755") != 0 || chroot("/tmp") != 0 || chdir("/") != 0)) {
    _exit(2);
  }
  if (!LoadSeccompAllowlist().ok()) _exit(3);
  constexpr int kThreads = 16;
  // (A mutex and a condition variable, not std::latch, whose spinning calls sched_yield.)
  std::mutex mu;
  std::condition_variable cv;
  int arrived = 0;
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      // Each thread's first allocation takes an arena; none is free while the
      // others wait below holding theirs, as serving threads wait in recvmsg.
      void* volatile first = malloc(64);  // (volatile: kept, not folded with its free)
      {
        std::unique_lock<std::mutex> lock(mu);
        if (++arrived == kThreads) cv.notify_all();
        cv.wait(lock, [&] { return arrived == kThreads; });
      }
      // 2 KiB chunks bypass the thread cache; 512 KiB of them, freed last-first,
      // merge into a top chunk past the 128 KiB trim threshold.
      std::vector<void*> chunks;
      for (int j = 0; j < 256; ++j) chunks.push_back(malloc(2048));
      for (auto it = chunks.rbegin(); it != chunks.rend(); ++it) free(*it);
      free(first);
    });
  }
  for (auto& t : threads) t.join();
  _exit(0);
}

// The host's root, as under `stockade do`: glibc reads /sys and /proc.
TEST(GoferAllowlist, CoversMallocOfManyThreadsWithSysAndProc) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");  // re-executes: glibc's once-only paths are fresh
  EXPECT_EXIT(ManyThreadsChurnMalloc(/*empty_root=*/false), ::testing::ExitedWithCode(0), "");
}

// An empty root, as a bundle's rootfs without /sys: glibc asks sched_getaffinity.
TEST(GoferAllowlist, CoversMallocOfManyThreadsInAnEmptyRoot) {
  if (geteuid() != 0) GTEST_SKIP() << "a mount namespace and chroot need root";
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(ManyThreadsChurnMalloc(/*empty_root=*/true), ::testing::ExitedWithCode(0), "");
}

// The fuzz target's corpus, replayed on every build: each seed (and each
// crash the fuzzer ever found, kept there under its name) leaves the
// fixture's invariants intact.
TEST(GoferFuzzCorpus, EverySeedKeepsTheServerInsideItsRoot) {
  FuzzFixture fixture;
  int seeds = 0;
  for (const auto& entry : std::filesystem::directory_iterator(GOFER_FUZZ_CORPUS_DIR)) {
    auto bytes = ReadFile(entry.path().string());
    ASSERT_TRUE(bytes.ok()) << entry.path();
    fixture.Restore();
    EXPECT_EQ(fixture.HandleAndCheck(*bytes), "") << entry.path();
    ++seeds;
  }
  EXPECT_GE(seeds, 20);
}

}  // namespace
}  // namespace stockade::gofer
