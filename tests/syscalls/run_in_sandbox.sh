#!/usr/bin/env bash
# run_in_sandbox.sh [OPTIONS] PROGRAM [ARGS...]
#
# Runs one syscall conformance program as the init process of a Stockade sandbox and exits
# with its exit status (124 if it timed out). The bundle is a busybox rootfs made by
# scripts/make-bundle with the default spec from `stockade spec`, changed only so that:
#   - PROGRAM and every --with FILE are copied to /conformance/ in the rootfs (with
#     lower-xattr, a file carrying user.origin=image), and
#     process.args is /conformance/$(basename PROGRAM) ARGS...;
#   - /tmp is a tmpfs; the rootfs is writable (under Stockade's default memory overlay on
#     the Sentry platforms; the bundle is this run's own copy) and has /conformance-rootfs;
#     a host directory of this run is bind-mounted read-write at /conformance-bind;
#   - process.env gains STOCKADE_CONFORMANCE_FS_DIRS=/tmp:/conformance-bind:/conformance-rootfs,
#     the directories file tests run in (test_util.h FsTestDirs), one per file system kind;
#   - process.env gains STOCKADE_CONFORMANCE_SANDBOX=1, STOCKADE_CONFORMANCE_PLATFORM=P, every GTEST_* variable of the caller,
#     and STOCKADE_CONFORMANCE_SECCOMP_ERRNO=N when the spec's seccomp profile answers
#     syscalls it does not list with errno N.
# Everything (container, state dir, bundle) is removed on every exit path.
#
# Options:
#   --stockade BIN   runtime binary (default: $STOCKADE, else `stockade` on PATH)
#   --platform P     --platform given to the runtime (default: native), or systrap-nopatch:
#                    systrap with --systrap-no-patch. process.env gains
#                    STOCKADE_EXPECT_SITE_PATCHING=1 on systrap (patching on), else 0.
#   --timeout S      seconds before the run counts as hung (default: 120)
#   --with FILE      also copy FILE to /conformance/ (repeatable; e.g. syscall_helper)
#   --env K=V        also put K=V into process.env (repeatable)
#   --jq FILTER      a jq filter applied to config.json last (e.g. cgroup limits)
#   --keep           keep the temp dir (bundle, state) for inspection
# Environment: MAKE_BUNDLE (default: scripts/make-bundle of this checkout), BUSYBOX.
set -euo pipefail

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
  exit 2
}

stockade=${STOCKADE:-}
platform=native
timeout_s=120
keep=0
withs=()
extra_env=()
extra_jq=.
while (($# > 0)); do
  case $1 in
    --stockade) stockade=$2; shift 2 ;;
    --stockade=*) stockade=${1#*=}; shift ;;
    --platform) platform=$2; shift 2 ;;
    --platform=*) platform=${1#*=}; shift ;;
    --timeout) timeout_s=$2; shift 2 ;;
    --timeout=*) timeout_s=${1#*=}; shift ;;
    --with) withs+=("$2"); shift 2 ;;
    --with=*) withs+=("${1#*=}"); shift ;;
    --env) extra_env+=("$2"); shift 2 ;;
    --jq) extra_jq=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    -h | --help) usage ;;
    --) shift; break ;;
    -*) echo "run_in_sandbox.sh: unknown option $1" >&2; usage ;;
    *) break ;;
  esac
