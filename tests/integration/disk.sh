#!/bin/bash
# A Linux guest on virtio-blk: an ext4 image made without root (mke2fs -d,
# with /hello.txt), the disk init (guest/init/disk.c) writes 64 MiB of files,
# fsyncs and powers off; e2fsck -fn finds the image clean; the next boot
# reads every byte back. Then the same image under QEMU's virt machine (the
# oracle): QEMU reads what memvisor wrote, writes anew, and memvisor reads
# what QEMU wrote. Bad --disk input: a one-line error and exit 2.
#
#   tests/integration/disk.sh [BUILD] — kernel: $DISK_KERNEL, else
#   BUILD/guest/Image-stock (needs CONFIG_VIRTIO_MMIO, VIRTIO_BLK, EXT4_FS);
#   init archive: $DISK_INITRD, else BUILD/guest/disk.cpio.
set -u
build=${1:-build}
here=$(dirname "$0")
. "$here/lib.bash"
kernel=${DISK_KERNEL:-$build/guest/Image-stock}
initrd=${DISK_INITRD:-$build/guest/disk.cpio}
for f in "$kernel" "$initrd" "$build/memvisor"; do
	if [ ! -e "$f" ]; then
		echo "   skip: $f is missing (make guest-stock guest builds it)"
		exit 77
	fi
done
for t in mke2fs e2fsck; do
	command -v $t >/dev/null || PATH=$PATH:/sbin:/usr/sbin
	if ! command -v $t >/dev/null; then
		echo "   skip: $t is missing (make setup installs e2fsprogs)"
		exit 77
	fi
done

# Bad input first: each a single line on stderr and exit 2.
bad() { # bad LABEL EXPECTED-TEXT DISK-ARG
	local out rc
	out=$("$build/memvisor" run --kernel "$kernel" --disk "$3" 2>&1 </dev/null)
	rc=$?
	if [ $rc -eq 2 ] && [ "$(wc -l <<<"$out")" -eq 1 ] &&
		grep -q -- "$2" <<<"$out"; then
		echo "   ok   --disk $1: $out"
	else
		fail "--disk $1: exit $rc, '$out'"
	fi
}
bad "missing" "No such file" "$tmp/none.img"
bad "directory" "is a directory" "$tmp"
: >"$tmp/ro.img" && truncate -s 1M "$tmp/ro.img" && chmod 444 "$tmp/ro.img"
bad "read-only without ,ro" "add ,ro" "$tmp/ro.img"
: >"$tmp/empty.img"
bad "empty" "at least 512 bytes" "$tmp/empty.img"

mkdir -p "$tmp/root"
printf 'hello from mke2fs\n' >"$tmp/root/hello.txt"
img=$tmp/disk.img
mke2fs -q -t ext4 -d "$tmp/root" -F "$img" 128M || fail "mke2fs"

run() { # run LABEL MODE SEED: boot memvisor on the image
	local out rc t0=$SECONDS
	out=$(timeout 900 "$build/memvisor" run --kernel "$kernel" --initrd "$initrd" \
		--memory 256M --disk "$img" \
		--cmdline "console=ttyS0 panic=-1 disk_mode=$2 disk_seed=$3" \
		</dev/null 2>&1 | tr -d "\r"; exit "${PIPESTATUS[0]}")
	rc=$?
	if [ $rc -eq 0 ] && grep -q "^MEMVISOR-DISK-OK mode=$2 " <<<"$out"; then
		echo "   ok   $1 ($((SECONDS - t0)) s)"
	else
		tail -n 20 <<<"$out" | sed 's/^/      | /'
		fail "$1 (exit $rc)"
	fi
}
fsck() { # fsck LABEL
	if e2fsck -fn "$img" >"$tmp/fsck.log" 2>&1; then
		echo "   ok   e2fsck -fn clean after $1"
	else
		sed 's/^/      | /' "$tmp/fsck.log" | tail -n 20
		fail "e2fsck after $1"
	fi
}

run "memvisor writes 64 MiB" write 1
fsck "memvisor's writes"
run "memvisor reads them back" read 1

if ! command -v qemu-system-riscv64 >/dev/null; then
	echo "   skip: qemu-system-riscv64 is missing: no oracle run"
	exit 0
fi
qemu() { # qemu LABEL MODE SEED
	local out t0=$SECONDS
	out=$(timeout 900 qemu-system-riscv64 -M virt -m 256M -nographic \
		-kernel "$kernel" -initrd "$initrd" \
		-append "console=ttyS0 panic=-1 disk_mode=$2 disk_seed=$3" \
		-drive "file=$img,format=raw,if=none,id=d0" \
		-device virtio-blk-device,drive=d0 -no-reboot </dev/null 2>&1 |
		tr -d "\r")
	if grep -q "^MEMVISOR-DISK-OK mode=$2 " <<<"$out"; then
		echo "   ok   qemu: $1 ($((SECONDS - t0)) s)"
	else
		tail -n 20 <<<"$out" | sed 's/^/      | /'
		fail "qemu: $1"
	fi
}
qemu "reads what memvisor wrote" read 1
qemu "writes 64 MiB anew" write 2
fsck "QEMU's writes"
run "memvisor reads what QEMU wrote" read 2
exit 0
