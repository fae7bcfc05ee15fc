// copy_file_range, splice and tee: data moved between files and pipes without passing through
// the caller's memory, offsets given or taken from the files, and the error paths.
#include "test_util.h"

namespace conformance {
namespace {

std::string ReadAll(int fd, off_t off, size_t n) {
  std::string s(n, '\0');
  ssize_t r = pread(fd, s.data(), n, off);
  s.resize(r > 0 ? static_cast<size_t>(r) : 0);
  return s;
}

struct Files {
  TempDir dir;
  int a = -1, b = -1;
  Files() {
    a = open(dir.Join("a").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    b = open(dir.Join("b").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  }
  ~Files() {
    close(a);
    close(b);
  }
};

TEST(CopyFileRange, CopiesAtPositionsOrGivenOffsets) {
  Files f;
  ASSERT_EQ(10, write(f.a, "0123456789", 10));
  ASSERT_EQ(2, lseek(f.a, 2, SEEK_SET));
  // From the file positions: both advance.
  EXPECT_EQ(4, copy_file_range(f.a, nullptr, f.b, nullptr, 4, 0));
  EXPECT_EQ(6, lseek(f.a, 0, SEEK_CUR));
  EXPECT_EQ(4, lseek(f.b, 0, SEEK_CUR));
  EXPECT_EQ("2345", ReadAll(f.b, 0, 16));
  // Given offsets: updated in place, positions untouched.
  loff_t in = 7, out = 10;
  EXPECT_EQ(3, copy_file_range(f.a, &in, f.b, &out, 100, 0));  // only 3 bytes left
  EXPECT_EQ(10, in);
  EXPECT_EQ(13, out);
  EXPECT_EQ(6, lseek(f.a, 0, SEEK_CUR));
  EXPECT_EQ(std::string("2345\0\0\0\0\0\0", 10) + "789", ReadAll(f.b, 0, 16));
  EXPECT_EQ(0, copy_file_range(f.a, &in, f.b, &out, 5, 0));  // end of input
}

TEST(CopyFileRange, ErrorPaths) {
  Files f;
  ASSERT_EQ(4, write(f.a, "abcd", 4));
  loff_t off = 0;
  EXPECT_ERRNO(EINVAL, copy_file_range(f.a, &off, f.b, nullptr, 4, 1));  // flags
  loff_t neg = -1;
  EXPECT_ERRNO(EOVERFLOW, copy_file_range(f.a, &neg, f.b, nullptr, 4, 0));  // wraps as unsigned
  // Overlapping ranges of one file.
  loff_t i0 = 0, o0 = 2;
  EXPECT_ERRNO(EINVAL, copy_file_range(f.a, &i0, f.a, &o0, 4, 0));
  int p[2];
  ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
  EXPECT_ERRNO(EINVAL, copy_file_range(f.a, &off, p[1], nullptr, 4, 0));
  int d = open(f.dir.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  EXPECT_ERRNO(EISDIR, copy_file_range(d, nullptr, f.b, nullptr, 4, 0));
  int ro = open(f.dir.Join("b").c_str(), O_RDONLY | O_CLOEXEC);
  EXPECT_ERRNO(EBADF, copy_file_range(f.a, &off, ro, nullptr, 4, 0));
  EXPECT_ERRNO(EBADF, copy_file_range(9999, nullptr, f.b, nullptr, 4, 0));
  EXPECT_ERRNO(EFAULT, copy_file_range(f.a, static_cast<loff_t*>(BadPointer()), f.b, nullptr, 4, 0));
  close(ro);
  close(d);
  close(p[0]);
  close(p[1]);
}

TEST(Splice, FileToPipeAndBack) {
  Files f;
  ASSERT_EQ(6, write(f.a, "splice", 6));
  int p[2];
  ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
  loff_t off = 1;
  EXPECT_EQ(5, splice(f.a, &off, p[1], nullptr, 64, 0));
  EXPECT_EQ(6, off);
  EXPECT_EQ(6, lseek(f.a, 0, SEEK_CUR));  // the write's position, untouched by splice
  EXPECT_EQ(5, splice(p[0], nullptr, f.b, nullptr, 64, 0));
  EXPECT_EQ("plice", ReadAll(f.b, 0, 16));
  // An empty pipe with SPLICE_F_NONBLOCK; with its writer gone, end of input.
  EXPECT_ERRNO(EAGAIN, splice(p[0], nullptr, f.b, nullptr, 64, SPLICE_F_NONBLOCK));
  close(p[1]);
  EXPECT_EQ(0, splice(p[0], nullptr, f.b, nullptr, 64, 0));
  close(p[0]);
}

TEST(Splice, ErrorPaths) {
  Files f;
  int p[2];
  ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
  loff_t off = 0;
  EXPECT_ERRNO(EINVAL, splice(f.a, nullptr, f.b, nullptr, 4, 0));  // no pipe
  EXPECT_ERRNO(ESPIPE, splice(p[0], &off, f.b, nullptr, 4, 0));    // offset on the pipe
  EXPECT_ERRNO(EBADF, splice(p[1], nullptr, f.b, nullptr, 4, 0));  // write end read
  EXPECT_ERRNO(EBADF, splice(9999, nullptr, p[1], nullptr, 4, 0));
  close(p[0]);
  close(p[1]);
}

TEST(Tee, DuplicatesWithoutConsuming) {
  int a[2], b[2];
  ASSERT_EQ(0, pipe2(a, O_CLOEXEC));
  ASSERT_EQ(0, pipe2(b, O_CLOEXEC));
  ASSERT_EQ(5, write(a[1], "hello", 5));
  EXPECT_EQ(3, tee(a[0], b[1], 3, 0));
  char buf[8] = {};
  EXPECT_EQ(3, read(b[0], buf, sizeof buf));
  EXPECT_STREQ("hel", buf);
  memset(buf, 0, sizeof buf);
  EXPECT_EQ(5, read(a[0], buf, sizeof buf));  // still all there
  EXPECT_STREQ("hello", buf);
  EXPECT_ERRNO(EAGAIN, tee(a[0], b[1], 3, SPLICE_F_NONBLOCK));
  EXPECT_ERRNO(EINVAL, tee(a[0], a[1], 3, 0));  // the same pipe
  EXPECT_ERRNO(EBADF, tee(9999, b[1], 3, 0));
  close(a[1]);
  EXPECT_EQ(0, tee(a[0], b[1], 3, 0));
  for (int fd : {a[0], b[0], b[1]}) close(fd);
}

}  // namespace
}  // namespace conformance
