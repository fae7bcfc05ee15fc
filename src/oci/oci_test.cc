// Parsing tests: ParseSpec, LoadSpec, ParseProcess. Validation, state, default spec, features,
// the fuzz corpus and runc compatibility have their own files in this binary.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <nlohmann/json.hpp>
#include <string>

#include "oci/parse.h"
#include "oci/test_util.h"

namespace stockade::oci {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// `runc spec` output of runc 1.1.5 (Debian 12), byte for byte.
constexpr const char* kRuncSpec = R"({
	"ociVersion": "1.0.2-dev",
	"process": {
		"terminal": true,
		"user": {
			"uid": 0,
			"gid": 0
		},
		"args": [
			"sh"
		],
		"env": [
			"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			"TERM=xterm"
		],
		"cwd": "/",
		"capabilities": {
			"bounding": [
				"CAP_AUDIT_WRITE",
				"CAP_KILL",
				"CAP_NET_BIND_SERVICE"
			],
			"effective": [
				"CAP_AUDIT_WRITE",
				"CAP_KILL",
				"CAP_NET_BIND_SERVICE"
			],
			"permitted": [
				"CAP_AUDIT_WRITE",
				"CAP_KILL",
				"CAP_NET_BIND_SERVICE"
			],
			"ambient": [
				"CAP_AUDIT_WRITE",
				"CAP_KILL",
				"CAP_NET_BIND_SERVICE"
			]
		},
		"rlimits": [
			{
				"type": "RLIMIT_NOFILE",
				"hard": 1024,
				"soft": 1024
			}
		],
		"noNewPrivileges": true
	},
	"root": {
		"path": "rootfs",
		"readonly": true
	},
	"hostname": "runc",
	"mounts": [
		{
			"destination": "/proc",
			"type": "proc",
			"source": "proc"
		},
		{
			"destination": "/dev",
			"type": "tmpfs",
			"source": "tmpfs",
			"options": [
				"nosuid",
				"strictatime",
				"mode=755",
				"size=65536k"
			]
		},
		{
			"destination": "/dev/pts",
			"type": "devpts",
			"source": "devpts",
			"options": [
				"nosuid",
				"noexec",
				"newinstance",
				"ptmxmode=0666",
				"mode=0620",
				"gid=5"
			]
		},
		{
			"destination": "/dev/shm",
			"type": "tmpfs",
			"source": "shm",
			"options": [
				"nosuid",
				"noexec",
				"nodev",
				"mode=1777",
				"size=65536k"
			]
		},
		{
			"destination": "/dev/mqueue",
			"type": "mqueue",
			"source": "mqueue",
			"options": [
				"nosuid",
				"noexec",
				"nodev"
			]
		},
		{
			"destination": "/sys",
			"type": "sysfs",
			"source": "sysfs",
			"options": [
				"nosuid",
				"noexec",
				"nodev",
				"ro"
			]
		},
		{
			"destination": "/sys/fs/cgroup",
			"type": "cgroup",
			"source": "cgroup",
			"options": [
				"nosuid",
				"noexec",
				"nodev",
				"relatime",
				"ro"
			]
		}
	],
	"linux": {
		"resources": {
			"devices": [
				{
					"allow": false,
					"access": "rwm"
				}
			]
		},
		"namespaces": [
			{
				"type": "pid"
			},
			{
				"type": "network"
			},
			{
				"type": "ipc"
			},
			{
				"type": "uts"
			},
			{
				"type": "mount"
			}
		],
		"maskedPaths": [
			"/proc/acpi",
			"/proc/asound",
			"/proc/kcore",
			"/proc/keys",
			"/proc/latency_stats",
			"/proc/timer_list",
			"/proc/timer_stats",
			"/proc/sched_debug",
			"/sys/firmware",
			"/proc/scsi"
		],
		"readonlyPaths": [
			"/proc/bus",
			"/proc/fs",
			"/proc/irq",
			"/proc/sys",
			"/proc/sysrq-trigger"
		]
	}
})";

