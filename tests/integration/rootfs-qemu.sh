#!/bin/bash
# tests/integration/rootfs-qemu.sh BUILD — the guests' root file system
# (make rootfs: busybox on Debian's riscv64 glibc, ext4) on the stock kernel
# under QEMU's virt machine, the oracle, from virtio-blk with virtio-net on
# QEMU's user networking and a forwarded port. On a copy of the image:
#  - rcS runs and prints "rootfs: up ...": the host name from the kernel
#    command line, udhcpc's lease 10.0.2.15 (QEMU's slirp), httpd on port 80;
#  - an HTTP GET from the host through the forwarded port returns the page,
#    naming this host and this boot's boot_id (so not a page of another boot);
#  - the console has a working shell (it computes what it is asked);
#  - a file of 16 MiB written and synced in the guest, then poweroff: the
#    image is clean for e2fsck -fn, and the file read back from the image on
#    the host has the hash the guest printed.
# It prints the boot-to-shell time. A failure here means the kernel or the
# root file system is broken (memvisor does not run here; its version of
# this test needs virtio-blk and virtio-net in memvisor). Exits 77 (skip)
# when QEMU, its firmware, curl, the stock kernel or the image is missing.
# The console log stays in BUILD/tests/rootfs/.
#
# ROOTFS_KERNEL=PATH boots another kernel (it needs virtio-mmio, virtio-blk,
# virtio-net, ext4 and the 8250 UART built in).
set -u
build=${1:-build}
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/rootfs.bash"
qemu="qemu-system-riscv64"
firmware=/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin
limit=${ROOTFS_TEST_TIMEOUT:-240}

skip() {
	echo "   skip: $*"
	exit 77
}
command -v "$qemu" >/dev/null ||
	skip "$qemu not found (Debian package qemu-system-misc; make setup installs it)"
[ -r "$firmware" ] ||
	skip "OpenSBI firmware $firmware not found (Debian package opensbi; make setup installs it)"
command -v curl >/dev/null || skip "curl not found (Debian package curl; make setup installs it)"
for tool in e2fsck debugfs; do
	command -v $tool >/dev/null || skip "$tool not found (Debian package e2fsprogs; make setup installs it)"
done
kernel=${ROOTFS_KERNEL:-$build/guest/Image-stock}
[ -r "$kernel" ] || skip "the stock kernel $kernel is missing (make guest-stock builds it)"
image=$build/guest/rootfs.ext4
[ -r "$image" ] || skip "the root file system $image is missing (make rootfs builds it)"

logs=$build/tests/rootfs
mkdir -p "$logs"
log=$logs/qemu.log
disk=$tmp/rootfs.ext4
disk_copy "$image" "$disk" || fail "cannot copy $image to $disk"
host=rootfs-test-$$

rootfs_console_open

# start_qemu PORT: boot in the background; sets pid. A forwarded port taken
# by someone else makes QEMU exit at once ("could not set up host
# forwarding rule"): the caller tries another.
start_qemu() {
	: >"$log"
	"$qemu" -M virt -m 512M -nographic -no-reboot -bios "$firmware" \
		-kernel "$kernel" -append "root=/dev/vda rw console=ttyS0 panic=-1 hostname=$host" \
		-drive file="$disk",if=none,format=raw,id=d0 -device virtio-blk-device,drive=d0 \
		-netdev user,id=n0,hostfwd=tcp:127.0.0.1:"$1"-:80 -device virtio-net-device,netdev=n0 \
		<&3 >"$log" 2>&1 &
	pid=$!
}
t0=
for try in 1 2 3 4 5; do
	port=$((20000 + (RANDOM % 20000)))
	t0=$(date +%s.%N)
	start_qemu "$port"
	sleep 1
	kill -0 "$pid" 2>/dev/null && break
	grep -q 'host forwarding' "$log" || break
	pid=
done
[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || {
	sed 's/^/      | /' "$log" | tail -n 10
	fail "QEMU did not start (log $log)"
}
elapsed() { echo "$(date +%s.%N) $t0" | awk '{ printf "%.1f", $1 - $2 }'; }

deadline=$((SECONDS + limit))

if ! rootfs_up; then
	last_lines
	fail "no 'rootfs: up' line from rcS within $limit s (log $log)"
fi
echo "   ok   rcS ran after $(elapsed) s: ${up#rootfs: up }"
boot_id=$(field boot_id)
[ "$(field hostname)" = "$host" ] ||
	bad "host name $(field hostname), not $host from the kernel command line"
[ "$(field eth0)" = 10.0.2.15 ] ||
	bad "eth0 has address '$(field eth0)', not QEMU's DHCP lease 10.0.2.15; $(console | grep -m2 udhcpc)"
[ "$(field httpd)" = 80 ] || bad "httpd did not start on port 80"
[[ $boot_id =~ ^[0-9a-f-]{36}$ ]] || bad "boot_id '$boot_id' is not a UUID"

# Port forwarding reaches httpd as soon as it listens.
page=$tmp/page.html
if ! curl -sS --max-time 20 --retry 3 --retry-delay 1 -o "$page" "http://127.0.0.1:$port/"; then
	bad "curl http://127.0.0.1:$port/ (forwarded to the guest's port 80) failed"
elif ! grep -q "hostname=$host boot_id=$boot_id eth0=10.0.2.15" "$page"; then
	bad "the page from http://127.0.0.1:$port/ does not name this host and boot:"
	sed 's/^/      | /' "$page" | head -n 8
else
	echo "   ok   curl http://127.0.0.1:$port/ -> the guest's page for $host, boot $boot_id"
fi

if shell_answers "$host"; then
	echo "   ok   a shell on ttyS0 (prompt after $(elapsed) s, boot to shell)"
else
	bad "no shell answering on ttyS0 (prompt '$host:...# ')"
	last_lines
fi

# Data that must survive: written, synced, powered off.
type_line 'dd if=/dev/urandom of=/root/data bs=1M count=16 2>/dev/null && sync && sha256sum /root/data'
if ! wait_console '^[0-9a-f]{64}  /root/data$'; then
	bad "writing /root/data in the guest failed"
	last_lines
fi
guest_sum=$(console | sed -nE 's|^([0-9a-f]{64})  /root/data$|\1|p' | head -n 1)
power_off || bad "no power-off within $limit s ('reboot: Power down')"
fsck_clean "$disk" "after poweroff"
if [ -n "$guest_sum" ]; then
	debugfs -R 'dump /root/data '"$tmp/data" "$disk" >/dev/null 2>&1
	host_sum=$(sha256sum <"$tmp/data" 2>/dev/null | cut -c1-64)
	if [ "$host_sum" = "$guest_sum" ] && [ "$(stat -c %s "$tmp/data")" -eq $((16 << 20)) ]; then
		echo "   ok   /root/data (16 MiB) reads back from the image with the guest's sha256"
	else
		bad "/root/data from the image: sha256 '$host_sum', the guest wrote '$guest_sum'"
	fi
fi

[ $failed -eq 0 ] || fail "$failed check(s) failed (log $log)"
