#!/bin/bash
# tests/integration/stress.sh BUILD — a Linux guest stress run under both
# CPU tiers: the busybox system on the stock kernel with
# guest/stress/stress.sh as init (busybox sort, uniq, tr, gzip, bzip2, sed,
# awk, md5sum, a shell loop and 100 forks, and the glibc programs of
# guest/bench/: kernels, four threads among them, fp and bitmanip; 17
# jobs at once), on 1, 2 and 4 VCPUs, under --cpu-tier interp and jit:
#  - every one of the six runs prints the same digest of all its outputs
#    (and of each job's exit status), and says it had the VCPUs asked for;
#  - each job exited 0;
#  - outputs the host can make itself are what the host makes: the
#    generated text (the host's awk), its sort (LC_ALL=C sort), and the
#    kernels' check values (guest/bench/kernels.c built for the host);
#  - the comparison catches a wrong digest (one changed in a copy of the
#    reference must be reported as different).
# STRESS_ONLY="interp-1 jit-4 ..." runs only those (to look at one).
# Exits 77 (skip) without the stock kernel, the image or the glibc programs.
set -u
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.bash"
. "$here/rootfs.bash"
limit=${STRESS_TIMEOUT:-240}
progs="kernels fp bitmanip"
rootfs_require stress
for p in $progs; do
	[ -r "$build/guest/bench/$p" ] || {
		echo "   skip: $build/guest/bench/$p is missing (make guest-glibc builds it; Debian's libc6-dev-riscv64-cross)"
		exit 77
	}
done
rootfs_add_files "$disk" stress "$here/../../guest/stress/stress.sh=init" \
	"$here/../../guest/stress/words.awk" \
	$(printf "$build/guest/bench/%s " $progs) || fail "cannot add /stress to $disk"
rootfs_console_open
cmdline="root=/dev/vda ro console=ttyS0 quiet panic=-1 init=/stress/init"

# run TIER CPUS: one boot; its console in $logs/TIER-CPUS.log, its
# STRESS-SUM lines in $tmp/TIER-CPUS.sums, its digest in $tmp/TIER-CPUS.
run() {
	local t0=$SECONDS
	log=$logs/$1-$2.log
	: >"$log"
	"$mv" run --kernel "$kernel" --memory 512M --cpus "$2" --cpu-tier "$1" \
		--disk "$disk,ro" --cmdline "$cmdline" <&3 >"$log" 2>&1 &
	pid=$!
	deadline=$((SECONDS + limit))
	if ! wait_console '^STRESS-DONE$'; then
		last_lines
		bad "$1 on $2 VCPU(s): no STRESS-DONE within $limit s (log $log)"
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		pid=
		return
	fi
	while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	pid=
	console | grep -q "^STRESS-INIT cpus=$2 " ||
		bad "$1 on $2 VCPU(s): the guest says $(console | grep -m1 '^STRESS-INIT') (log $log)"
	console | grep '^STRESS-SUM ' >"$tmp/$1-$2.sums"
	console | sed -n 's/^STRESS-DIGEST \([0-9a-f]\{32\}\)$/\1/p' >"$tmp/$1-$2"
	echo "   ok   $1 on $2 VCPU(s): digest $(cat "$tmp/$1-$2") ($((SECONDS - t0)) s, init after $(console | sed -n 's/^STRESS-INIT .*uptime=\([0-9.]*\).*/\1/p') s; $(wc -l <"$tmp/$1-$2.sums") outputs)"
}

# agree A B: 0 when the digests A and B are the same 32 hex digits.
agree() { [[ $1 =~ ^[0-9a-f]{32}$ ]] && [ "$1" = "$2" ]; }

for tier in interp jit; do
	for cpus in 1 2 4; do
		case " ${STRESS_ONLY:-$tier-$cpus} " in
		*" $tier-$cpus "*) run $tier $cpus ;;
		esac
	done
done