// Every field the model holds, with values distinct enough to catch swapped assignments.
constexpr const char* kFullSpec = R"({
  "ociVersion": "1.2.0",
  "process": {
    "terminal": true,
    "consoleSize": {"height": 24, "width": 80},
    "user": {"uid": 1000, "gid": 1001, "umask": 18, "additionalGids": [5, 6], "username": "u"},
    "args": ["/bin/app", "--flag"],
    "env": ["A=1", "B=2"],
    "cwd": "/work",
    "capabilities": {
      "bounding": ["CAP_CHOWN"], "effective": ["CAP_KILL"], "inheritable": ["CAP_SETUID"],
      "permitted": ["CAP_SETGID"], "ambient": ["CAP_NET_RAW"]
    },
    "rlimits": [{"type": "RLIMIT_CORE", "hard": 4096, "soft": 1024}],
    "noNewPrivileges": true,
    "apparmorProfile": "prof",
    "oomScoreAdj": -17,
    "selinuxLabel": "system_u:system_r:container_t:s0",
    "ioPriority": {"class": "IOPRIO_CLASS_IDLE", "priority": 4},
    "scheduler": {"policy": "SCHED_BATCH", "nice": 5},
    "execCPUAffinity": {"initial": "0", "final": "0-1"}
  },
  "root": {"path": "/srv/rootfs", "readonly": false},
  "hostname": "box",
  "domainname": "example.org",
  "mounts": [
    {"destination": "/data", "type": "bind", "source": "/srv/data", "options": ["rbind", "ro"]},
    {"destination": "tmp", "type": "tmpfs", "source": "tmpfs"}
  ],
  "hooks": {
    "prestart": [{"path": "/h/prestart"}],
    "createRuntime": [{"path": "/h/cr", "args": ["cr", "x"], "env": ["K=V"], "timeout": 5}],
    "createContainer": [{"path": "/h/cc"}],
    "startContainer": [{"path": "/h/sc"}],
    "poststart": [{"path": "/h/ps"}],
    "poststop": [{"path": "/h/pst"}, {"path": "/h/pst2"}]
  },
  "annotations": {"io.kubernetes.cri.container-type": "sandbox", "k": "v"},
  "linux": {
    "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
    "gidMappings": [{"containerID": 0, "hostID": 200000, "size": 65535}],
    "sysctl": {"net.ipv4.ip_forward": "1"},
    "resources": {
      "devices": [{"allow": false, "access": "rwm"},
                  {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rw"}],
      "memory": {"limit": 536870912, "reservation": 1024, "swap": 1073741824, "kernel": -1,
                 "kernelTCP": 7, "swappiness": 60, "disableOOMKiller": true,
                 "useHierarchy": false, "checkBeforeUpdate": true},
      "cpu": {"shares": 512, "quota": 50000, "burst": 1000, "period": 100000,
              "realtimeRuntime": 950, "realtimePeriod": 1000, "cpus": "0-1", "mems": "0",
              "idle": 1},
      "pids": {"limit": 99},
      "blockIO": {"weight": 10},
      "hugepageLimits": [{"pageSize": "2MB", "limit": 209715200}],
      "network": {"classID": 1048577},
      "rdma": {"mlx5_1": {"hcaHandles": 3}},
      "unified": {"memory.high": "1G"}
    },
    "cgroupsPath": "/stockade/box",
    "namespaces": [{"type": "pid"}, {"type": "network", "path": "/var/run/netns/x"},
                   {"type": "user"}],
    "devices": [{"type": "c", "path": "/dev/fuse", "major": 10, "minor": 229, "fileMode": 438,
                 "uid": 0, "gid": 0}],
    "seccomp": {
      "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38,
      "architectures": ["SCMP_ARCH_X86_64"], "flags": ["SECCOMP_FILTER_FLAG_LOG"],
      "listenerPath": "/run/l.sock", "listenerMetadata": "meta",
      "syscalls": [{"names": ["clone"], "action": "SCMP_ACT_ALLOW", "errnoRet": 9,
                    "args": [{"index": 0, "value": 2114060288, "valueTwo": 0,
                              "op": "SCMP_CMP_MASKED_EQ"}]}]
    },
    "rootfsPropagation": "rslave",
    "maskedPaths": ["/proc/kcore"],
    "readonlyPaths": ["/proc/sys"],
    "mountLabel": "system_u:object_r:container_file_t:s0",
    "personality": {"domain": "LINUX32"},
    "intelRdt": {"closID": "c1"},
    "timeOffsets": {"monotonic": {"secs": 1}}
  }
})";

