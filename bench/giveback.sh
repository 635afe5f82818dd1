#!/bin/bash
# bench/giveback.sh BUILD — three ways a guest's freed memory goes back to
# the host, side by side on the same system (the stock kernel and the
# busybox disk, 1536 MiB of RAM): the guest writes 1 GiB into a tmpfs and
# deletes it, then
#  - balloon: virtio-balloon's free page reporting (--balloon; Linux's
#    page_reporting hands the device runs of free pageblocks);
#  - dlh: the same page_reporting framework through memvisor's deferrable
#    hypercalls (the stock kernel's memvisor_dlh driver,
#    memvisor_dlh.reporting=1);
#  - share: memvisor identifies the free pages from outside and shares
#    them (ctl share; mechanism 3 and 4: no guest driver at all).
# For each, RUNS (3) boots, median: the time until 90% of the frames the
# file held are back (or the share request's own time), the host CPU time
# memvisor spent meanwhile, the VM's exits meanwhile, and the share of the
# file's frames given back. Writes bench/results/giveback.json.
set -u
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
tests=$here/../tests/integration
. "$tests/lib.bash"
. "$tests/rootfs.bash"
runs=${RUNS:-3}
out="$here/results/giveback.json"
mv=$build/memvisor
kernel=$build/guest/Image-stock
image=$build/guest/rootfs.ext4
for f in "$mv" "$kernel" "$image"; do
	[ -r "$f" ] || { echo "giveback bench: $f is missing (make guest-stock rootfs)" >&2; exit 1; }
done
median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
rootfs_console_open
disk=$tmp/disk.ext4
sock=$tmp/api.sock
limit=600
owned() { ctl --json stats 1 | json 'd["frames_owned"]'; }
exits() { ctl --json stats 1 | json 'd["exits"]'; }
# The host CPU memvisor has used, in ms.
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{ print int(($14 + $15) * 1000 / hz) }' "/proc/$pid/stat"; }
now_ms() { date +%s%3N; }

# one WAY: boot, fill and free 1 GiB, give it back; prints
# "ms cpu_ms exits percent".
one() {
	local way=$1 extra=() cmd="root=/dev/vda rw console=ttyS0 panic=-1 hostname=bench"
	case $way in
	balloon) extra=(--balloon) ;;
	dlh) cmd+=" memvisor_dlh.reporting=1" ;;
	esac
	disk_copy "$image" "$disk" || exit 1
	log=$tmp/$way.log
	: >"$log"
	rm -f "$sock"
	"$mv" run --kernel "$kernel" --memory 1536M --disk "$disk" "${extra[@]}" \
		--api-sock "$sock" --vmi-cache "$build/vmi" --cmdline "$cmd" \
		<&3 >"$log" 2>&1 &
	pid=$!
	deadline=$((SECONDS + limit))
	shell_answers bench || { last_lines; echo "giveback bench: no shell" >&2; exit 1; }
	type_line 'mkdir -p /mnt/big && mount -t tmpfs -o size=1100M big /mnt/big && echo mounted'
	wait_console '^mounted$' || exit 1
	[ "$way" = share ] && ctl inspect 1 --free-only >/dev/null # the profile, once
	sleep 3
	local a b c t0 t1 cpu0 cpu1 e0 e1
	a=$(owned)
	type_line 'dd if=/dev/zero of=/mnt/big/fill bs=1M count=1024 2>/dev/null; echo filled'
	wait_console '^filled$' || exit 1
	b=$(owned)
	type_line 'rm /mnt/big/fill; echo freed'
	wait_console '^freed$' || exit 1
	t0=$(now_ms) cpu0=$(cpu_ms) e0=$(exits)
	if [ "$way" = share ]; then
		ctl share 1 >/dev/null || echo "giveback bench: share failed" >&2
	else
		while [ $((SECONDS)) -lt $deadline ]; do
			c=$(owned)
			[ $(((b - c) * 10)) -ge $(((b - a) * 9)) ] && break
			sleep 0.2
		done
	fi
	t1=$(now_ms) cpu1=$(cpu_ms) e1=$(exits)
	sleep 2
	c=$(owned)
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	pid=
	echo "$((t1 - t0)) $((cpu1 - cpu0)) $((e1 - e0)) $(((b - c) * 100 / (b - a)))"
}

entries=""
for way in balloon dlh share; do
	ms=() cpu=() ex=() pct=()
	for i in $(seq "$runs"); do
		read -r m c e p < <(one "$way")
		ms+=("$m") cpu+=("$c") ex+=("$e") pct+=("$p")
		echo "giveback bench: $way run $i: $m ms, host CPU $c ms, $e exits, $p% of the 1 GiB back"
	done
	M=$(printf '%s\n' "${ms[@]}" | median) C=$(printf '%s\n' "${cpu[@]}" | median)
	E=$(printf '%s\n' "${ex[@]}" | median) P=$(printf '%s\n' "${pct[@]}" | median)
	entries+="${entries:+,}
    \"$way\": {\"ms\": $M, \"host_cpu_ms\": $C, \"exits\": $E, \"reclaimed_percent\": $P}"
done
mkdir -p "$(dirname "$out")"
cat >"$out" <<EOT
{
  "bench": "giveback",
  "host": "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)",
  "runs": $runs,
  "freed_mib": 1024,$entries
}
EOT
echo "giveback bench: wrote $out"; cat "$out"
