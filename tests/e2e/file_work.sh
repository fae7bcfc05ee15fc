#!/usr/bin/env bash
# File work in a bind mount under the Sentry (platform_flags $SENTRY_PLATFORM, systrap by default) ends exactly as under
# --platform=native: a busybox script (cp -a, tar, find -exec, sed -i, sorting 50 MB, mv, ln,
# chmod/chown, touch -d, a FIFO, flock, df) working in a read-write bind of a host directory
# prints the same stdout and stderr, exits with the same code, and leaves the same tree on
# the host. Writes into a read-only bind fail the same way on both and change nothing.
#
#   bash tests/e2e/file_work.sh
#
# Each platform works in a fresh host directory with the same starting content, under
# $TEST_TMP on a tmpfs of its own (lib.sh's exit trap unmounts and removes it). The native
# run is the reference: the cases comparing the Sentry with it read what it left in
# $TEST_TMP/results.
# The container scripts are single-quoted or quoted heredocs on purpose: they expand inside it.
# shellcheck disable=SC2016
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

is_stockade || skip "the Sentry platforms are Stockade's own"
# One run sorts 50 MB through the bind mount; on a loaded machine under ptrace that takes a
# while, so a run gets more than $RT_TIMEOUT.
WORK_TIMEOUT=${WORK_TIMEOUT:-150}
RESULTS=$TEST_TMP/results
mkdir -p "$RESULTS"
# The host dirs live on a tmpfs of their own: busybox's df names the first mount of the
# path's device, which for a bind of a dir on the rootfs's own file system is "/", not the
# bind's destination. (lib.sh's exit trap unmounts everything under $TEST_TMP.)
HOSTFS=$TEST_TMP/host
mkdir -p "$HOSTFS"
mount -t tmpfs -o size=512m,mode=0755 file-work "$HOSTFS" || fail "cannot mount a tmpfs at $HOSTFS"
on_cleanup "umount -l '$HOSTFS'"

# The spec's default capabilities are runc's minimal set; file work as root needs these
# (chown, reading and replacing files of other owners, setting times of any file).
FILE_CAPS='["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FOWNER","CAP_FSETID"]'

# The 50 MB input: a deterministic sequence (MINSTD; every product stays below 2^53, so the
# awk's doubles are exact) of 500000 lines of 101 bytes, all distinct.
GEN_AWK='BEGIN { x = 1; for (i = 0; i < 500000; i++) { x = (x * 48271) % 2147483647; printf "%010d %089d\n", x, i } }'

# Paths the work script sets with touch -d and leaves alone afterwards: the only ones whose
# mtime the tree listing shows (the others carry the time of the run).
TOUCHED=(copy/a.txt newfile.txt stamped)

# --- host side -------------------------------------------------------------------------------

# ensure_mountpoints: the bind mounts' destinations, made in this run's own base rootfs (the
# container's root is read-only, and busybox's rootfs has neither).
ensure_mountpoints() {
  ensure_base_bundle
  mkdir -p "$BASE_BUNDLE/rootfs/work" "$BASE_BUNDLE/rootfs/ro"
}

# flock_cmd: prints the flock command for the work script. Debian's busybox has no flock
# applet, so without one a minimal static flock(1) ([-n] FILE PROG [ARGS...], exit 1 when
# -n finds the lock taken, as busybox's and util-linux's) is built once and put in the work
# dir (it is part of the compared tree; its bytes are the same on both sides). Prints nothing
# when neither is available: the work script then says so and skips that step.
flock_cmd() {
  if "$BASE_BUNDLE/rootfs/bin/busybox" --list | grep -qx flock; then
    echo flock
    return
  fi
  local helper=$TEST_TMP/tools/flock
  if [[ ! -x $helper ]]; then
    command -v cc >/dev/null || return 0
    mkdir -p "$TEST_TMP/tools"
    cat >"$TEST_TMP/tools/flock.c" <<'EOF'
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char** argv) {
  int i = 1, op = LOCK_EX;
  if (i < argc && strcmp(argv[i], "-n") == 0) op |= LOCK_NB, i++;
  if (argc - i < 2) {
    fputs("usage: flock [-n] FILE PROG [ARGS...]\n", stderr);
    return 2;
  }
  int fd = open(argv[i], O_RDONLY | O_CREAT | O_NOCTTY | O_CLOEXEC, 0666);
  if (fd < 0) {
    perror(argv[i]);
    return 1;
  }
  if (flock(fd, op) != 0) {
    if (errno == EWOULDBLOCK) return 1;
    perror("flock");
    return 1;
  }
  pid_t pid = fork();
  if (pid < 0) {
    perror("fork");
    return 1;
  }
  if (pid == 0) {
    execvp(argv[i + 1], argv + i + 1);
    perror(argv[i + 1]);
    _exit(127);
  }
  int status;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return 1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
EOF
    cc -static -O2 -o "$helper" "$TEST_TMP/tools/flock.c" 2>"$TEST_TMP/tools/cc.log" || return 0
  fi
  echo /work/.tools/flock
}

