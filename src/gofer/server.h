// The gofer's file server: answers protocol requests (protocol.h) about one
// served root, a directory or a single file (a file bind mount).
//
// Invariants, each of which holds for any request bytes:
//  - every path is walked beneath the root one component at a time with
//    O_NOFOLLOW (or openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), so no
//    request reaches outside the root and no symlink is ever followed;
//  - device nodes are never opened, and only regular files are donated;
//  - a read-only root refuses every change with EROFS;
//  - extended attributes are read and written in the user.* namespace only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "gofer/protocol.h"

namespace stockade::gofer {

class Server {
 public:
  // A directory root: `root` is an O_PATH directory FD. A file root: `root`
  // is an O_PATH FD of its directory and `file_name` the file's name there.
  Server(UniqueFd root, std::string file_name, bool read_only)
      : root_(std::move(root)), file_name_(std::move(file_name)), read_only_(read_only) {}

  // Opens `source` (a host path, trusted: it comes from the spec) as a root.
  static Result<Server> ForSource(const std::string& source, bool read_only);

  // One request packet in; the reply packet and, for Open, a donated FD out.
  void Handle(std::string_view request, std::string* reply, UniqueFd* donated);

  // Serves a SOCK_SEQPACKET socket until its peer closes it.
  Status Serve(int sock);

 private:
  // Where an operation on a path acts: `dir` and `name` for the *at calls,
  // or name empty for the root directory itself.
  struct Target {
    int dir = -1;
    std::string name;
    UniqueFd owned;  // keeps `dir` open when it is not the root
  };
  Result<Target> Locate(const std::vector<std::string_view>& comps) const;

  Result<std::string> Walk(const std::vector<std::string_view>& comps);
  Result<std::string> Open(const RequestHeader& h, const std::vector<std::string_view>& comps, UniqueFd* donated);
  Status Make(const RequestHeader& h, const std::vector<std::string_view>& comps, std::string_view target);
  Status Link(const std::vector<std::string_view>& from, const std::vector<std::string_view>& to);
  Status Unlink(const RequestHeader& h, const std::vector<std::string_view>& comps);
  Status Rename(const RequestHeader& h, const std::vector<std::string_view>& from,
                const std::vector<std::string_view>& to);
  Status SetAttr(const RequestHeader& h, const std::vector<std::string_view>& comps);
  Result<std::string> StatFs();
  Result<std::string> ReadDir(const RequestHeader& h, const std::vector<std::string_view>& comps);
  Result<std::string> Xattr(const RequestHeader& h, const std::vector<std::string_view>& comps,
                            std::string_view arg);

  Status CheckWritable() const;

  UniqueFd root_;
  std::string file_name_;
  bool read_only_;
};

}  // namespace stockade::gofer
