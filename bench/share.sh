#!/bin/bash
# Free-page sharing benchmark (mechanism 4), all in one run, through the
# control API; writes bench/results/share.json.
#
#  A. identify + share of 256 MiB and 1 GiB Linux guests that have written
#     and then freed all but 96 MiB of their RAM (guest/init/share.c):
#     pause (identify, share), giving the frames back after the pause, and
#     the fraction of the freed memory the host got back (RSS), medians of
#     RUNS cycles.
#  B. content merging: a guest cloned 8 times, each clone writing the same
#     16 MiB; memvisor's dedup versus the host's own KSM (--host-ksm and
#     /sys/kernel/mm/ksm at its default scan rate) over the same memory:
#     memory saved and time taken. Skipped, saying why, without KSM.
#  C. the guest's own throughput (pages written and checked per second by
#     share.c's stress loop) with memvisor sharing its free pages every
#     100 ms versus not at all, runs alternating, median ratio.
#
# Usage: bench/share.sh BUILD_DIR [RUNS]
set -u
build=${1:-build}
runs=${2:-3}
here=$(cd "$(dirname "$0")" && pwd)
out="$here/results/share.json"
mv="$build/memvisor"
image="$build/guest/Image-6.1"
for f in "$mv" "$image" "$build/guest/share.cpio" "$build/guest/clone.cpio"; do
	[ -e "$f" ] || { echo "share bench: $f is missing (make all guest)" >&2; exit 1; }
