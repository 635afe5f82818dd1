#!/bin/bash
# Introspection benchmark (mechanism 3), through the control API; writes
# bench/results/inspect.json. For each Debian guest kernel (6.1, 6.12):
#
#  A. profile build, cold: the first `inspect` with an empty profile cache
#     (extract Debian's linux-source tarball, configure it with the guest's
#     embedded config, `make prepare`, compile the fixed interface function
#     with Kbuild, link it against the kernel's symbols), wall time and the
#     peak resident memory of memvisor and every process it started for the
#     build (sampled every 100 ms); then cached: the next inspect of a new
#     memvisor with the same cache (its reply time, as a user sees it).
#  B. classification of a paused guest of 256 MiB and of 1 GiB, idle
#     (mostly free memory) and after it wrote all but 96 MiB of its RAM
#     (guest/init/share.c): the time the VM is paused (identify every
#     frame), per GiB of guest RAM, median of RUNS inspects; and how much
#     memvisor's resident size grew over those inspects.
#
# Usage: bench/inspect.sh BUILD_DIR [RUNS]
set -u
build=${1:-build}
runs=${2:-5}
here=$(cd "$(dirname "$0")" && pwd)
out="$here/results/inspect.json"
mv="$build/memvisor"
initrd="$build/guest/share.cpio"
for f in "$mv" "$initrd"; do
	[ -e "$f" ] || { echo "inspect bench: $f is missing (make all guest)" >&2; exit 1; }
done
tmp=$(mktemp -d)
sock="$tmp/api.sock"
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
ctl() { "$mv" ctl --api-sock "$sock" "$@"; }
json() { sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p" <<<"$1"; }
median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
now() { date +%s.%N; }
says() { tr -d '\r' 2>/dev/null <"$tmp/guest.out" | grep -c -- "$1"; }
wait_says() { # PATTERN SECONDS
	local deadline=$((SECONDS + $2))
	until [ "$(says "$1")" -ge 1 ]; do
		[ $SECONDS -ge $deadline ] && { echo "inspect bench: no '$1' from the guest" >&2; exit 1; }
		sleep 0.1
	done
}
start() { # IMAGE MEMORY CACHE
	rm -f "$sock" "$tmp/guest.out"
	setsid "$mv" run --kernel "$1" --initrd "$initrd" --memory "$2" \
		--api-sock "$sock" --vmi-cache "$3" </dev/null >"$tmp/guest.out" 2>&1 &
	pid=$!
	wait_says SHARE-READY 120
}
stop() {
	ctl console 1 --input "poweroff\n" >/dev/null 2>&1
	wait "$pid" 2>/dev/null
	pid=
}
# Host memory (KiB) of what memvisor started (its session, memvisor
# excluded): the sum of their proportional set sizes, so that the pages
# the compiler's processes share are counted once; and memvisor's RSS.
build_rss_kib() {
	local p s=0 k
	for p in $(ps -o pid= -s "$pid" 2>/dev/null); do
		[ "$p" = "$pid" ] && continue
		k=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null)
		s=$((s + ${k:-0}))
	done
	echo $s
}
own_rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$pid/status"; }

versions_json=""
for v in 6.1 6.12; do
	image="$build/guest/Image-$v"
	if [ ! -e "$image" ]; then
		echo "inspect bench: $image is missing (make guest)" >&2
		exit 1
	fi
	cache="$tmp/vmi-$v"

	# ---- A. profile build, cold and cached ----------------------------
	start "$image" 256M "$cache"
	own0=$(own_rss_kib)
	t0=$(now)
	ctl --json inspect 1 >"$tmp/reply" 2>&1 &
	cpid=$!
	peak=0
	while kill -0 "$cpid" 2>/dev/null; do
		r=$(build_rss_kib)
		[ "$r" -gt "$peak" ] && peak=$r
		sleep 0.1
	done
	own_grew=$(($(own_rss_kib) - own0))
	wait "$cpid" || { echo "inspect bench: linux $v: $(cat "$tmp/reply")" >&2; exit 1; }
	cold=$(printf '%.1f' "$(echo "$(now) - $t0" | bc -l)")
	kernel=$(sed -n 's/.*"kernel":"\([^"]*\)".*/\1/p' "$tmp/reply")
	stop
	start "$image" 256M "$cache"
	t0=$(now)
	ctl inspect 1 >/dev/null || { echo "inspect bench: linux $v: cached inspect failed" >&2; exit 1; }
	cached_ms=$(printf '%.1f' "$(echo "($(now) - $t0) * 1000" | bc -l)")
	stop
	profile_kib=$(du -k "$(find "$cache" -name interface.elf -path "*/profile-*" | head -1)" 2>/dev/null | cut -f1)
	printf 'inspect: linux %s: profile built in %s s (peak memory of the build processes %d MiB PSS; memvisor grew %d KiB), cached %s ms\n' \
		"$kernel" "$cold" $((peak / 1024)) "$own_grew" "$cached_ms"

	# ---- B. classification ---------------------------------------------
	sizes_json=""
	for size in 256 1024; do
		start "$image" "${size}M" "$cache"
		for state in idle used; do
			if [ $state = used ]; then
				ctl console 1 --input "alloc $((size - 96))\n" >/dev/null 2>&1
				wait_says SHARE-ALLOCATED 300
			fi
			rss0=$(json "$(ctl --json stats 1)" host_rss)
			ps=() free=""
			for r in $(seq "$runs"); do
				o=$(ctl --json inspect 1) || { echo "inspect bench: $o" >&2; exit 1; }
				ps+=("$(json "$o" pause_us)")
				free=$(json "$o" free_pages)
			done
			rss1=$(json "$(ctl --json stats 1)" host_rss)
			P=$(printf '%s\n' "${ps[@]}" | median)
			per_gib=$(printf '%.2f' "$(echo "$P / 1000 / ($size / 1024)" | bc -l)")
			grew=$(((rss1 - rss0) / 1024))
			printf 'inspect: linux %s, %4d MiB %s (%d pages free): paused %.2f ms (%s ms per GiB; runs %s us); RSS grew %d KiB\n' \
				"$v" "$size" "$state" "$free" "$(echo "$P / 1000" | bc -l)" "$per_gib" "${ps[*]}" "$grew"
			sizes_json+="${sizes_json:+,}
      {\"guest_mib\": $size, \"state\": \"$state\", \"free_pages\": $free, \"pause_us\": $P, \"ms_per_gib\": $per_gib, \"each_us\": [$(IFS=,; echo "${ps[*]}")], \"rss_grew_kib\": $grew}"
		done
		stop
	done
	versions_json+="${versions_json:+,}
    {\"kernel\": \"$kernel\", \"profile_build_cold_s\": $cold, \"profile_build_peak_rss_mib\": $((peak / 1024)), \"memvisor_rss_grew_during_build_kib\": $own_grew, \"profile_cached_inspect_ms\": $cached_ms, \"profile_object_kib\": ${profile_kib:-null},
     \"classify\": [$sizes_json
     ]}"
done

mkdir -p "$here/results"
cat >"$out" <<EOF
{
  "bench": "inspect",
  "machine": "$(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores",
  "load_average": "$(cut -d' ' -f1-3 /proc/loadavg)",
  "runs": $runs,
  "kernels": [$versions_json
  ]
}
EOF
echo "inspect bench: wrote $out"