std::string ErrorOf(const Result<Spec>& r) { return r.ok() ? "OK" : r.error().ToString(); }

// Parses kFullSpec with `path` (a JSON pointer) replaced by `value`.
Result<Spec> ParseFullWith(const std::string& pointer, const json& value) {
  json doc = json::parse(kFullSpec);
  doc[json::json_pointer(pointer)] = value;
  return ParseSpec(doc.dump());
}

TEST(ParseSpec, RuncDefaultSpecRoundTrips) {
  auto r = ParseSpec(kRuncSpec);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  const Spec& s = *r;
  EXPECT_EQ(s.oci_version, "1.0.2-dev");
  ASSERT_TRUE(s.process);
  EXPECT_TRUE(s.process->terminal);
  EXPECT_EQ(s.process->args, std::vector<std::string>{"sh"});
  EXPECT_EQ(s.process->env.size(), 2u);
  EXPECT_EQ(s.process->env[1], "TERM=xterm");
  EXPECT_EQ(s.process->cwd, "/");
  ASSERT_TRUE(s.process->capabilities);
  EXPECT_EQ(s.process->capabilities->ambient.size(), 3u);
  EXPECT_TRUE(s.process->capabilities->inheritable.empty());
  ASSERT_EQ(s.process->rlimits.size(), 1u);
  EXPECT_EQ(s.process->rlimits[0].type, "RLIMIT_NOFILE");
  EXPECT_EQ(s.process->rlimits[0].soft, 1024u);
  EXPECT_TRUE(s.process->no_new_privileges);
  ASSERT_TRUE(s.root);
  EXPECT_EQ(s.root->path, "rootfs");
  EXPECT_TRUE(s.root->readonly);
  EXPECT_EQ(s.hostname, "runc");
  ASSERT_EQ(s.mounts.size(), 7u);
  EXPECT_EQ(s.mounts[2].destination, "/dev/pts");
  EXPECT_EQ(s.mounts[2].options.back(), "gid=5");
  EXPECT_TRUE(s.mounts[0].options.empty());
  ASSERT_TRUE(s.linux);
  ASSERT_TRUE(s.linux->resources);
  ASSERT_EQ(s.linux->resources->devices.size(), 1u);
  EXPECT_FALSE(s.linux->resources->devices[0].allow);
  EXPECT_EQ(s.linux->resources->devices[0].type, "a");  // Absent means all.
  EXPECT_EQ(s.linux->resources->devices[0].access, "rwm");
  ASSERT_EQ(s.linux->namespaces.size(), 5u);
  EXPECT_NE(s.FindNamespace("uts"), nullptr);
  EXPECT_EQ(s.FindNamespace("user"), nullptr);
  EXPECT_EQ(s.linux->masked_paths.size(), 10u);
  EXPECT_EQ(s.linux->readonly_paths.back(), "/proc/sysrq-trigger");
  EXPECT_FALSE(s.linux->seccomp);
  // raw is the document itself, for passing on unchanged.
  EXPECT_EQ(s.raw, json::parse(kRuncSpec));
}

