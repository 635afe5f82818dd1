#!/bin/bash
# Translations shared between clones (cpu/jit/share.h): what a clone's
# first work costs with its parent's translations (--jit-share on) and
# with a code cache of its own (--jit-share off).
#
# Each run boots the clone guest (guest/init/clone.c: Linux 6.1, 1 VCPU,
# 256 MiB, clone_mib MiB of pattern 0) under the JIT, warms its hot code
# in the parent (fill, check, answer: the kernel's page-fault, console and
# timer paths and the user loops), clones it CLONES times and then, clone
# by clone, hands each one its first work, "fill K", "check", "answer P"
# (overwrite the whole buffer: copy-on-write breaks all through it; read
# it back, the clone's memory checked as the clone tests do; then a
# CPU-bound loop, about 1.5 s in all), and measures:
#   - the instructions the clone retired in the first second of it;
#   - the wall time until its answer, and the host CPU time it took
#     (ctl stats cpu_us);
#   - the host RSS per clone after every clone did its work (the demo's
#     figure: (RSS after - RSS before cloning) / CLONES);
#   - each clone's cpu stats: blocks it translated itself, shared hits.
# Runs alternate on/off; medians over every clone of every run.
#
# Usage: bench/jitshare.sh BUILD_DIR [RUNS] [CLONES]   (3 and 6)
# MIB (default 64) sets clone_mib, PRIME (300000) P. BASE=DIR adds a third
# arm, "base": DIR/memvisor without --jit-share (an older build, before
# shared translations, whose code caches were emptied at every G-stage
# change). Writes bench/results/jitshare.json.
set -eu
build=$(cd "${1:-build}" && pwd)
runs=${2:-3}
clones=${3:-6}
mib=${MIB:-64}
prime=${PRIME:-300000}
here=$(cd "$(dirname "$0")" && pwd)
out="$here/results/jitshare.json"
mv="$build/memvisor"
image="$build/guest/Image-6.1"
initrd="$build/guest/clone.cpio"
for f in "$mv" "$image" "$initrd"; do
	[ -e "$f" ] || { echo "jitshare bench: $f is missing (make all guest)" >&2; exit 1; }
done

tmp=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
sock="$tmp/api.sock"
ctl() { "$mv" ctl --api-sock "$sock" "$@"; }
# jnum NAME: the first number "NAME": N in the JSON on stdin.
jnum() { grep -o "\"$1\": *[0-9]*" | head -n 1 | grep -o '[0-9]*$'; }
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$pid/status"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
# says ID TEXT: the VM's console (the parent: its output file) has TEXT.
says() {
	if [ "$1" = 1 ]; then
		tr -d '\r' 2>/dev/null <"$tmp/parent.out" | grep -q -- "$2"
	else
		ctl console "$1" 2>/dev/null | tr -d '\r' | grep -q -- "$2"
	fi
}
# wait_says SECONDS ID TEXT
wait_says() {
	local deadline=$((SECONDS + $1))
	until says "$2" "$3"; do
		[ $SECONDS -lt $deadline ] && kill -0 "$pid" 2>/dev/null ||
			{ echo "jitshare bench: VM $2 never said $3" >&2; exit 1; }
		sleep 0.01
	done
}

# one MODE: one boot, its clones, their work; appends to $tmp/MODE.*
one() {
	local mode=$1 r0 r2 ids first last k i0 i1 c0 t0 t1 s
	local bin=$mv share="--jit-share $mode"
	rm -f "$sock" "$tmp/parent.out"
	if [ "$mode" = base ]; then
		bin=$BASE/memvisor share=
	fi
	# shellcheck disable=SC2086 # $share: words
	"$bin" run --kernel "$image" --initrd "$initrd" --memory 256M \
		--cmdline "console=hvc0 clone_mib=$mib" --api-sock "$sock" \
		--cpu-tier jit $share \
		</dev/null >"$tmp/parent.out" 2>&1 &
	pid=$!
	wait_says 300 1 MEMVISOR-CLONE-READY
	ctl console 1 --input "fill 1\ncheck\nanswer 2000\n" >/dev/null
	wait_says 300 1 "MEMVISOR-ANSWER 2000="
	r0=$(rss_kib)
	ids=$(ctl clone 1 --count "$clones" | sed -n 's/.*new ids: \([0-9]*\)-\([0-9]*\).*/\1 \2/p')
	read -r first last <<<"$ids"
	for k in $(seq "$first" "$last"); do
		s=$(ctl --json stats "$k")
		i0=$(jnum instret <<<"$s")
		c0=$(jnum cpu_us <<<"$s")
		t0=$(now_ms)
		ctl console "$k" --input "fill $k\ncheck\nanswer $prime\n" >/dev/null
		sleep "$(echo "(1000 - ($(now_ms) - $t0)) / 1000" | bc -l)"
		i1=$(ctl --json stats "$k" | jnum instret)
		wait_says 300 "$k" "MEMVISOR-ANSWER $prime="
		t1=$(now_ms)
		says "$k" "MEMVISOR-CHECK-OK seed=$k" && ! says "$k" PATTERN-FAIL ||
			{ echo "jitshare bench: clone $k: $(ctl console "$k" | grep MEMVISOR)" >&2; exit 1; }
		s=$(ctl --json stats "$k")
		echo $((t1 - t0)) >>"$tmp/$mode.ms"
		echo $((($(jnum cpu_us <<<"$s") - c0) / 1000)) >>"$tmp/$mode.cpums"
		echo $(((i1 - i0) / 1000000)) >>"$tmp/$mode.minsn"
		jnum blocks_translated <<<"$s" >>"$tmp/$mode.blocks"
		{ jnum shared_hits <<<"$s" || echo 0; } >>"$tmp/$mode.hits"
		jnum translate_us <<<"$s" >>"$tmp/$mode.tus"
	done
	r2=$(rss_kib)
	echo $(((r2 - r0) / clones)) >>"$tmp/$mode.rss"
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	pid=
}

