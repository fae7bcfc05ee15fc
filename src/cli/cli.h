// The `stockade` command line: runc's global flags and subcommands.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "base/result.h"
#include "runtime/container.h"

namespace stockade::cli {

struct Context {
  runtime::Globals globals;
  std::string log_file;
  std::string log_format = "text";
  bool debug = false;
  std::string debug_log;
  // `exec`: the command after the container ID, split off before flag parsing.
  std::vector<std::string> exec_command;
  // Set by the chosen subcommand; returns the process exit code.
  std::function<int()> action;
};

// Reports an error the way runc does: one line on stderr (and in --log). Returns 1.
int Fail(const Error& e);
int Fail(const std::string& msg);
// Prints JSON (pretty, as runc's state/list) to stdout.
void PrintJson(const nlohmann::json& j, bool pretty = true);

// Subcommands, one file each.
void AddCreate(CLI::App& app, Context& ctx);
void AddStart(CLI::App& app, Context& ctx);
void AddRun(CLI::App& app, Context& ctx);
void AddState(CLI::App& app, Context& ctx);
void AddList(CLI::App& app, Context& ctx);
void AddKill(CLI::App& app, Context& ctx);
void AddDelete(CLI::App& app, Context& ctx);
void AddWait(CLI::App& app, Context& ctx);
void AddPs(CLI::App& app, Context& ctx);
void AddExec(CLI::App& app, Context& ctx);
void AddEvents(CLI::App& app, Context& ctx);
void AddPauseResume(CLI::App& app, Context& ctx);
void AddUpdate(CLI::App& app, Context& ctx);
void AddSpec(CLI::App& app, Context& ctx);
void AddFeatures(CLI::App& app, Context& ctx);
void AddCheckpointRestore(CLI::App& app, Context& ctx);
void AddDebug(CLI::App& app, Context& ctx);
void AddDo(CLI::App& app, Context& ctx);

// Options shared by create and run.
void AddCreateFlags(CLI::App* sub, runtime::CreateOptions& o);

}  // namespace stockade::cli
