#!/bin/bash
# bench/cpu-linux.sh BUILD RUNS OUT.json — CPU-bound work in a Linux guest:
# memvisor (the JIT tier, the default) against qemu-system-riscv64 -M virt
# (TCG, OpenSBI fw_jump) on the same stock kernel (make guest-stock) and the
# same disk: a copy of the busybox root file system (make rootfs) with
# /bench added (guest/bench/linux.sh as init, timeit, kernels, fp,
# bitmanip, and the input). bench/cpu.sh calls it and puts OUT.json into
# bench/results/cpu.json as "linux_guest".
#
# Each run boots memvisor's JIT, QEMU, then memvisor's interpreter
# (--cpu-tier interp, for reference; INTERP_RUNS of them, default RUNS),
# alternating, each once through all of the work:
#  - busybox's gzip and bzip2 (Debian's busybox source, built by this
#    project) compressing and decompressing INPUT_MIB (8) MiB: the start of
#    Debian's linux-source-6.12 tarball, decompressed (C and text); the
#    md5sums of the input and of the compressed files must be the same in
#    every boot; busybox sort on its lines;
#  - the kernels of guest/bench/kernels.c (int, mem, branch, sort) and
#    guest/bench/fp.c and bitmanip.c, each checked to compute the same
#    values in every boot;
#  - boot to init: from starting the VMM to the init's first line;
#  - memvisor's `ctl stats` cpu counters at the end of each JIT run: guest
#    bytes translated, time translating, code-cache bytes.
# Wall times are the guest's own (CLOCK_MONOTONIC around each command);
# medians; a speed is QEMU's time over memvisor's (above 1: memvisor is
# faster); the "best" speeds divide the fastest of the runs (on a loaded
# host, interference only ever adds time).
set -u
build=${1:?usage: bench/cpu-linux.sh BUILD RUNS OUT.json}
runs=${2:-3}
json_out=${3:?usage: bench/cpu-linux.sh BUILD RUNS OUT.json}
interp_runs=${INTERP_RUNS:-$runs}
input_mib=${INPUT_MIB:-8}
here=$(cd "$(dirname "$0")" && pwd)
tests=$here/../tests/integration
. "$tests/lib.bash"
. "$tests/rootfs.bash"
mv=$build/memvisor
kernel=$build/guest/Image-stock
image=$build/guest/rootfs.ext4
progs="timeit kernels fp bitmanip"
fw=/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin
src_pkg=linux-source-6.12
tarball=/usr/src/$src_pkg.tar.xz
die() {
	echo "cpu-linux bench: $*" >&2
	exit 1
}
for f in "$mv" "$kernel" "$image" "$fw" "$tarball" $(printf "$build/guest/bench/%s " $progs); do
	[ -r "$f" ] || die "$f is missing (make all guest guest-stock rootfs; qemu-system-misc, opensbi, $src_pkg)"
done
command -v qemu-system-riscv64 >/dev/null || die "qemu-system-riscv64 is missing"

# --- the disk ---------------------------------------------------------------
# The input: a fixed slice of a Debian package's file, the same bytes on
# every machine with this package version.
{ xz -dc "$tarball" || true; } 2>/dev/null | head -c $((input_mib << 20)) >"$tmp/input"
[ "$(stat -c %s "$tmp/input")" -eq $((input_mib << 20)) ] || die "cannot read $input_mib MiB out of $tarball"
input_md5=$(md5sum <"$tmp/input" | cut -d' ' -f1)
src_version=$(dpkg-query -W -f '${Version}' "$src_pkg" 2>/dev/null || echo unknown)

disk=$tmp/disk.ext4
disk_copy "$image" "$disk" || die "cannot copy $image"
rootfs_add_files "$disk" bench "$here/../guest/bench/linux.sh=init" "$tmp/input" \
	$(printf "$build/guest/bench/%s " $progs) || die "cannot add /bench to the disk"

# --- one boot ---------------------------------------------------------------
# quiet: no kernel message can land in the middle of a BENCH line.
cmdline="root=/dev/vda ro console=ttyS0 quiet panic=-1 init=/bench/init"
rootfs_console_open
sock=$tmp/api.sock
logs=$build/bench/cpu-linux
mkdir -p "$logs"
# stamp: each line of stdin after the time it arrived (carriage returns
# dropped).
stamp() {
	local line
	while IFS= read -r line; do
		printf '%s %s\n' "$EPOCHREALTIME" "${line//$'\r'/}"
	done
}
# has REGEX: a console line (after its time stamp) matches.
has() { cut -d' ' -f2- <"$log" | grep -Eq -- "$1"; }