TEST(ParseSpec, ReadsEveryField) {
  auto r = ParseSpec(kFullSpec);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  const Spec& s = *r;
  const Process& p = *s.process;
  ASSERT_TRUE(p.console_size);
  EXPECT_EQ(p.console_size->height, 24u);
  EXPECT_EQ(p.console_size->width, 80u);
  EXPECT_EQ(p.user.uid, 1000u);
  EXPECT_EQ(p.user.gid, 1001u);
  EXPECT_EQ(p.user.umask, 18u);
  EXPECT_EQ(p.user.additional_gids, (std::vector<uint32_t>{5, 6}));
  EXPECT_EQ(p.user.username, "u");
  EXPECT_EQ(p.args, (std::vector<std::string>{"/bin/app", "--flag"}));
  EXPECT_EQ(p.cwd, "/work");
  EXPECT_EQ(p.capabilities->bounding, std::vector<std::string>{"CAP_CHOWN"});
  EXPECT_EQ(p.capabilities->effective, std::vector<std::string>{"CAP_KILL"});
  EXPECT_EQ(p.capabilities->inheritable, std::vector<std::string>{"CAP_SETUID"});
  EXPECT_EQ(p.capabilities->permitted, std::vector<std::string>{"CAP_SETGID"});
  EXPECT_EQ(p.capabilities->ambient, std::vector<std::string>{"CAP_NET_RAW"});
  EXPECT_EQ(p.rlimits[0].hard, 4096u);
  EXPECT_EQ(p.rlimits[0].soft, 1024u);
  EXPECT_EQ(p.apparmor_profile, "prof");
  EXPECT_EQ(p.oom_score_adj, -17);
  EXPECT_EQ(p.selinux_label, "system_u:system_r:container_t:s0");
  EXPECT_EQ(p.io_priority["priority"], 4);
  EXPECT_EQ(p.scheduler["policy"], "SCHED_BATCH");
  EXPECT_EQ(p.exec_cpu_affinity["final"], "0-1");

  EXPECT_EQ(s.root->path, "/srv/rootfs");
  EXPECT_FALSE(s.root->readonly);
  EXPECT_EQ(s.hostname, "box");
  EXPECT_EQ(s.domainname, "example.org");
  EXPECT_EQ(s.mounts[0].source, "/srv/data");
  EXPECT_EQ(s.mounts[0].type, "bind");
  EXPECT_EQ(s.mounts[0].options, (std::vector<std::string>{"rbind", "ro"}));
  // Relative destinations are read as relative to "/", as runc does.
  EXPECT_EQ(s.mounts[1].destination, "/tmp");

  EXPECT_EQ(s.hooks.prestart.at(0).path, "/h/prestart");
  EXPECT_EQ(s.hooks.create_runtime.at(0).args, (std::vector<std::string>{"cr", "x"}));
  EXPECT_EQ(s.hooks.create_runtime.at(0).env, std::vector<std::string>{"K=V"});
  EXPECT_EQ(s.hooks.create_runtime.at(0).timeout, 5);
  EXPECT_FALSE(s.hooks.prestart.at(0).timeout);
  EXPECT_EQ(s.hooks.create_container.at(0).path, "/h/cc");
  EXPECT_EQ(s.hooks.start_container.at(0).path, "/h/sc");
  EXPECT_EQ(s.hooks.poststart.at(0).path, "/h/ps");
  EXPECT_EQ(s.hooks.poststop.at(1).path, "/h/pst2");
  EXPECT_EQ(s.annotations.at("io.kubernetes.cri.container-type"), "sandbox");

  const Linux& l = *s.linux;
  EXPECT_EQ(l.uid_mappings.at(0).host_id, 100000u);
  EXPECT_EQ(l.uid_mappings.at(0).size, 65536u);
  EXPECT_EQ(l.gid_mappings.at(0).host_id, 200000u);
  EXPECT_EQ(l.gid_mappings.at(0).size, 65535u);
  EXPECT_EQ(l.sysctl.at("net.ipv4.ip_forward"), "1");
  const Resources& res = *l.resources;
  EXPECT_TRUE(res.devices.at(1).allow);
  EXPECT_EQ(res.devices.at(1).type, "c");
  EXPECT_EQ(res.devices.at(1).major, 1);
  EXPECT_EQ(res.devices.at(1).minor, 3);
  EXPECT_FALSE(res.devices.at(0).major);
  EXPECT_EQ(res.memory->limit, 536870912);
  EXPECT_EQ(res.memory->reservation, 1024);
  EXPECT_EQ(res.memory->swap, 1073741824);
  EXPECT_EQ(res.memory->kernel, -1);
  EXPECT_EQ(res.memory->kernel_tcp, 7);
  EXPECT_EQ(res.memory->swappiness, 60u);
  EXPECT_EQ(res.memory->disable_oom_killer, true);
  EXPECT_EQ(res.memory->use_hierarchy, false);
  EXPECT_EQ(res.memory->check_before_update, true);
  EXPECT_EQ(res.cpu->shares, 512u);
  EXPECT_EQ(res.cpu->quota, 50000);
  EXPECT_EQ(res.cpu->burst, 1000u);
  EXPECT_EQ(res.cpu->period, 100000u);
  EXPECT_EQ(res.cpu->realtime_runtime, 950);
  EXPECT_EQ(res.cpu->realtime_period, 1000u);
  EXPECT_EQ(res.cpu->cpus, "0-1");
  EXPECT_EQ(res.cpu->mems, "0");
  EXPECT_EQ(res.cpu->idle, 1);
  EXPECT_EQ(res.pids->limit, 99);
  EXPECT_EQ(res.block_io["weight"], 10);
  EXPECT_EQ(res.hugepage_limits[0]["pageSize"], "2MB");
  EXPECT_EQ(res.network["classID"], 1048577);
  EXPECT_EQ(res.rdma["mlx5_1"]["hcaHandles"], 3);
  EXPECT_EQ(res.unified.at("memory.high"), "1G");
  EXPECT_EQ(l.cgroups_path, "/stockade/box");
  EXPECT_EQ(l.namespaces.at(1).path, "/var/run/netns/x");
  EXPECT_EQ(s.FindNamespace("network")->path, "/var/run/netns/x");
  const Device& d = l.devices.at(0);
  EXPECT_EQ(d.type, "c");
  EXPECT_EQ(d.path, "/dev/fuse");
  EXPECT_EQ(d.major, 10);
  EXPECT_EQ(d.minor, 229);
  EXPECT_EQ(d.file_mode, 438u);
  EXPECT_EQ(d.uid, 0u);
  const Seccomp& sc = *l.seccomp;
  EXPECT_EQ(sc.default_action, "SCMP_ACT_ERRNO");
  EXPECT_EQ(sc.default_errno_ret, 38u);
  EXPECT_EQ(sc.architectures, std::vector<std::string>{"SCMP_ARCH_X86_64"});
  EXPECT_EQ(sc.flags, std::vector<std::string>{"SECCOMP_FILTER_FLAG_LOG"});
  EXPECT_EQ(sc.listener_path, "/run/l.sock");
  EXPECT_EQ(sc.listener_metadata, "meta");
  EXPECT_EQ(sc.syscalls.at(0).names, std::vector<std::string>{"clone"});
  EXPECT_EQ(sc.syscalls.at(0).errno_ret, 9u);
  EXPECT_EQ(sc.syscalls.at(0).args.at(0).value, 2114060288u);
  EXPECT_EQ(sc.syscalls.at(0).args.at(0).op, "SCMP_CMP_MASKED_EQ");
  EXPECT_EQ(l.rootfs_propagation, "rslave");
  EXPECT_EQ(l.masked_paths, std::vector<std::string>{"/proc/kcore"});
  EXPECT_EQ(l.readonly_paths, std::vector<std::string>{"/proc/sys"});
  EXPECT_EQ(l.mount_label, "system_u:object_r:container_file_t:s0");
  EXPECT_EQ(l.personality["domain"], "LINUX32");
  EXPECT_EQ(l.intel_rdt["closID"], "c1");
  EXPECT_EQ(l.time_offsets["monotonic"]["secs"], 1);
}