for i in $(seq "$runs"); do
	if [ $((i % 2)) = 1 ]; then order="on off"; else order="off on"; fi
	[ -z "${BASE:-}" ] || order="$order base"
	for mode in $order; do
		one "$mode"
		echo "run $i $mode: $(tail -n "$clones" "$tmp/$mode.ms" | tr '\n' ' ')ms," \
			"$(tail -n 1 "$tmp/$mode.rss") KiB per clone" >&2
	done
done

declare -A m
modes="on off"
[ -z "${BASE:-}" ] || modes="on off base"
for mode in $modes; do
	for f in ms cpums minsn blocks hits tus rss; do
		m[$mode.$f]=$(median <"$tmp/$mode.$f")
	done
done
ratio() { printf '%.2f' "$(echo "$1 / $2" | bc -l)"; }
# row LABEL KEY [ratio]: share on's and off's medians of KEY (and on/off).
row() {
	printf '%-34s %10s %10s %8s\n' "$1" "${m[on.$2]}" "${m[off.$2]}" \
		"${3:+$(ratio "${m[on.$2]}" "${m[off.$2]}")}"
}
# base_row LABEL KEY [ratio]: the base build's median of KEY (and on/base).
base_row() {
	printf '%-34s %10s %10s %8s\n' "base: $1" "${m[base.$2]}" "" \
		"${3:+$(ratio "${m[on.$2]}" "${m[base.$2]}")}"
}
printf '%-34s %10s %10s %8s\n' "per clone (medians)" "share on" "share off" "on/off"
row "M instructions in its 1st second" minsn ratio
row "first work: wall ms" ms ratio
row "first work: host CPU ms" cpums ratio
row "host RSS KiB after its work" rss ratio
row "blocks it translated" blocks
row "translate us" tus
row "shared hits" hits
if [ -n "${BASE:-}" ]; then
	base_row "M instructions in 1st second" minsn ratio
	base_row "first work wall ms" ms ratio
	base_row "first work host CPU ms" cpums ratio
	base_row "RSS KiB after its work" rss ratio
	base_row "blocks it translated" blocks
	base_row "translate us" tus
fi
mkdir -p "$(dirname "$out")"
cat >"$out" <<EOF
{
  "bench": "jitshare",
  "runs": $runs, "clones": $clones, "clone_mib": $mib, "prime": $prime,
  "on": {"first_work_ms": ${m[on.ms]}, "first_work_cpu_ms": ${m[on.cpums]}, "first_second_minsn": ${m[on.minsn]}, "rss_kib_per_clone": ${m[on.rss]}, "blocks_translated": ${m[on.blocks]}, "translate_us": ${m[on.tus]}, "shared_hits": ${m[on.hits]}},
  "off": {"first_work_ms": ${m[off.ms]}, "first_work_cpu_ms": ${m[off.cpums]}, "first_second_minsn": ${m[off.minsn]}, "rss_kib_per_clone": ${m[off.rss]}, "blocks_translated": ${m[off.blocks]}, "translate_us": ${m[off.tus]}, "shared_hits": ${m[off.hits]}},
  "base": $(if [ -n "${BASE:-}" ]; then echo "{\"first_work_ms\": ${m[base.ms]}, \"first_work_cpu_ms\": ${m[base.cpums]}, \"first_second_minsn\": ${m[base.minsn]}, \"rss_kib_per_clone\": ${m[base.rss]}, \"blocks_translated\": ${m[base.blocks]}, \"translate_us\": ${m[base.tus]}}"; else echo null; fi),
  "ratio_on_off": {"first_work_ms": $(ratio "${m[on.ms]}" "${m[off.ms]}"), "first_work_cpu_ms": $(ratio "${m[on.cpums]}" "${m[off.cpums]}"), "first_second_minsn": $(ratio "${m[on.minsn]}" "${m[off.minsn]}"), "rss_kib_per_clone": $(ratio "${m[on.rss]}" "${m[off.rss]}")}
}
EOF
echo "wrote $out"