# boot WHO N: one boot of memvisor-jit, qemu or memvisor-interp through all
# of the work; its console in $logs/WHO-N.log, the time it started in
# $logs/WHO-N.t0, memvisor's ctl stats in $logs/WHO-N.stats.json.
boot() {
	local who=$1 n=$2 t0
	log=$logs/$who-$n.log
	: >"$log"
	rm -f "$sock" "$logs/$who-$n.stats.json"
	deadline=$((SECONDS + 900))
	t0=$EPOCHREALTIME
	case $who in
	qemu)
		qemu-system-riscv64 -M virt -m 512M -smp 1 -nographic -no-reboot \
			-bios "$fw" -kernel "$kernel" -append "$cmdline" \
			-drive file="$disk",if=none,format=raw,id=d0,readonly=on \
			-device virtio-blk-device,drive=d0 \
			<&3 > >(stamp >"$log") 2>&1 &
		;;
	memvisor-*)
		"$mv" run --kernel "$kernel" --memory 512M --disk "$disk,ro" \
			--cpu-tier "${who#memvisor-}" --api-sock "$sock" \
			--cmdline "$cmdline" <&3 > >(stamp >"$log") 2>&1 &
		;;
	esac
	pid=$!
	echo "$t0" >"$logs/$who-$n.t0"
	until has '^BENCH-DONE '; do
		if ! kill -0 "$pid" 2>/dev/null || [ $SECONDS -ge $deadline ]; then
			tail -n 20 "$log" >&2
			die "$who (run $n) did not finish its work (log $log)"
		fi
		sleep 0.2
	done
	if [ "$who" != qemu ]; then
		"$mv" ctl --api-sock "$sock" --json stats 1 >"$logs/$who-$n.stats.json" ||
			die "ctl stats of $who failed"
	fi
	type_line done
	while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
	if kill -0 "$pid" 2>/dev/null; then
		kill "$pid"
		wait "$pid" 2>/dev/null
		die "$who (run $n) did not power off"
	fi
	wait "$pid" 2>/dev/null
	pid=
	has '^BENCH-DONE failed=0$' || {
		grep -E 'BENCH|KERNEL' "$log" | tail -n 20 >&2
		die "$who (run $n): some of the work failed (log $log)"
	}
	printf 'cpu-linux bench: run %d %-16s %s\n' "$n" "$who" \
		"$(sed -n 's/^[0-9.]* BENCH \([a-z0-9-]*\) seconds=\([0-9.]*\)$/\1 \2/p' "$log" | tr '\n' ' ')"
}