# make_start_tree DIR: the starting content of a work dir: files of two owners and modes,
# nested dirs, binary bytes, symlinks (one dangling), all with one fixed mtime.
make_start_tree() {
  local d=$1
  mkdir -p "$d"/src/sub/deep "$d"/other
  printf 'alpha foo\nline two foo\n' >"$d/src/a.txt"
  printf 'beta\n' >"$d/src/b.txt"
  printf 'gamma foo\n' >"$d/src/sub/c.txt"
  printf 'bin\000\001\002\377end\n' >"$d/src/sub/deep/d.bin"
  printf '#!/bin/sh\necho script ran\n' >"$d/src/script.sh"
  ln -s a.txt "$d/src/link-to-a"
  ln -s ../nowhere "$d/src/dangling"
  chmod 0644 "$d/src/a.txt" "$d/src/sub/c.txt" "$d/src/sub/deep/d.bin"
  chmod 0600 "$d/src/b.txt"
  chmod 0755 "$d/src/script.sh" "$d/src" "$d/src/sub" "$d/src/sub/deep"
  chmod 2775 "$d/other"
  chown 1000:1000 "$d/src/b.txt" "$d/other"
  if [[ -n $FLOCK_HELPER ]]; then
    mkdir -p "$d/.tools"
    cp "$FLOCK_HELPER" "$d/.tools/flock"
    chmod 0755 "$d/.tools" "$d/.tools/flock"
  fi
  # Deepest first, so setting a file's time does not move its dir's again.
  find "$d" -mindepth 1 -depth -exec touch -h -d '2020-01-02 03:04:05 UTC' {} +
}

# tree_listing DIR [--all-times]: one line per path under DIR, sorted: relative path, type,
# mode, owner; for regular files size, link count and an MD5 of the content; for symlinks
# the target. mtime only for the paths in TOUCHED, or (--all-times) mtime and ctime for all.
tree_listing() {
  local dir=$1 all_times=${2:-} p f line
  local -A touched=()
  for p in "${TOUCHED[@]}"; do touched[$p]=1; done
  while IFS= read -r p; do
    f=$dir/$p
    line="$p: $(stat -c '%F %a %u:%g' -- "$f")"
    if [[ -L $f ]]; then
      line+=" -> $(readlink -- "$f")"
    elif [[ -f $f ]]; then
      line+=" size=$(stat -c %s -- "$f") links=$(stat -c %h -- "$f") md5=$(md5sum <"$f" | cut -d' ' -f1)"
    fi
    if [[ -n $all_times ]]; then
      line+=" mtime=$(stat -c %Y -- "$f") ctime=$(stat -c %Z -- "$f")"
    elif [[ -n ${touched[$p]:-} ]]; then
      line+=" mtime=$(stat -c %Y -- "$f")"
    fi
    printf '%s\n' "$line"
  done < <(cd "$dir" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort)
}

