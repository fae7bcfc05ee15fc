#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "base/io.h"
#include "cli/cli.h"

extern char** environ;

namespace stockade::cli {
namespace {

// Runs the host's ps with the caller's options and keeps the header and the container's rows,
// as runc does.
Result<std::string> RunPs(const std::vector<std::string>& ps_args) {
  ASSIGN_OR_RETURN(auto out, MakePipe(O_CLOEXEC));
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out.second.get(), 1);
  std::vector<std::string> args = {"ps"};
  args.insert(args.end(), ps_args.begin(), ps_args.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid;
  int rc = posix_spawnp(&pid, "ps", &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return Error(rc, "running ps");
  out.second.reset();
  auto text = ReadAll(out.first.get());
  int status;
  waitpid(pid, &status, 0);
  if (!text.ok()) return text;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return Error::Msg("ps failed");
  return text;
}

}  // namespace

void AddPs(CLI::App& app, Context& ctx) {
  auto id = std::make_shared<std::string>();
  auto format = std::make_shared<std::string>("table");
  auto ps_args = std::make_shared<std::vector<std::string>>();
  auto* sub = app.add_subcommand("ps", "list the processes of a container");
  sub->add_option("-f,--format", *format)->check(CLI::IsMember({"table", "json"}));
  sub->add_option("container-id", *id)->required();
  sub->add_option("ps-options", *ps_args, "options for ps (default -ef)");
  sub->callback([&ctx, id, format, ps_args] {
    ctx.action = [&ctx, id, format, ps_args] {
      auto list = runtime::Processes(ctx.globals, *id);
      if (!list.ok()) return Fail(list.error());
      const std::vector<pid_t>* pids = &list->pids;
      if (*format == "json") {
        PrintJson(nlohmann::json(*pids), false);
        return 0;
      }
      if (list->in_sandbox) {
        // The processes live only in the Sentry: its table, as runsc prints it.
        printf("%-8s %-8s %-8s %s\n", "UID", "PID", "PPID", "CMD");
        for (const auto& p : list->entries) {
          printf("%-8d %-8d %-8d %s\n", p.value("UID", 0), p.value("PID", 0), p.value("PPID", 0),
                 p.value("Cmd", std::string()).c_str());
        }
        return 0;
      }
      auto text = RunPs(ps_args->empty() ? std::vector<std::string>{"-ef"} : *ps_args);
      if (!text.ok()) return Fail(text.error());
      std::istringstream in(*text);
      std::string header;
      std::getline(in, header);
      // Find the PID column from the header.
      std::istringstream hs(header);
      std::string col;
      int pid_col = -1;
      for (int i = 0; hs >> col; ++i) {
        if (col == "PID") pid_col = i;
      }
      if (pid_col < 0) return Fail("ps output has no PID column");
      printf("%s\n", header.c_str());
      std::string line;
      while (std::getline(in, line)) {
        std::istringstream ls(line);
        std::string field;
        for (int i = 0; i <= pid_col && ls >> field; ++i) {
        }
        pid_t p = static_cast<pid_t>(atoi(field.c_str()));
        if (std::find(pids->begin(), pids->end(), p) != pids->end()) printf("%s\n", line.c_str());
      }
      return 0;
    };
  });
}

}  // namespace stockade::cli