rm -f "$logs"/*.log "$logs"/*.t0 "$logs"/*.stats.json
for i in $(seq "$runs"); do
	boot memvisor-jit "$i"
	boot qemu "$i"
	[ "$i" -le "$interp_runs" ] && boot memvisor-interp "$i"
done

# --- results ----------------------------------------------------------------
python3 - "$logs" "$runs" "$interp_runs" "$json_out" "$input_md5" "$input_mib" \
	"$src_pkg $src_version" "$(uptime | sed 's/.*load average: //')" <<'PY' || die "the runs disagree (see above)"
import json, math, re, statistics, sys

logs, runs, interp_runs, out, input_md5, input_mib, source, load = sys.argv[1:]
runs, interp_runs = int(runs), int(interp_runs)
whos = {"memvisor-jit": runs, "qemu": runs, "memvisor-interp": interp_runs}

def parse(who, n):
    t0 = float(open(f"{logs}/{who}-{n}.t0").read())
    r = {"seconds": {}, "md5": {}, "kernel": {}}
    for line in open(f"{logs}/{who}-{n}.log", errors="replace"):
        ts, _, text = line.rstrip("\n").partition(" ")
        if text == "BENCH-INIT" and "init" not in r:
            r["init"] = float(ts) - t0
        m = re.match(r"BENCH ([a-z0-9-]+) seconds=([0-9.]+)$", text)
        if m:
            r["seconds"][m[1]] = float(m[2])
        m = re.match(r"BENCH-MD5 (\S+) (\S+)$", text)
        if m:
            r["md5"][m[1]] = m[2]
        m = re.match(r"(KERNEL \S+ .*)$|(BENCH (fp|bitmanip) .*?) seconds=", text)
        if m:
            key = (m[1] or m[2]).split()[1]
            r["kernel"][key] = m[1] or m[2]
    return r

res = {w: [parse(w, n) for n in range(1, k + 1)] for w, k in whos.items()}
ok = True
ref = res["memvisor-jit"][0]
if ref["md5"].get("input") != input_md5:
    print(f"the guest's md5sum of the input is {ref['md5'].get('input')}, the host's {input_md5}", file=sys.stderr)
    ok = False
for w, rs in res.items():
    for n, r in enumerate(rs, 1):
        for what in ("md5", "kernel"):
            if r[what] != ref[what]:
                print(f"{w} run {n}: {what} {r[what]} differs from memvisor-jit run 1's {ref[what]}", file=sys.stderr)
                ok = False
if not ok:
    sys.exit(1)

med = statistics.median
names = list(ref["seconds"])
def times(w, name):
    return [r["seconds"][name] for r in res[w]]
work = {}
for name in names:
    m, q = med(times("memvisor-jit", name)), med(times("qemu", name))
    e = {"memvisor_s": times("memvisor-jit", name), "qemu_s": times("qemu", name),
         "speed_vs_qemu": round(q / m, 3),
         "speed_vs_qemu_best": round(min(times("qemu", name)) / min(times("memvisor-jit", name)), 3)}
    if interp_runs:
        i = med(times("memvisor-interp", name))
        e["interp_s"] = times("memvisor-interp", name)
        e["interp_speed_vs_qemu"] = round(q / i, 3)
    work[name] = e
geo = lambda xs: math.exp(sum(math.log(x) for x in xs) / len(xs))
boot = {w: [round(r["init"], 3) for r in rs] for w, rs in res.items()}
stats = []
for n in range(1, runs + 1):
    s = json.load(open(f"{logs}/memvisor-jit-{n}.stats.json"))
    stats.append(s["cpu"])
kib = med([s["guest_bytes"] / 1024 for s in stats])
tus = med([s["translate_us"] for s in stats])
result = {
    "kernel": "Image-stock (Linux 6.12, make guest-stock), busybox root file system (make rootfs), 512 MiB, 1 VCPU",
    "input": {"source": f"{source}: the first {input_mib} MiB of the tarball, decompressed", "md5": input_md5},
    "runs": runs,
    "interp_runs": interp_runs,
    "host_load_average_at_end": load,
    "boot_to_init_s": {
        "memvisor": boot["memvisor-jit"], "qemu": boot["qemu"], "interp": boot["memvisor-interp"],
        "ratio_memvisor_over_qemu": round(med(boot["memvisor-jit"]) / med(boot["qemu"]), 3),
        "ratio_best": round(min(boot["memvisor-jit"]) / min(boot["qemu"]), 3),
    },
    "work": work,
    "geomean_speed_vs_qemu": round(geo([w["speed_vs_qemu"] for w in work.values()]), 3),
    "min_speed_vs_qemu": min(w["speed_vs_qemu"] for w in work.values()),
    "geomean_speed_vs_qemu_best": round(geo([w["speed_vs_qemu_best"] for w in work.values()]), 3),
}
if interp_runs:
    result["boot_to_init_s"]["ratio_interp_over_qemu"] = round(med(boot["memvisor-interp"]) / med(boot["qemu"]), 3)
    result["interp_geomean_speed_vs_qemu"] = round(geo([w["interp_speed_vs_qemu"] for w in work.values()]), 3)
result["jit"] = {
    "blocks_translated": med([s["blocks_translated"] for s in stats]),
    "guest_kib_translated": round(kib, 1),
    "translate_us": tus,
    "us_per_guest_kib": round(tus / kib, 2),
    "code_cache_bytes": med([s["code_bytes"] for s in stats]),
    "code_bytes_per_guest_byte": round(med([s["code_bytes"] / s["guest_bytes"] for s in stats]), 2),
    "cache_flushes": med([s["cache_flushes"] for s in stats]),
}
json.dump(result, open(out, "w"), indent=2)

print(f"\n{'median of %d' % runs:<22} {'memvisor':>9} {'qemu':>9} {'speed':>7} {'best':>7} {'interp':>9} {'speed':>7}")
for name, w in work.items():
    m, q = med(w["memvisor_s"]), med(w["qemu_s"])
    i = f"{med(w['interp_s']):8.3f}s {w['interp_speed_vs_qemu']:6.2f}x" if interp_runs else ""
    print(f"{name:<22} {m:8.3f}s {q:8.3f}s {w['speed_vs_qemu']:6.2f}x {w['speed_vs_qemu_best']:6.2f}x {i}")
print(f"{'geometric mean':<22} {'':>9} {'':>9} {result['geomean_speed_vs_qemu']:6.2f}x "
      f"{result['geomean_speed_vs_qemu_best']:6.2f}x "
      f"{'':>9} {result.get('interp_geomean_speed_vs_qemu', 0):6.2f}x")
b = result["boot_to_init_s"]
print(f"{'boot to init':<22} {med(b['memvisor']):8.3f}s {med(b['qemu']):8.3f}s "
      f"{b['ratio_memvisor_over_qemu']:6.2f} of QEMU's time")
j = result["jit"]
print(f"JIT: {j['guest_kib_translated']} KiB of guest code translated in {j['translate_us']} us "
      f"({j['us_per_guest_kib']} us/KiB), code cache {j['code_cache_bytes']} bytes")
PY