TEST(ParseSpec, TypeErrorsNameTheJsonPath) {
  EXPECT_EQ(ErrorOf(ParseFullWith("/process/args/1", 7)),
            "config.json: process.args[1]: expected string, got number");
  EXPECT_EQ(ErrorOf(ParseFullWith("/linux/resources/memory/limit", "512M")),
            "config.json: linux.resources.memory.limit: expected integer, got string");
  EXPECT_EQ(ErrorOf(ParseFullWith("/linux/resources/memory/limit", 1.5)),
            "config.json: linux.resources.memory.limit: expected integer, got non-integer number");
  EXPECT_EQ(ErrorOf(ParseFullWith("/process/user/uid", -1)),
            "config.json: process.user.uid: expected integer in [0, 4294967295], got -1");
  EXPECT_EQ(ErrorOf(ParseFullWith("/process/user/gid", 4294967296)),
            "config.json: process.user.gid: expected integer in [0, 4294967295], got 4294967296");
  EXPECT_EQ(ErrorOf(ParseFullWith("/process/terminal", "yes")),
            "config.json: process.terminal: expected boolean, got string");
  EXPECT_EQ(ErrorOf(ParseFullWith("/annotations/k", true)),
            "config.json: annotations[\"k\"]: expected string, got boolean");
  EXPECT_EQ(ErrorOf(ParseFullWith("/linux/namespaces", json::object())),
            "config.json: linux.namespaces: expected array, got object");
  EXPECT_EQ(ErrorOf(ParseFullWith("/linux/namespaces/2", "user")),
            "config.json: linux.namespaces[2]: expected object, got string");
  EXPECT_EQ(ErrorOf(ParseFullWith("/hooks/poststop/1/timeout", "5")),
            "config.json: hooks.poststop[1].timeout: expected integer, got string");
  EXPECT_EQ(ErrorOf(ParseFullWith("/linux/seccomp/syscalls/0/args/0/index", json::array())),
            "config.json: linux.seccomp.syscalls[0].args[0].index: expected integer, got array");
  EXPECT_EQ(ErrorOf(ParseFullWith("/linux/sysctl/net.ipv4.ip_forward", 1)),
            "config.json: linux.sysctl[\"net.ipv4.ip_forward\"]: expected string, got number");
  EXPECT_EQ(ErrorOf(ParseFullWith("/linux/uidMappings/0/size", "all")),
            "config.json: linux.uidMappings[0].size: expected integer, got string");
  EXPECT_EQ(ErrorOf(ParseFullWith("/process/oomScoreAdj", 3000000000)),
            "config.json: process.oomScoreAdj: expected integer in [-2147483648, 2147483647], "
            "got 3000000000");
  EXPECT_EQ(ErrorOf(ParseFullWith("/mounts/0/options", "ro")),
            "config.json: mounts[0].options: expected array of strings, got string");
  EXPECT_EQ(ErrorOf(ParseFullWith("/linux/resources/unified/memory.high", 5)),
            "config.json: linux.resources.unified[\"memory.high\"]: expected string, got number");
  EXPECT_EQ(ErrorOf(ParseSpec("[1, 2]")), "config.json: expected object, got array");
}

