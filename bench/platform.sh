#!/bin/bash
# bench/platform.sh BUILD — the virt platform against QEMU's `virt` machine
# (TCG), on the same stock kernel and the same busybox disk image (make
# guest-stock rootfs); writes bench/results/platform.json.
#  - boot to a shell prompt: time from starting the VMM to the shell's
#    prompt on ttyS0, memvisor and QEMU alternating, RUNS runs each (5);
#  - sequential disk write and read in the guest, in the same boots: busybox
#    dd of 64 MiB with conv=fsync, then read back after drop_caches; MB/s
#    as the guest's dd reports them;
#  - TCP throughput through user-mode networking (memvisor's libslirp vs
#    QEMU's), in the same boots: host to guest, 64 MiB sent to busybox nc
#    listening on a forwarded port; guest to host, curl fetching a 32 MiB
#    file from busybox httpd; MB/s as the host measures them;
#  - clone latency with the disk and the network: `ctl clone` of the
#    running system, one at a time, CLONES (20) per configuration, p50 of
#    the server's latency_us, for RAM 256 MiB / 1 GiB and disk 128 MiB /
#    4 GiB (flat: the disk is cloned as an O(1) overlay, the memory lazily,
#    the network is a fresh slirp on new host ports).
# Medians; ratios are memvisor over QEMU (time: below 1 is faster;
# throughput: above 1 is faster).
# ONLY=clone: the clone latency alone (no QEMU), written to
# bench/results/platform-clone.json instead.
set -u
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
tests=$here/../tests/integration
. "$tests/lib.bash"
. "$tests/rootfs.bash"
runs=${RUNS:-5}
clones=${CLONES:-20}
out="$here/results/platform.json"
mv=$build/memvisor
kernel=$build/guest/Image-stock
image=$build/guest/rootfs.ext4
qemu=qemu-system-riscv64
firmware=/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin
for f in "$mv" "$kernel" "$image" "$firmware"; do
	[ -r "$f" ] || { echo "platform bench: $f is missing (make guest-stock rootfs)" >&2; exit 1; }
done
command -v $qemu >/dev/null || { echo "platform bench: $qemu is missing" >&2; exit 1; }
median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
ratio() { echo "$1 $2" | awk '{ printf "%.3f", $1 / $2 }'; }
json() { sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p" <<<"$1"; }
rootfs_console_open
cmdline="root=/dev/vda rw console=ttyS0 panic=-1 hostname=bench"
disk=$tmp/disk.ext4
sock=$tmp/api.sock
limit=300

# start VMM RAM: boot the copy of the image in the background, the guest's
# ports 80 (httpd) and 5001 forwarded from $http_port and $nc_port.
start() {
	log=$tmp/$1.log
	: >"$log"
	deadline=$((SECONDS + limit))
	http_port=$(free_port) nc_port=$(free_port)
	local fwd="hostfwd=tcp:127.0.0.1:$http_port-:80,hostfwd=tcp:127.0.0.1:$nc_port-:5001"
	if [ "$1" = memvisor ]; then
		rm -f "$sock"
		"$mv" run --kernel "$kernel" --memory "$2" --disk "$disk" \
			--net "user,$fwd" \
			--api-sock "$sock" --cmdline "$cmdline" <&3 >"$log" 2>&1 &
	else
		"$qemu" -M virt -m "$2" -nographic -no-reboot -bios "$firmware" \
			-kernel "$kernel" -append "$cmdline" \
			-drive file="$disk",if=none,format=raw,id=d0 \
			-device virtio-blk-device,drive=d0 \
			-netdev "user,id=n0,$fwd" -device virtio-net-device,netdev=n0 \
			<&3 >"$log" 2>&1 &
	fi
	pid=$!
}

# tcp_in: MB/s of 64 MiB sent from the host to nc in the guest (until the
# guest's nc, at EOF, closes its side; the guest counts what arrived).
tcp_in() {
	type_line 'nc -l -p 5001 </dev/null | wc -c; echo nc-done'
	sleep 1
	python3 - "$nc_port" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
buf = b"\0" * (1 << 20)
for attempt in range(50):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=60)
        break
    except OSError:
        time.sleep(0.2)
t0 = time.monotonic()
for _ in range(64):
    s.sendall(buf)
s.shutdown(socket.SHUT_WR)
while s.recv(65536):
    pass
print("%.2f" % (64 * 1.048576 / (time.monotonic() - t0)))
PY
	wait_console '^nc-done$' >/dev/null
	console | grep -q '^67108864$' ||
		echo "platform bench: the guest's nc did not get all 64 MiB" >&2
}

# tcp_out: MB/s of a 32 MiB file fetched from the guest's httpd.
tcp_out() {
	type_line 'dd if=/dev/zero of=/www/big bs=1M count=32 2>/dev/null; sync; echo big-done'
	wait_console '^big-done$' || return 1
	curl -sS --max-time 300 -o /dev/null -w '%{speed_download}\n' \
		"http://127.0.0.1:$http_port/big" | awk '{ printf "%.2f\n", $1 / 1e6 }'
}
now() { date +%s.%N; }
# dd_rate FROM TO: the MB/s of busybox dd's line between the console lines
# FROM and TO.
dd_rate() {
	console | sed -n "/^$1\$/,/^$2\$/p" | sed -nE 's/.*copied, [0-9.]+ seconds, ([0-9.]+)([MG])B\/s.*/\1 \2/p' |
		tail -n 1 | awk '{ print ($2 == "G") ? $1 * 1024 : $1 }'
}