# run_in_bind PLATFORM NAME HOSTDIR DEST MODE ARGS...: runs ARGS in a fresh container on
# PLATFORM with HOSTDIR bind-mounted at DEST (MODE rw or ro); sets OUT, ERR, RC.
run_in_bind() {
  local platform=$1 name=$2 hostdir=$3 dest=$4 mode=$5 id b
  shift 5
  id=$(cid "$name-$platform")
  b=$(mkbundle "$id" "$@")
  bundle_edit "$b" '.mounts += [{destination: $dst, type: "bind", source: $src, options: ["rbind", $mode]}]
    | .process.capabilities |= with_entries(.value = (.value + $caps | unique))
    | .root.readonly = ($ro == "")' \
    --arg dst "$dest" --arg src "$hostdir" --arg mode "$mode" --argjson caps "$FILE_CAPS" \
    --arg ro "${BUNDLE_WRITABLE_ROOT:-}"
  # shellcheck disable=SC2046 # platform_flags is meant to split
  capture timeout -k 5 "$WORK_TIMEOUT" "$STOCKADE" $(platform_flags "$platform") --root "$ROOT" run -b "$b" "$id"
  RT_TIMEOUT=20 rt delete --force "$id" >/dev/null 2>&1 || true
}

# same_text WHAT NATIVE SENTRY: the Sentry's text equals native's; on a difference, the
# failure shows a unified diff (- native, + the Sentry) instead of two walls of text.
same_text() {
  [[ $2 == "$3" ]] && return 0
  log "$1 differs (--- native, +++ $SENTRY_PLATFORM):"
  diff -u --label native --label "$SENTRY_PLATFORM" <(printf '%s\n' "$2") <(printf '%s\n' "$3") >&2 || true
  fail "$1 under $SENTRY_PLATFORM differs from native's (diff above)"
}

# --- the work script -------------------------------------------------------------------------

# Runs in the container with the work dir at /work; $1 is the flock command (empty: none),
# $2 the generator of the 50 MB input. Each step runs in a subshell with set -e, between
# "== STEP" markers on stdout and stderr, so a failure names its step and the later steps
# still run; the exit code is the number of failed steps. Nothing printed depends on the
# time of the run, PIDs or inode numbers.
read -r -d '' WORK_SCRIPT <<'EOS' || true # (read: the text ends without a NUL)
FLOCK=$1
GEN_AWK=$2
export TZ=UTC0
cd /work
failed=0
step() {
  echo "== $1"
  echo "== $1" >&2
  ( set -e; "$2" )
  r=$?
  if [ $r -ne 0 ]; then
    echo "!! $1 failed: exit $r"
    failed=$((failed + 1))
  fi
}

cp_a() {
  cp -a src copy
  stat -c '%n %a %u:%g %s %Y' copy/a.txt copy/b.txt copy/sub/c.txt copy/script.sh
  stat -c '%n %a %u:%g %Y' copy/sub
  readlink copy/link-to-a
  readlink copy/dangling
  cat copy/link-to-a
}

tar_pipe() {
  mkdir untar
  tar -C src -cf - . | tar -C untar -xf -
  (cd untar && find . | sort)
  stat -c '%n %a %u:%g %s %Y' untar/b.txt untar/sub/deep/d.bin
  stat -c '%n %a %u:%g' untar/sub
  md5sum untar/sub/deep/d.bin
  readlink untar/link-to-a
}

find_exec() {
  find src copy -type f -name '*.txt' -exec md5sum {} + | sort -k 2
  find src -type f -exec grep -l foo {} \; | sort
  find . -path ./.tools -prune -o -type l -exec readlink {} \; | sort
}

sed_i() {
  sed -i 's/foo/bar/g' copy/a.txt copy/sub/c.txt
  cat copy/a.txt copy/sub/c.txt
  sed -i -e '1i header' -e '$a footer' copy/b.txt
  cat copy/b.txt
  stat -c '%n %a %u:%g %s' copy/a.txt copy/sub/c.txt copy/b.txt
}

sort_big() {
  awk "$GEN_AWK" >big.txt
  wc -c <big.txt
  sort big.txt >big.sorted
  wc -l <big.sorted
  md5sum <big.sorted
  head -n 2 big.sorted | cut -c 1-10
  sort -r -o big.sorted big.txt
  md5sum <big.sorted
  rm big.txt big.sorted
}

mv_dirs() {
  mkdir -p moved/into
  mv copy/script.sh moved/
  mv untar/sub moved/into/
  mv src/sub/deep moved/deep-renamed
  find moved | sort
  if [ -e copy/script.sh ] || [ -e untar/sub ]; then echo "source still there"; exit 1; fi
  moved/script.sh
}