done
(($# >= 1)) || usage
prog=$1
shift

if [[ -z $stockade ]]; then
  stockade=$(command -v stockade || true)
fi
if [[ -z $stockade || ! -x $stockade ]]; then
  echo "run_in_sandbox.sh: no runtime binary (pass --stockade or set STOCKADE)" >&2
  exit 2
fi
stockade=$(cd "$(dirname "$stockade")" && pwd)/$(basename "$stockade")
[[ -f $prog ]] || { echo "run_in_sandbox.sh: $prog not found" >&2; exit 2; }
make_bundle=${MAKE_BUNDLE:-$(cd "$(dirname "$0")/../.." && pwd)/scripts/make-bundle}
command -v jq >/dev/null || { echo "run_in_sandbox.sh: jq not found" >&2; exit 2; }

name=$(basename "$prog")
work=$(mktemp -d "${TMPDIR:-/tmp}/stockade-syscalls.XXXXXX")
state=$work/state
bundle=$work/bundle
id="syscalls-${name}-$$-${RANDOM}"
created=0

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if ((created)); then
    timeout 30 "$stockade" --root "$state" delete --force "$id" >/dev/null 2>&1 || true
  fi
  if ((keep)); then
    echo "run_in_sandbox.sh: kept $work" >&2
  else
    rm -rf "$work"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

STOCKADE=$stockade "$make_bundle" "$bundle" "/conformance/$name" "$@" >/dev/null

mkdir -p "$bundle/rootfs/conformance" "$bundle/rootfs/conformance-rootfs" "$bundle/rootfs/conformance-bind" \
  "$work/bind"
chmod 1777 "$bundle/rootfs/conformance-rootfs" "$work/bind"
cp "$prog" "$bundle/rootfs/conformance/$name"
for f in "${withs[@]}"; do
  cp "$f" "$bundle/rootfs/conformance/$(basename "$f")"
done
# An image file with a user.* attribute: on the Sentry it is in the overlay's lower layer.
printf 'lower' >"$bundle/rootfs/conformance/lower-xattr"
python3 -c 'import os, sys; os.setxattr(sys.argv[1], "user.origin", b"image")' "$bundle/rootfs/conformance/lower-xattr"

env_args=(STOCKADE_CONFORMANCE_SANDBOX=1 STOCKADE_CONFORMANCE_FS_DIRS=/tmp:/conformance-bind:/conformance-rootfs
  "STOCKADE_CONFORMANCE_PLATFORM=$platform" "${extra_env[@]}")
platform_flags=("--platform=$platform")
case $platform in
  systrap) env_args+=(STOCKADE_EXPECT_SITE_PATCHING=1) ;;
  systrap-nopatch)
    platform_flags=(--platform=systrap --systrap-no-patch)
    env_args+=(STOCKADE_EXPECT_SITE_PATCHING=0)
    ;;
  *) env_args+=(STOCKADE_EXPECT_SITE_PATCHING=0) ;;
esac
while IFS= read -r var; do
  env_args+=("$var=${!var}")
done < <(compgen -e | grep -E '^GTEST_' || true)
env_json=$(jq -cn '$ARGS.positional' --args -- "${env_args[@]}")
jq --argjson extra "$env_json" --arg bind "$work/bind" '
  .process.env += $extra
  | .root.readonly = false
  | .process.env += (if (.linux.seccomp.defaultAction // "") == "SCMP_ACT_ERRNO"
                     then ["STOCKADE_CONFORMANCE_SECCOMP_ERRNO=\(.linux.seccomp.defaultErrnoRet // 1)"]
                     else [] end)
  | .mounts += [{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
                 "options": ["nosuid", "nodev", "mode=1777", "size=262144k"]},
                {"destination": "/conformance-bind", "type": "bind", "source": $bind,
                 "options": ["rbind", "rw"]}]
  | '"$extra_jq"'
' "$bundle/config.json" >"$bundle/config.json.new"
mv -f "$bundle/config.json.new" "$bundle/config.json"

mkdir -p "$state"
created=1
set +e
timeout --kill-after=5 "$timeout_s" \
  "$stockade" --root "$state" "${platform_flags[@]}" run --bundle "$bundle" "$id" </dev/null
rc=$?
set -e
if ((rc == 124 || rc == 137 && SECONDS >= timeout_s)); then
  echo "run_in_sandbox.sh: $name timed out after ${timeout_s}s on --platform=$platform" >&2
  rc=124
fi
exit "$rc"
