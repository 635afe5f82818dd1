#!/bin/bash
# Clones of a Linux guest with a disk, through the control API: the parent
# (guest/init/disk.c, disk_mode=serve) writes a file, is cloned N times;
# each clone writes its own file and finds the parent's, none finds
# another's, the parent's later file reaches no clone; each clone's overlay
# holds about what it wrote (ctl stats: disk_own_bytes) and the image file
# is unchanged by all of it after the clone.
#
#   tests/integration/disk-clone.sh [BUILD] — kernel and init as disk.sh.
set -u
build=${1:-build}
here=$(dirname "$0")
. "$here/lib.bash"
mv=$build/memvisor
kernel=${DISK_KERNEL:-$build/guest/Image-stock}
initrd=${DISK_INITRD:-$build/guest/disk.cpio}
N=${DISK_CLONES:-8}
for f in "$kernel" "$initrd" "$mv"; do
	[ -e "$f" ] || { echo "   skip: $f is missing (make guest-stock guest builds it)"; exit 77; }
done
command -v mke2fs >/dev/null || PATH=$PATH:/sbin:/usr/sbin
command -v mke2fs >/dev/null || { echo "   skip: mke2fs is missing (make setup)"; exit 77; }

sock=$tmp/api.sock
ctl() { "$mv" ctl --api-sock "$sock" "$@"; }
says() { ctl console "$1" 2>/dev/null | tr -d '\r' | grep -q -- "$2"; }

img=$tmp/disk.img
mkdir -p "$tmp/root"
mke2fs -q -t ext4 -d "$tmp/root" -F "$img" 64M >/dev/null || fail "mke2fs"
: >"$tmp/parent.out" # there before the first look at it
"$mv" run --kernel "$kernel" --initrd "$initrd" --memory 256M --disk "$img" \
	--api-sock "$sock" \
	--cmdline "console=ttyS0 panic=-1 disk_mode=serve" \
	</dev/null >"$tmp/parent.out" 2>&1 &
pid=$!
wait_for 120 grep -q MEMVISOR-DISK-READY "$tmp/parent.out" ||
	fail "the guest never said READY: $(tail -5 "$tmp/parent.out")"
ctl console 1 --input "w before\n" >/dev/null 2>&1
wait_for 60 grep -q "MEMVISOR-DISK-WROTE before" "$tmp/parent.out" || fail "parent write"
echo "   ok   booted on the disk; the parent wrote /mnt/before"

out=$(ctl clone 1 --count "$N") || fail "clone: $out"
set -- $(sed -n 's/.*new ids: \([0-9]*\)-\([0-9]*\).*/\1 \2/p' <<<"$out")
first=$1 last=$2
sum_before=$(md5sum <"$img")
echo "   ok   $out"

ctl console 1 --input "w after\n" >/dev/null 2>&1
for k in $(seq "$first" "$last"); do
	ctl console "$k" --input "w c$k\nr before\nr c$first\nr c$last\nr after\n" >/dev/null
done
for k in $(seq "$first" "$last"); do
	wait_for 120 says "$k" "MEMVISOR-DISK-NONE after\|MEMVISOR-DISK-HAS after" ||
		fail "clone $k: $(ctl console "$k" | tr -d '\r' | grep MEMVISOR | tail -4)"
	says "$k" "MEMVISOR-DISK-WROTE c$k" || fail "clone $k did not write"
	says "$k" "MEMVISOR-DISK-HAS before" || fail "clone $k lost the parent's file"
	says "$k" "MEMVISOR-DISK-NONE after" || fail "clone $k sees the parent's later file"
	for j in "$first" "$last"; do
		[ "$j" = "$k" ] && continue
		says "$k" "MEMVISOR-DISK-NONE c$j" || fail "clone $k sees clone $j's file"
	done
	own=$(ctl --json stats "$k" | sed -n 's/.*"disk_own_bytes": *\([0-9]*\).*/\1/p')
	# 1 MiB of data, plus ext4's metadata and journal.
	{ [ -n "$own" ] && [ "$own" -ge $((1 << 20)) ] && [ "$own" -le $((24 << 20)) ]; } ||
		fail "clone $k: disk_own_bytes '$own'"
done
wait_for 60 grep -q "MEMVISOR-DISK-WROTE after" "$tmp/parent.out" || fail "parent's later write"
echo "   ok   $N clones: each wrote its own file, read the parent's, saw no other's (own bytes e.g. $own)"

[ "$(md5sum <"$img")" = "$sum_before" ] || fail "the image changed after the clone"
echo "   ok   the image file is unchanged since the clone"

for k in 1 $(seq "$first" "$last"); do
	ctl console "$k" --input "off\n" >/dev/null 2>&1
done
wait_for 60 bash -c "! kill -0 $pid 2>/dev/null" || fail "memvisor did not exit"
pid=
echo "   ok   every VM powered off; memvisor exited"