ln_s() {
  ln -s ../src/a.txt moved/a-link
  ln -s /work/src/sub moved/abs-dir-link
  readlink moved/a-link
  readlink moved/abs-dir-link
  cat moved/a-link
  ls moved/abs-dir-link/
  ln -sf b.txt src/link-to-a
  readlink src/link-to-a
  stat -c '%n %F %s' moved/a-link src/link-to-a
}

ln_hard() {
  ln src/a.txt src/a.hard
  ln moved/script.sh copy/script.again
  ln src/a.txt src/a.third
  stat -c '%n %h' src/a.txt src/a.hard src/a.third moved/script.sh
  echo appended >>src/a.hard
  cat src/a.txt
  rm src/a.third
  stat -c '%n %h' src/a.txt
}

chmod_chown() {
  chmod 640 copy/a.txt
  chmod u+x,g-r copy/sub/c.txt
  chmod 2750 copy/sub
  chown 1000:1000 copy/a.txt
  chown -R 1000:1000 moved/into
  chown -h 1000:1000 moved/a-link
  chmod 4755 moved/script.sh
  chown 1000:1000 moved/script.sh
  chown :1000 copy/sub/c.txt
  stat -c '%n %a %u:%g' copy/a.txt copy/sub/c.txt copy/sub moved/script.sh moved/a-link \
    moved/into/sub moved/into/sub/c.txt
}

touch_d() {
  touch -d '2001-02-03 04:05:06' copy/a.txt
  touch -d '1999-12-31 23:59:59' newfile.txt
  mkdir stamped
  touch -d '2010-06-07 08:09:10' stamped
  stat -c '%n %Y' copy/a.txt newfile.txt stamped
}

fifo() {
  mkfifo -m 640 fifo
  stat -c '%n %F %a' fifo
  cat fifo >fifo.out &
  reader=$!
  echo "through the fifo" >fifo
  wait $reader
  cat fifo.out
  (echo "written first, read after" >fifo) &
  writer=$!
  cat fifo
  wait $writer
}

flock_step() {
  if [ -z "$FLOCK" ]; then echo "no flock command: step skipped"; return 0; fi
  $FLOCK lk sh -c 'touch lk.held; while [ ! -e lk.release ]; do usleep 10000; done; echo holder-releases >>lk.log' &
  holder=$!
  while [ ! -e lk.held ]; do usleep 10000; done
  # Blocks until the holder is done: its line must come second.
  $FLOCK lk sh -c 'echo waiter-acquired >>lk.log' &
  waiter=$!
  if $FLOCK -n lk true; then echo "flock -n while held: acquired"; else echo "flock -n while held: exit $?"; fi
  touch lk.release
  wait $holder
  echo "holder exit $?"
  wait $waiter
  echo "waiter exit $?"
  cat lk.log
  $FLOCK -n lk echo "flock -n after release: acquired"
  rm lk.held lk.release
}

df_mount() {
  out=$(df -P /work)
  echo "df exit 0"
  echo "$out" | awk 'NR == 1 { print $1, $(NF - 1), $NF } NR > 1 { print $NF }'
}

step "cp -a" cp_a
step "tar c | tar x" tar_pipe
step "find -exec" find_exec
step "sed -i" sed_i
step "sort 50 MB" sort_big
step "mv across dirs" mv_dirs
step "ln -s" ln_s
step "ln (hard)" ln_hard
step "chmod/chown" chmod_chown
step "touch -d" touch_d
step "mkfifo" fifo
step "flock" flock_step
step "df" df_mount
echo "failed steps: $failed"
exit $failed
EOS

# --- cases -----------------------------------------------------------------------------------

ensure_mountpoints
FLOCK_CMD=$(flock_cmd)
FLOCK_HELPER=""
[[ $FLOCK_CMD != /work/.tools/flock ]] || FLOCK_HELPER=$TEST_TMP/tools/flock
[[ -n $FLOCK_CMD ]] || log "note: no flock applet and no cc for a static helper; the flock step is skipped"