done
tmp=$(mktemp -d)
sock="$tmp/api.sock"
pid=
ksm=/sys/kernel/mm/ksm
ksm_saved=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	[ -n "$ksm_saved" ] && echo "$ksm_saved" >"$ksm/run"
	rm -rf "$tmp"
}
trap cleanup EXIT
ctl() { "$mv" ctl --api-sock "$sock" "$@"; }
json() { sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p" <<<"$1"; }
median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
says() { tr -d '\r' <"$tmp/guest.out" 2>/dev/null | grep -c -- "$1"; }
wait_says() { # PATTERN COUNT SECONDS
	local deadline=$((SECONDS + $3))
	until [ "$(says "$1")" -ge "$2" ]; do
		[ $SECONDS -ge $deadline ] && { echo "share bench: no '$1' from the guest" >&2; exit 1; }
		sleep 0.1
	done
}
start() { # INITRD MEMORY [memvisor options]
	local initrd=$1 mem=$2
	shift 2
	rm -f "$sock"
	"$mv" run --kernel "$image" --initrd "$initrd" --memory "$mem" \
		--api-sock "$sock" --vmi-cache "$build/vmi" "$@" \
		</dev/null >"$tmp/guest.out" 2>&1 &
	pid=$!
}
stop() {
	ctl console 1 --input "poweroff\n" >/dev/null 2>&1
	wait "$pid" 2>/dev/null
	pid=
}
rss() { json "$(ctl --json stats "${1:-1}")" host_rss; }

# ---- A. identify + share --------------------------------------------------
# The host's own price for giving memory back, for comparison.
baseline=$("$build/bench/madvise" 256 5)
echo "share: host baseline, MADV_DONTNEED of touched memory: $baseline"
sizes_json=""
for size in 256 1024; do
	freed=$((size - 96))
	start "$build/guest/share.cpio" "${size}M"
	wait_says SHARE-READY 1 120
	p=() i=() s=() rel=() frac=() rate=()
	for r in $(seq "$runs"); do
		ctl console 1 --input "alloc $freed\n" >/dev/null 2>&1
		wait_says "SHARE-ALLOCATED" "$r" 300
		ctl share 1 >/dev/null
		before=$(rss)
		ctl console 1 --input "free\n" >/dev/null 2>&1
		wait_says "SHARE-FREED" "$r" 120
		o=$(ctl --json share 1) || { echo "share bench: $o" >&2; exit 1; }
		after=$(json "$o" host_rss)
		p+=("$(json "$o" pause_us)") i+=("$(json "$o" identify_us)")
		s+=("$(json "$o" share_us)") rel+=("$(json "$o" release_us)")
		frac+=("$(echo "($before - $after) / ($freed * 1048576)" | bc -l)")
		rate+=("$(json "$o" shared)")
	done
	stop
	P=$(printf '%s\n' "${p[@]}" | median) I=$(printf '%s\n' "${i[@]}" | median)
	S=$(printf '%s\n' "${s[@]}" | median) R=$(printf '%s\n' "${rel[@]}" | median)
	F=$(printf '%s\n' "${frac[@]}" | median) N=$(printf '%s\n' "${rate[@]}" | median)
	gib=$(echo "$size / 1024" | bc -l)
	total_per_gib=$(printf '%.1f' "$(echo "($P + $R) / 1000 / $gib" | bc -l)")
	pause_per_gib=$(printf '%.1f' "$(echo "$P / 1000 / $gib" | bc -l)")
	printf 'share: %4d MiB guest, %d MiB freed: pause %.2f ms (identify %.2f, share %.2f), frames back in %.2f ms after it; %s ms/GiB in all, pause %s ms/GiB; host got back %.1f%% of the freed memory (%d pages shared)\n' \
		"$size" "$freed" "$(echo "$P/1000" | bc -l)" "$(echo "$I/1000" | bc -l)" \
		"$(echo "$S/1000" | bc -l)" "$(echo "$R/1000" | bc -l)" "$total_per_gib" \
		"$pause_per_gib" "$(echo "$F * 100" | bc -l)" "$N"
	sizes_json+="${sizes_json:+,}
    {\"guest_mib\": $size, \"freed_mib\": $freed, \"pause_us\": $P, \"identify_us\": $I, \"share_us\": $S, \"release_us\": $R, \"pages_shared\": $N, \"ms_per_gib\": $total_per_gib, \"pause_ms_per_gib\": $pause_per_gib, \"fraction_reclaimed\": $(printf '%.4f' "$F")}"
done

# ---- B. content merging: memvisor's dedup versus the host's KSM ------------
clones=8
setup_dups() { # -> RSS before merging, in $tmp/rss0
	start "$build/guest/clone.cpio" 256M "$@"
	wait_says CLONE-READY 1 120
	ctl clone 1 --count $clones >/dev/null
	for k in $(seq 2 $((clones + 1))); do
		ctl console "$k" --input "fill 5\n" >/dev/null
	done
	for k in $(seq 2 $((clones + 1))); do
		local deadline=$((SECONDS + 120))
		until ctl console "$k" | grep -q "MEMVISOR-FILLED 5"; do
			[ $SECONDS -ge $deadline ] && { echo "share bench: clone $k did not fill" >&2; exit 1; }
			sleep 0.2
		done
	done
	rss >"$tmp/rss0"
}
stop_all() {
	for k in $(seq 2 $((clones + 1))); do ctl destroy "$k" >/dev/null 2>&1; done
	stop
}

setup_dups
o=$(ctl --json dedup) || { echo "share bench: dedup: $o" >&2; exit 1; }
rss0=$(cat "$tmp/rss0") rss1=$(json "$o" host_rss)
dedup_ms=$(printf '%.1f' "$(echo "($(json "$o" pause_us) + $(json "$o" release_us)) / 1000" | bc -l)")
dedup_saved=$(((rss0 - rss1) / 1048576))
dedup_pages=$(($(json "$o" merged) + $(json "$o" zero)))
ctl check >/dev/null || { echo "share bench: check after dedup failed" >&2; exit 1; }
stop_all
printf 'dedup: %d clones x 16 MiB of equal pages: memvisor merged %d pages in %s ms, host RSS fell by %d MiB\n' \
	$clones "$dedup_pages" "$dedup_ms" "$dedup_saved"

ksm_json="null" ksm_why=""
if [ ! -w "$ksm/run" ]; then
	ksm_why="the host has no writable $ksm/run"
else
	ksm_saved=$(cat "$ksm/run")
	setup_dups --host-ksm
	rss0=$(cat "$tmp/rss0")
	scans0=$(cat "$ksm/full_scans")
	t0=$(date +%s.%N)
	echo 1 >"$ksm/run"
	# Converged: two full scans since it started, and nothing new merged
	# over the last full second.
	last=-1 stable=0 deadline=$((SECONDS + 300))
	while [ $SECONDS -lt $deadline ]; do
		sleep 0.5
		sharing=$(cat "$ksm/pages_sharing")
		scans=$(($(cat "$ksm/full_scans") - scans0))
		if [ "$sharing" = "$last" ] && [ $scans -ge 2 ]; then
			stable=$((stable + 1))
			[ $stable -ge 2 ] && break
		else
			stable=0
			t1=$(date +%s.%N)
		fi
		last=$sharing
	done
	rss1=$(rss)
	ksm_s=$(printf '%.1f' "$(echo "$t1 - $t0" | bc -l)")
	# KSM's saving is pages_sharing (its documentation): the merged pages
	# stay mapped in memvisor, so its RSS does not show it.
	ksm_saved_mib=$((last * 4096 / 1048576))
	ksm_rss_mib=$(((rss0 - rss1) / 1048576))
	echo "$ksm_saved" >"$ksm/run"
	ksm_saved=
	stop_all
	printf 'dedup: the host KSM (pages_to_scan %s, sleep %s ms) merged %s pages (%d MiB saved) in %s s (%d full scans); memvisor RSS fell by %d MiB\n' \
		"$(cat $ksm/pages_to_scan)" "$(cat $ksm/sleep_millisecs)" "$last" "$ksm_saved_mib" "$ksm_s" "$scans" "$ksm_rss_mib"
	ksm_json="{\"pages_sharing\": $last, \"saved_mib\": $ksm_saved_mib, \"seconds\": $ksm_s, \"full_scans\": $scans, \"rss_fell_mib\": $ksm_rss_mib, \"pages_to_scan\": $(cat $ksm/pages_to_scan), \"sleep_millisecs\": $(cat $ksm/sleep_millisecs)}"
fi

# ---- C. the guest's throughput while memvisor shares every 100 ms ---------
secs=10
tp_runs=$((runs + 2))
with=() without=()
start "$build/guest/share.cpio" 512M
wait_says SHARE-READY 1 120
n=0
for r in $(seq "$tp_runs"); do
	for mode in without with; do
		if [ $mode = with ]; then ctl share 1 --interval 100 >/dev/null; fi
		ctl console 1 --input "stress $secs\n" >/dev/null 2>&1
		n=$((n + 1))
		wait_says SHARE-STRESS-OK $n $((secs * 6))
		ctl share 1 --interval 0 >/dev/null
		pages=$(tr -d '\r' <"$tmp/guest.out" | grep SHARE-STRESS-OK | tail -1 | sed 's/.* pages=\([0-9]*\).*/\1/')
		if [ $mode = with ]; then with+=("$pages"); else without+=("$pages"); fi
	done
done
! grep -q SHARE-MISMATCH "$tmp/guest.out" || { echo "share bench: a page read wrong" >&2; exit 1; }
stop
W=$(printf '%s\n' "${with[@]}" | median) WO=$(printf '%s\n' "${without[@]}" | median)
ratio=$(printf '%.3f' "$(echo "$W / $WO" | bc -l)")
printf 'throughput: guest pages written+checked in %d s: %s with sharing every 100 ms, %s without (median of %d: with %s; without %s): ratio %s\n' \
	$secs "$W" "$WO" "$tp_runs" "${with[*]}" "${without[*]}" "$ratio"

mkdir -p "$here/results"
cat >"$out" <<EOF
{
  "bench": "share",
  "machine": "$(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores",
  "runs": $runs,
  "host_madvise_baseline": $baseline,
  "identify_and_share": [$sizes_json
  ],
  "dedup": {"clones": $clones, "equal_mib_per_clone": 16,
    "memvisor": {"pages_merged": $dedup_pages, "saved_mib": $((dedup_pages * 4096 / 1048576)), "ms": $dedup_ms, "rss_fell_mib": $dedup_saved},
    "host_ksm": $ksm_json${ksm_why:+, \"host_ksm_skipped\": \"$ksm_why\"}},
  "throughput_with_sharing_every_100ms": {"seconds": $secs, "runs": $tp_runs, "pages_with": $W, "pages_without": $WO, "ratio": $ratio,
    "each_with": [$(IFS=,; echo "${with[*]}")], "each_without": [$(IFS=,; echo "${without[*]}")]}
}
EOF
echo "share bench: wrote $out"