TEST(ParseSpec, MalformedJsonReportsLineAndColumn) {
  const std::string text =
      "{\n"
      "  \"ociVersion\": \"1.0.0\",\n"
      "  \"process\": {\n"
      "    \"args\": [\"sh\",]\n"
      "  }\n"
      "}\n";
  auto r = ParseSpec(text);
  ASSERT_FALSE(r.ok());
  // Column 19 is the "]" that follows the trailing comma.
  EXPECT_THAT(r.error().ToString(),
              StartsWith("config.json: malformed JSON at line 4, column 19: "));
  EXPECT_THAT(r.error().ToString(), Not(HasSubstr("json.exception")));

  auto truncated = ParseSpec("{\n\"a\": [1,\n");
  ASSERT_FALSE(truncated.ok());
  EXPECT_THAT(truncated.error().ToString(),
              StartsWith("config.json: malformed JSON at line 3, column 1: "));

  auto empty = ParseSpec("");
  ASSERT_FALSE(empty.ok());
  EXPECT_THAT(empty.error().ToString(),
              StartsWith("config.json: malformed JSON at line 1, column 1"));

  // The column is that of the last character read: where the bad token ended.
  auto garbage = ParseSpec("{\"ociVersion\": tru}");
  ASSERT_FALSE(garbage.ok());
  EXPECT_THAT(garbage.error().ToString(),
              StartsWith("config.json: malformed JSON at line 1, column 19: syntax error while "
                         "parsing value - invalid literal"));
}

TEST(ParseSpec, SyntaxErrorsNeverEchoRawBytes) {
  // Invalid UTF-8 from the document must not reach the (possibly JSON) log verbatim.
  auto r = ParseSpec("{\"ociVersion\": \"1.0\xff\x01\"}");
  ASSERT_FALSE(r.ok());
  const std::string msg = r.error().ToString();
  EXPECT_THAT(msg, HasSubstr("\\xff"));
  for (unsigned char c : msg) EXPECT_TRUE(c >= 0x20 && c < 0x7f) << "byte " << int{c};
  EXPECT_NO_THROW((void)json(msg).dump());
}