# One boot of VMM: boot-to-shell seconds, disk write and read MB/s, TCP
# in and out MB/s.
measure() {
	local t0 t1 w r ti to
	disk_copy "$image" "$disk" || exit 1
	t0=$(now)
	start "$1" 512M
	shell_answers bench || { last_lines; echo "platform bench: $1 gave no shell" >&2; exit 1; }
	t1=$(now)
	type_line 'echo dd-write; dd if=/dev/zero of=/root/b bs=1M count=64 conv=fsync; echo 3 >/proc/sys/vm/drop_caches; echo dd-read; dd if=/root/b of=/dev/null bs=1M; echo dd-done'
	wait_console '^dd-done$' || { last_lines; exit 1; }
	w=$(dd_rate dd-write dd-read) r=$(dd_rate dd-read dd-done)
	ti=$(tcp_in) to=$(tcp_out)
	power_off || { echo "platform bench: $1 did not power off" >&2; exit 1; }
	echo "$t0 $t1 $w $r $ti $to" | awk '{ printf "%.3f %s %s %s %s\n", $2 - $1, $3, $4, $5, $6 }'
}

declare -a mb mw mr mi mo qb qw qr qi qo
[ "${ONLY:-}" = clone ] && runs=0
for i in $(seq "$runs"); do
	read -r b w r ti to < <(measure memvisor)
	mb+=("$b") mw+=("$w") mr+=("$r") mi+=("$ti") mo+=("$to")
	read -r b w r ti to < <(measure qemu)
	qb+=("$b") qw+=("$w") qr+=("$r") qi+=("$ti") qo+=("$to")
	echo "platform bench: run $i: boot to shell memvisor ${mb[-1]} s, QEMU ${qb[-1]} s; write ${mw[-1]} / ${qw[-1]} MB/s; read ${mr[-1]} / ${qr[-1]} MB/s; tcp in ${mi[-1]} / ${qi[-1]} MB/s, out ${mo[-1]} / ${qo[-1]} MB/s"
done
[ "$runs" -gt 0 ] || mb=(0) mw=(0) mr=(0) mi=(0) mo=(0) qb=(1) qw=(1) qr=(1) qi=(1) qo=(1)
MB=$(printf '%s\n' "${mb[@]}" | median) QB=$(printf '%s\n' "${qb[@]}" | median)
MW=$(printf '%s\n' "${mw[@]}" | median) QW=$(printf '%s\n' "${qw[@]}" | median)
MR=$(printf '%s\n' "${mr[@]}" | median) QR=$(printf '%s\n' "${qr[@]}" | median)
MI=$(printf '%s\n' "${mi[@]}" | median) QI=$(printf '%s\n' "${qi[@]}" | median)
MO=$(printf '%s\n' "${mo[@]}" | median) QO=$(printf '%s\n' "${qo[@]}" | median)

# Clone latency with the disk, per RAM and disk size.
load0=$(cut -d' ' -f1-3 /proc/loadavg)
clone_json=""
for ram in 256M 1G; do
	for dsize in 128M 4G; do
		disk_copy "$image" "$disk" || exit 1
		[ "$dsize" = 128M ] || truncate -s "$dsize" "$disk"
		start memvisor "$ram"
		shell_answers bench || { last_lines; exit 1; }
		lat=()
		for c in $(seq "$clones"); do
			o=$("$mv" ctl --api-sock "$sock" --json clone 1) || { echo "platform bench: clone: $o" >&2; exit 1; }
			lat+=("$(json "$o" latency_us)")
		done
		P50=$(printf '%s\n' "${lat[@]}" | median)
		echo "platform bench: clone with disk and network, RAM $ram, disk $dsize: p50 $P50 us ($clones clones)"
		clone_json+="${clone_json:+,}
    {\"ram\": \"$ram\", \"disk\": \"$dsize\", \"clones\": $clones, \"p50_us\": $P50}"
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		pid=
	done
done

mkdir -p "$(dirname "$out")"
if [ "${ONLY:-}" = clone ]; then
	out="$here/results/platform-clone.json"
	cat >"$out" <<EOT
{
  "bench": "platform-clone",
  "host": "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)",
  "load_before": "$load0",
  "clone_with_disk_and_net": [$clone_json
  ]
}
EOT
	echo "platform bench: wrote $out"
	exit 0
fi
cat >"$out" <<EOT
{
  "bench": "platform",
  "host": "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)",
  "runs": $runs,
  "boot_to_shell_s": {"memvisor": $MB, "qemu": $QB, "ratio": $(ratio "$MB" "$QB")},
  "disk_write_mb_s": {"memvisor": $MW, "qemu": $QW, "ratio": $(ratio "$MW" "$QW")},
  "disk_read_mb_s": {"memvisor": $MR, "qemu": $QR, "ratio": $(ratio "$MR" "$QR")},
  "tcp_host_to_guest_mb_s": {"memvisor": $MI, "qemu": $QI, "ratio": $(ratio "$MI" "$QI")},
  "tcp_guest_to_host_mb_s": {"memvisor": $MO, "qemu": $QO, "ratio": $(ratio "$MO" "$QO")},
  "clone_with_disk_and_net": [$clone_json
  ]
}
EOT
echo "platform bench: boot to shell $MB s vs QEMU $QB s (ratio $(ratio "$MB" "$QB")); write $MW vs $QW MB/s; read $MR vs $QR MB/s; tcp in $MI vs $QI MB/s, out $MO vs $QO MB/s; wrote $out"