# Every run against the first (the interpreter on one VCPU, unless
# STRESS_ONLY left it out).
first=$(cd "$tmp" && for r in interp-1 interp-2 interp-4 jit-1 jit-2 jit-4; do
	[ -e "$r" ] && echo "$r" && break
done)
ref=$(cat "$tmp/$first" 2>/dev/null)
for tier in interp jit; do
	for cpus in 1 2 4; do
		[ -e "$tmp/$tier-$cpus" ] || continue
		if ! agree "$(cat "$tmp/$tier-$cpus")" "$ref"; then
			bad "$tier on $cpus VCPU(s): digest $(cat "$tmp/$tier-$cpus"), $first's $ref; the outputs that differ:"
			diff "$tmp/$first.sums" "$tmp/$tier-$cpus.sums" | sed 's/^/      | /'
		fi
	done
done
[ $failed -eq 0 ] && echo "   ok   all runs agree (digest $ref)"

# The digest covers the sums it follows (a line left out or changed would
# not give it).
sums_md5=$(md5sum <"$tmp/$first.sums" | cut -d' ' -f1)
agree "$sums_md5" "$ref" || bad "the digest $ref is not the md5sum of the lines before it ($sums_md5)"

# A wrong digest must not agree: the reference with its last digit changed.
[ -n "$ref" ] || fail "no digest from any run: nothing to compare (logs in $logs)"
wrong=${ref%?}$(tr 0-9a-f 1-9a-f0 <<<"${ref: -1}")
if agree "$wrong" "$ref"; then
	bad "the comparison takes the wrong digest $wrong for $ref"
else
	echo "   ok   a wrong digest ($wrong) is told from the reference"
fi

# Every job exited 0: the md5sum of a file holding "0".
zero=$(echo 0 | md5sum | cut -d' ' -f1)
bad_status=$(grep '\.status$' "$tmp/$first.sums" 2>/dev/null | grep -v " $zero ")
[ -z "$bad_status" ] || bad "jobs that did not exit 0: $(awk '{ print $3 }' <<<"$bad_status" | tr '\n' ' ')(log $logs/$first.log)"
jobs=$(grep -c '\.status$' "$tmp/$first.sums" 2>/dev/null)
[ "$jobs" = 17 ] || bad "$jobs jobs reported, not 17"

# What the host can make itself. sum NAME: the guest's md5sum of out/NAME.
sum() { sed -n "s/^STRESS-SUM \([0-9a-f]*\)  $1\$/\1/p" "$tmp/$first.sums" 2>/dev/null; }
awk -f "$here/../../guest/stress/words.awk" >"$tmp/words"
w=$(md5sum <"$tmp/words" | cut -d' ' -f1)
[ "$(sum words)" = "$w" ] && echo "   ok   the generated text is the host's ($w)" ||
	bad "the generated text's md5sum is $(sum words), the host's $w"
s=$(LC_ALL=C sort "$tmp/words" | md5sum | cut -d' ' -f1)
[ "$(sum sorted)" = "$s" ] && echo "   ok   its sort is the host's ($s)" ||
	bad "the sorted text's md5sum is $(sum sorted), the host's $s"
if ${CC:-cc} -O2 -o "$tmp/kernels" "$here/../../guest/bench/kernels.c" -lpthread 2>"$tmp/cc.log"; then
	before=$failed
	for k in int:4 mem:4 branch:4 sort:4 threads:20; do
		want=$("$tmp/kernels" "${k%:*}" "${k#*:}" | md5sum | cut -d' ' -f1)
		[ "$(sum "k-${k%:*}")" = "$want" ] ||
			bad "kernels ${k%:*}: the guest's output is not the host's ($("$tmp/kernels" "${k%:*}" "${k#*:}"))"
	done
	[ $failed -eq $before ] && echo "   ok   the kernels' check values are the host's"
else
	echo "   note: the host's compiler failed on kernels.c; its checks left out:"
	sed 's/^/      | /' "$tmp/cc.log" | head -n 5
fi

[ $failed -eq 0 ] || fail "$failed check(s) failed (logs in $logs)"
echo "   pass"