TEST(ParseSpec, IgnoresUnknownFieldsAndNulls) {
  auto r = ParseSpec(R"({
    "ociVersion": "1.3.0", "futureTopLevel": {"x": [1, 2]},
    "process": {"args": ["a"], "cwd": "/", "futureField": 3, "user": null, "rlimits": null},
    "root": {"path": "r", "futureRootOption": true},
    "hostname": null,
    "linux": {"futureLinux": {}, "namespaces": [{"type": "pid", "futureNs": 1}],
              "resources": {"memory": {"limit": null, "futureKnob": 1}}}
  })");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->process->args, std::vector<std::string>{"a"});
  EXPECT_EQ(r->process->user.uid, 0u);
  EXPECT_TRUE(r->hostname.empty());
  EXPECT_FALSE(r->linux->resources->memory->limit);
  EXPECT_EQ(r->raw["futureTopLevel"]["x"][1], 2);  // Still there for whoever passes it on.
}

TEST(ParseSpec, DeepNestingIsRefusedNotRecursedInto) {
  std::string deep = "{\"x\": " + std::string(100000, '[') + std::string(100000, ']') + "}";
  auto r = ParseSpec(deep);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().ToString(), HasSubstr("nested deeper than"));
  // Sixty levels of unknown data are fine.
  std::string ok = "{\"x\": " + std::string(60, '[') + std::string(60, ']') + "}";
  EXPECT_TRUE(ParseSpec(ok).ok());
}

TEST(LoadSpec, MissingConfigIsOneLineWithErrno) {
  testing::TempDir dir;
  auto r = LoadSpec(dir.path());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ENOENT);
  EXPECT_EQ(r.error().ToString(),
            "bundle \"" + dir.path() + "\": config.json: ENOENT (No such file or directory)");
  auto missing_dir = LoadSpec("/nonexistent-bundle");
  ASSERT_FALSE(missing_dir.ok());
  EXPECT_EQ(missing_dir.error().message(), "bundle \"/nonexistent-bundle\": config.json");
}

TEST(LoadSpec, ReadsBundleConfigAndReportsSyntaxErrors) {
  testing::TempBundle bundle;
  bundle.WriteConfig(kRuncSpec);
  auto r = LoadSpec(bundle.path());
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->hostname, "runc");

  // A missing comma: reported at the end of the next token, "root" on line 3.
  bundle.WriteConfig("{\n  \"ociVersion\": \"1.0.0\"\n  \"root\": {}\n}\n");
  auto bad = LoadSpec(bundle.path());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().ToString(),
            "config.json: malformed JSON at line 3, column 8: syntax error while parsing object - "
            "unexpected string literal; expected '}'");
}

TEST(ParseProcess, ReadsExecProcessJson) {
  auto r = ParseProcess(R"({
    "terminal": false, "user": {"uid": 33, "gid": 33, "additionalGids": [4]},
    "args": ["ps", "aux"], "env": ["PATH=/bin"], "cwd": "/tmp",
    "capabilities": {"bounding": ["CAP_KILL"]},
    "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 10, "soft": 5}],
    "noNewPrivileges": true, "apparmorProfile": "p", "selinuxLabel": "l"
  })");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->user.uid, 33u);
  EXPECT_EQ(r->user.additional_gids, std::vector<uint32_t>{4});
  EXPECT_EQ(r->args, (std::vector<std::string>{"ps", "aux"}));
  EXPECT_EQ(r->cwd, "/tmp");
  EXPECT_EQ(r->capabilities->bounding, std::vector<std::string>{"CAP_KILL"});
  EXPECT_EQ(r->rlimits.at(0).soft, 5u);
  EXPECT_TRUE(r->no_new_privileges);
}

TEST(ParseProcess, ErrorsAreRelativeToTheProcessObject) {
  auto r = ParseProcess(R"({"args": ["ps", 1], "cwd": "/"})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().ToString(), "args[1]: expected string, got number");
  auto bad = ParseProcess("{\"args\": [}");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.error().ToString(), StartsWith("malformed JSON at line 1, column 11: "));
  auto not_object = ParseProcess("\"sh\"");
  ASSERT_FALSE(not_object.ok());
  EXPECT_EQ(not_object.error().ToString(), "expected object, got string");
  // A document without cwd leaves it empty so that validation can refuse it, as runc does.
  auto no_cwd = ParseProcess(R"({"args": ["sh"]})");
  ASSERT_TRUE(no_cwd.ok());
  EXPECT_EQ(no_cwd->cwd, "");
}

}  // namespace
}  // namespace stockade::oci