# file_work PLATFORM: the work script in a fresh work dir; keeps stdout, stderr, exit code
# and the resulting tree in $RESULTS/PLATFORM.*.
file_work() {
  local platform=$1 dir=$HOSTFS/work-$1
  make_start_tree "$dir"
  run_in_bind "$platform" work "$dir" /work rw sh -c "$WORK_SCRIPT" work "$FLOCK_CMD" "$GEN_AWK"
  printf '%s\n' "$OUT" >"$RESULTS/$platform.out"
  printf '%s\n' "$ERR" >"$RESULTS/$platform.err"
  echo "$RC" >"$RESULTS/$platform.rc"
  tree_listing "$dir" >"$RESULTS/$platform.tree"
}

# The reference run; its output is checked against what is known to be right, so the
# comparison with the Sentry cannot pass on two equally wrong results.
case_native_file_work() {
  file_work native
  local out
  out=$(<"$RESULTS/native.out")
  [[ $(<"$RESULTS/native.rc") == 0 ]] ||
    fail "native work script failed (exit $(<"$RESULTS/native.rc")): stdout: [$out] stderr: [$(<"$RESULTS/native.err")]"
  assert_contains "$out" "failed steps: 0"
  local md5
  md5=$("$BASE_BUNDLE/rootfs/bin/busybox" awk "$GEN_AWK" | LC_ALL=C sort | md5sum | cut -d' ' -f1)
  assert_contains "$out" "$md5  -" "checksum of the sorted 50 MB"
  assert_contains "$out" "50500000" "size of the 50 MB input"
  assert_contains "$out" "copy/b.txt 600 1000:1000 5 1577934245" "cp -a keeps mode, owner and mtime"
  assert_contains "$out" "src/a.txt 3"$'\n'"src/a.hard 3" "hard link count"
  assert_contains "$out" "moved/script.sh 755 1000:1000" "chown as root clears set-user-ID"
  assert_contains "$out" "copy/a.txt 981173106" "touch -d"
  assert_contains "$out" "through the fifo"$'\n'"written first, read after" "FIFO both ways"
  if [[ -n $FLOCK_CMD ]]; then
    assert_contains "$out" "flock -n while held: exit 1" "flock -n on a held lock"
    assert_contains "$out" "holder-releases"$'\n'"waiter-acquired" "a blocked flock waits for the holder"
    assert_contains "$out" "flock -n after release: acquired" "flock -n after release"
  fi
  assert_contains "$out" "df exit 0"$'\n'"Filesystem Mounted on"$'\n'"/work" "df of the bind mount"
  local tree
  tree=$(<"$RESULTS/native.tree")
  assert_not_contains "$tree" "big." "the tree (50 MB files removed)"
  assert_contains "$tree" "fifo: fifo 640 0:0" "the tree"
  assert_contains "$tree" "src/a.hard: regular file 644 0:0 size=32 links=2" "the tree"
}

case_sentry_same_output() {
  [[ -f $RESULTS/native.rc ]] || fail "no native run to compare with"
  file_work "$SENTRY_PLATFORM"
  same_text "stdout" "$(<"$RESULTS/native.out")" "$(<"$RESULTS/$SENTRY_PLATFORM.out")"
  same_text "stderr" "$(<"$RESULTS/native.err")" "$(<"$RESULTS/$SENTRY_PLATFORM.err")"
  assert_eq "$(<"$RESULTS/native.rc")" "$(<"$RESULTS/$SENTRY_PLATFORM.rc")" "exit code under $SENTRY_PLATFORM"
}

case_sentry_same_tree() {
  [[ -f $RESULTS/native.tree && -f $RESULTS/$SENTRY_PLATFORM.tree ]] || fail "no runs to compare"
  same_text "the host tree" "$(<"$RESULTS/native.tree")" "$(<"$RESULTS/$SENTRY_PLATFORM.tree")"
}

