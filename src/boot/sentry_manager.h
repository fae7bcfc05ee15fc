// The Sentry platforms' ContainerManager: the container runs as tasks of the
// Sentry's kernel, on a platform (ptrace) whose stubs are the only host
// processes the application has.
#pragma once

#include <atomic>
#include <condition_variable>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

#include "boot/api/api.h"
#include "boot/container_manager.h"
#include "platform/platform.h"
#include "sentry/kernel/kernel.h"
#include "sentry/mm/memory_file.h"

namespace stockade::boot {

class SentryManager : public ContainerManager {
 public:
  // Builds the kernel: memory file, platform, mounts over the donated rootfs.
  // `devpts`: the sandbox's private devpts instance (invalid: no terminals).
  static Result<std::unique_ptr<SentryManager>> Create(const boot_api::BootConfig& cfg, const oci::Spec& spec,
                                                       UniqueFd devpts);
  ~SentryManager() override;

  Status CreateContainer(ContainerArgs args) override;
  Result<UniqueFd> FinishCreate(const std::string& cid, const std::string& state_json) override;
  Result<StartOutcome> StartContainer(const std::string& cid, const std::string& state_json) override;
  Status DestroyContainer(const std::string& cid) override;
  Result<Executed> Execute(const std::string& cid, const oci::Process& p, std::vector<UniqueFd> fds) override;
  Result<int> WaitContainer(const std::string& cid) override;
  Result<int> WaitPid(const std::string& cid, pid_t pid) override;
  Status Signal(const std::string& cid, int sig, pid_t pid, int mode) override;
  Result<nlohmann::json> Processes(const std::string& cid) override;
  Status Pause(const std::string& cid) override;
  Status Resume(const std::string& cid) override;
  Result<nlohmann::json> Stats(const std::string& cid) override;
  Result<nlohmann::json> RuntimeState(const std::string& cid) override;
  nlohmann::json ExitRecord() override;

  // Blocks until the root container has exited (or `stop` is set by a
  // signal to the sandbox) and returns its exit code.
  int WaitRootExit();
  // Ends the sandbox: kills every task and wakes WaitRootExit.
  void Shutdown();

 private:
  SentryManager() = default;
  // A new process running `p` in the container, not yet started. Its stdio
  // is `stdio`, or `tty` (then also its session's controlling terminal).
  Result<std::shared_ptr<sentry::kernel::Task>> NewProcess(const oci::Process& p, std::vector<UniqueFd> stdio,
                                                            std::shared_ptr<sentry::vfs::TerminalFile> tty,
                                                            bool init);
  // Drops a process made by NewProcess that never started.
  void DiscardProcess(sentry::kernel::Task& t);
  // A new pty for a `-t` process (the CLI sizes it through the master).
  Result<sentry::vfs::DevPts::Pty> NewTerminal();
  void OnProcessExit(int tgid, int status);

  std::string root_id_;
  oci::Spec spec_;
  std::unique_ptr<sentry::mm::MemoryFile> mf_;
  std::unique_ptr<platform::Platform> platform_;
  std::unique_ptr<sentry::kernel::Kernel> kernel_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::string status_ = "creating";
  std::vector<UniqueFd> root_stdio_;
  // The spec's seccomp profile, compiled by libseccomp (as on native) while
  // the container is created; every process of the container runs it.
  std::shared_future<Result<std::shared_ptr<const sentry::kernel::SeccompProgram>>> seccomp_;
  std::shared_ptr<sentry::vfs::DevPts> devpts_;            // null: no terminals
  std::shared_ptr<sentry::vfs::TerminalFile> root_tty_;    // a terminal container's
  UniqueFd root_console_;                                  // its master, until FinishCreate
  std::atomic<int> console_index_{-1};                     // /dev/console: root_tty_'s N
  std::optional<int> root_exit_;      // exit code (128+N)
  std::map<int, std::optional<int>> exec_exits_;  // exec'd tgid -> exit code
  bool shutdown_ = false;
};

}  // namespace stockade::boot
