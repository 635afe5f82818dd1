#!/bin/bash
# tests/integration/rootfs.sh BUILD — the guests' root file system (make
# rootfs: busybox on Debian's riscv64 glibc, ext4) on the stock kernel under
# memvisor, from virtio-blk (root=/dev/vda), on a copy of the image:
#  - rcS runs and prints "rootfs: up ..." with the host name from the
#    kernel command line, and a shell answers on ttyS0 (the NS16550A UART);
#  - the guest writes 64 MiB in 8 files, syncs, prints their sha256 and
#    powers off; e2fsck -fn finds the image clean;
#  - the next boot reads the 8 files back with the same sums, and the host
#    reads one of them out of the image with its sum too;
#  - a guest that fills its disk gets ENOSPC from its own file system, the
#    image file does not grow past its size, and stays clean for e2fsck.
# It prints the boot-to-shell time. rootfs-qemu.sh is the same system under
# QEMU, the oracle. Exits 77 (skip) without the stock kernel or the image.
set -u
build=${1:-build}
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/rootfs.bash"
limit=${ROOTFS_TEST_TIMEOUT:-300}
mv=$build/memvisor
kernel=${ROOTFS_KERNEL:-$build/guest/Image-stock}
image=$build/guest/rootfs.ext4
skip() {
	echo "   skip: $*"
	exit 77
}
[ -x "$mv" ] || skip "$mv is missing (make builds it)"
[ -r "$kernel" ] || skip "the stock kernel $kernel is missing (make guest-stock builds it)"
[ -r "$image" ] || skip "the root file system $image is missing (make rootfs builds it)"
for tool in e2fsck debugfs; do
	command -v $tool >/dev/null || PATH=$PATH:/sbin:/usr/sbin
	command -v $tool >/dev/null || skip "$tool not found (make setup installs e2fsprogs)"
done

logs=$build/tests/rootfs
mkdir -p "$logs"
disk=$tmp/rootfs.ext4
disk_copy "$image" "$disk" || fail "cannot copy $image to $disk"
host=memvisor-rootfs-$$
rootfs_console_open

# boot N: memvisor on the disk in the background; sets pid, log, t0.
boot() {
	log=$logs/memvisor-$1.log
	: >"$log"
	t0=$(date +%s.%N)
	"$mv" run --kernel "$kernel" --memory 512M --disk "$disk" \
		--cmdline "root=/dev/vda rw console=ttyS0 panic=-1 hostname=$host" \
		<&3 >"$log" 2>&1 &
	pid=$!
	deadline=$((SECONDS + limit))
}
elapsed() { echo "$(date +%s.%N) $t0" | awk '{ printf "%.1f", $1 - $2 }'; }
# sums: the sha256 lines of the 8 data files on the console, sorted.
sums() { console | grep -E '^[0-9a-f]{64}  /root/data/f[0-9]$' | sort -u -k2; }

boot 1
if ! rootfs_up; then
	last_lines
	fail "no 'rootfs: up' line from rcS within $limit s (log $log)"
fi
echo "   ok   rcS ran after $(elapsed) s: ${up#rootfs: up }"
[ "$(field hostname)" = "$host" ] ||
	bad "host name $(field hostname), not $host from the kernel command line"
if shell_answers "$host"; then
	echo "   ok   a shell on ttyS0 (prompt after $(elapsed) s, boot to shell)"
	if clock_right; then
		echo "   ok   the guest's clock is the host's (read from the real-time clock at boot)"
	else
		bad "the guest's clock is not the host's: $(console | grep '^clock: ' | tail -n 1)"
	fi
else
	bad "no shell answering on ttyS0 (prompt '$host:...# ')"
	last_lines
	fail "no shell: cannot go on (log $log)"
fi

# 64 MiB in 8 files of 8 MiB, synced, then their sums.
type_line 'mkdir -p /root/data && for i in 0 1 2 3 4 5 6 7; do dd if=/dev/urandom of=/root/data/f$i bs=1M count=8 2>/dev/null; done && sync && sha256sum /root/data/f* && echo data-written'
if wait_console '^data-written$'; then
	written=$(sums)
	[ "$(wc -l <<<"$written")" -eq 8 ] || bad "the guest printed $(wc -l <<<"$written") sums, not 8"
	echo "   ok   the guest wrote and synced 64 MiB in 8 files ($(elapsed) s since boot)"
else
	bad "writing /root/data in the guest failed"
	last_lines
fi
power_off || bad "no power-off within $limit s ('reboot: Power down')"
fsck_clean "$disk" "after poweroff"

boot 2
if rootfs_up && shell_answers "$host"; then
	type_line 'sha256sum /root/data/f* && echo data-read'
	if wait_console '^data-read$'; then
		if [ "$(sums)" = "$written" ]; then
			echo "   ok   the next boot reads the 64 MiB back identically"
		else
			bad "the next boot reads other data:"
			diff <(echo "$written") <(sums) | head -n 6 | sed 's/^/      | /'
		fi
	else
		bad "reading /root/data on the next boot failed"
		last_lines
	fi
	# Fill the disk: the guest's ext4 says ENOSPC, the image stays its size.
	size0=$(stat -c %s "$disk")
	type_line 'dd if=/dev/zero of=/root/fill bs=1M 2>&1 | grep -o "No space left on device" | head -n 1 | sed "s/^/fill: /"; sync; rm -f /root/fill; sync; echo fill-done'
	if wait_console '^fill-done$' && console | grep -q '^fill: No space left on device$'; then
		if [ "$(stat -c %s "$disk")" -eq "$size0" ]; then
			echo "   ok   a guest that fills its disk gets ENOSPC; the image stays $size0 bytes"
		else
			bad "the image grew from $size0 to $(stat -c %s "$disk") bytes"
		fi
	else
		bad "filling the disk did not end in ENOSPC"
		last_lines
	fi
	power_off || bad "no power-off on the second boot"
	fsck_clean "$disk" "after the second boot"
else
	bad "the second boot did not come up"
	last_lines
fi
debugfs -R 'dump /root/data/f3 '"$tmp/f3" "$disk" >/dev/null 2>&1
host_sum=$(sha256sum <"$tmp/f3" 2>/dev/null | cut -c1-64)
grep -q "^$host_sum  /root/data/f3\$" <<<"$written" && [ "$(stat -c %s "$tmp/f3")" -eq $((8 << 20)) ] &&
	echo "   ok   the host reads /root/data/f3 out of the image with the guest's sum" ||
	bad "/root/data/f3 from the image: sha256 '$host_sum' is not what the guest wrote"

[ $failed -eq 0 ] || fail "$failed check(s) failed (logs in $logs)"