# Each write below must fail with EROFS (the capabilities rule out EPERM and EACCES); reads
# still work. The last command fails, so the exit code is compared too. sed's temp file has
# a random name, which its message shows: the name is masked.
RO_SCRIPT='
cat /ro/file.txt; echo "read: $?"
echo new >/ro/new.txt; echo "create: $?"
echo more >>/ro/file.txt; echo "append: $?"
rm /ro/file.txt; echo "rm: $?"
mkdir /ro/d; echo "mkdir: $?"
rmdir /ro/sub; echo "rmdir: $?"
touch /ro/file.txt; echo "touch: $?"
touch -d "2001-02-03 04:05:06" /ro/file.txt; echo "touch -d: $?"
chmod 600 /ro/file.txt; echo "chmod: $?"
chown 1000:1000 /ro/file.txt; echo "chown: $?"
mv /ro/file.txt /ro/sub/; echo "mv: $?"
ln -s file.txt /ro/l; echo "ln -s: $?"
ln /ro/file.txt /ro/h; echo "ln: $?"
mkfifo /ro/f; echo "mkfifo: $?"
err=$(sed -i s/a/b/ /ro/file.txt 2>&1); echo "sed -i: $?"
echo "$err" | sed "s/file\.txt[A-Za-z0-9]\{6\}/file.txtXXXXXX/" >&2
cp /ro/file.txt /ro/sub/copy; echo "cp: $?"
truncate -s 0 /ro/file.txt'

case_ro_bind_writes_fail() {
  local platform n_out="" n_err="" n_rc="" dir before after
  for platform in native "$SENTRY_PLATFORM"; do
    dir=$HOSTFS/ro-$platform
    mkdir -p "$dir/sub"
    printf 'read only\n' >"$dir/file.txt"
    touch -d '2020-01-02 03:04:05 UTC' "$dir/file.txt" "$dir/sub" "$dir"
    before=$(tree_listing "$dir" --all-times)
    run_in_bind "$platform" ro "$dir" /ro ro sh -c "$RO_SCRIPT"
    after=$(tree_listing "$dir" --all-times)
    assert_eq "$before" "$after" "the read-only host dir after the run on $platform"
    if [[ $platform == native ]]; then
      n_out=$OUT n_err=$ERR n_rc=$RC
      assert_contains "$OUT" "read only"$'\n'"read: 0" "native reads the read-only bind"
      assert_contains "$ERR" "Read-only file system" "native's errors"
      assert_eq "" "$(grep -v '^read: ' <<<"$OUT" | grep ': 0$' || true)" "writes that native let through"
      assert_ne 0 "$RC" "native's exit code"
    fi
  done
  same_text "stdout (read-only bind)" "$n_out" "$OUT"
  same_text "stderr (read-only bind)" "$n_err" "$ERR"
  assert_eq "$n_rc" "$RC" "exit code (read-only bind) under $SENTRY_PLATFORM"
}

# The default overlay (--overlay=memory): with a writable root, what the container writes
# into its rootfs is visible to it and never reaches the host's bundle; a read-write bind
# mount still writes through to the host.
OVERLAY_SCRIPT='echo probe > /etc/probe && mkdir -p /newdir/sub && echo new > /newdir/sub/f &&
rm /bin/ls && echo changed >> /etc/hostname && mv /etc/passwd /etc/passwd.moved &&
rm -r /home && mkdir /home && echo reached > /work/reached &&
cat /etc/probe /newdir/sub/f && tail -n 1 /etc/hostname && test ! -e /bin/ls &&
test ! -e /etc/passwd && test -f /etc/passwd.moved && ls -A /home | wc -l && echo done'

case_overlay_keeps_the_rootfs() {
  local dir before after
  dir=$HOSTFS/overlay
  mkdir -p "$dir"
  ensure_mountpoints
  mkdir -p "$BASE_BUNDLE/rootfs/home/user"
  before=$(tree_listing "$BASE_BUNDLE/rootfs" --all-times)
  BUNDLE_WRITABLE_ROOT=1 run_in_bind "$SENTRY_PLATFORM" overlay "$dir" /work rw sh -c "$OVERLAY_SCRIPT"
  assert_rc 0 "the work under the overlay (stderr: $ERR)"
  assert_eq $'probe\nnew\nchanged\n0\ndone' "$OUT" "what the container sees of its own writes"
  after=$(tree_listing "$BASE_BUNDLE/rootfs" --all-times)
  assert_eq "$before" "$after" "the host's rootfs after the run"
  assert_eq reached "$(cat "$dir/reached" 2>/dev/null)" "the write into the read-write bind mount"
}

run_case native_file_work case_native_file_work
run_case sentry_same_output case_sentry_same_output
run_case sentry_same_tree case_sentry_same_tree
run_case ro_bind_writes_fail case_ro_bind_writes_fail
run_case overlay_keeps_the_rootfs case_overlay_keeps_the_rootfs
finish
