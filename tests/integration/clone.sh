#!/bin/bash
# Lazy cloning of a booted Linux guest, driven through the control API:
#  - boot the clone guest (guest/init/clone.c) once; it fills 16 MiB of its
#    user memory with pattern 0 and says READY;
#  - clone it 32 times; clone k is told "fill k" and "check": it must find
#    the inherited pattern 0 intact, write and verify its own pattern k;
#  - the parent's pattern must still be 0 afterwards;
#  - a clone of a clone inherits its parent clone's pattern;
#  - destroying the original while clones run leaves the clones working;
#  - every VM powers off and memvisor exits.
# Once with a 1-VCPU guest and 32 clones, once with a 2-VCPU guest (where
# copy-on-write breaks on one VCPU must be seen by the other) and 8 clones.
# Under the JIT, the clones must have run their parent's translations.
set -u
build=${1:-build}
mv="$build/memvisor"
image="$build/guest/Image-6.1"
initrd="$build/guest/clone.cpio"
for f in "$mv" "$image" "$initrd"; do
	[ -e "$f" ] || { echo "   skip: $f is missing (make guest builds it)"; exit 77; }
done
. "$(dirname "$0")/lib.bash"
sock="$tmp/api.sock"
ctl() { "$mv" ctl --api-sock "$sock" "$@"; }
parent_says() { tr -d '\r' <"$tmp/parent.out" | grep -c -- "$1" | grep -qx "${2:-[1-9][0-9]*}"; }
clone_says() { ctl console "$1" 2>/dev/null | tr -d '\r' | grep -q -- "$2"; }

run_case() { # CPUS CLONES
	CPUS=$1 N=$2
	rm -f "$sock"
	: >"$tmp/parent.out" # empty, and there before the first look at it
	echo "   -- a $CPUS-VCPU guest, $N clones"
	"$mv" run --kernel "$image" --initrd "$initrd" --memory 256M \
		--cpus "$CPUS" --cmdline "console=hvc0 clone_mib=16" --api-sock "$sock" \
		</dev/null >"$tmp/parent.out" 2>&1 &
	pid=$!
	wait_for 120 parent_says "MEMVISOR-CLONE-READY" || fail "the guest never said READY"
	echo "   ok   booted; 16 MiB of pattern 0 written"

	out=$(ctl clone 1 --count "$N") || fail "clone: $out"
	ids=$(sed -n 's/.*new ids: \([0-9]*\)-\([0-9]*\).*/\1 \2/p' <<<"$out")
	[ -n "$ids" ] || fail "no ids in: $out"
	set -- $ids
	first=$1 last=$2
	[ $((last - first + 1)) -eq "$N" ] || fail "asked for $N clones, got ids $first-$last"
	echo "   ok   $out"

	for k in $(seq "$first" "$last"); do
		ctl console "$k" --input "fill $k\ncheck\n" >/dev/null || fail "console $k"
	done
	for k in $(seq "$first" "$last"); do
		wait_for 300 clone_says "$k" "MEMVISOR-CHECK-OK seed=$k" ||
			fail "clone $k: $(ctl console "$k" | tr -d '\r' | grep MEMVISOR | tail -3)"
		if ctl console "$k" | grep -q PATTERN-FAIL; then
			fail "clone $k: $(ctl console "$k" | grep PATTERN-FAIL)"
		fi
	done
	echo "   ok   $N clones each found pattern 0, wrote and verified their own 16 MiB"

	ctl console 1 --input "check\n" >/dev/null 2>&1
	wait_for 60 parent_says "MEMVISOR-CHECK-OK seed=0" || fail "parent: $(tail -3 "$tmp/parent.out")"
	! grep -q PATTERN-FAIL "$tmp/parent.out" || fail "parent: $(grep PATTERN-FAIL "$tmp/parent.out")"
	echo "   ok   the parent still reads pattern 0"

	out=$(ctl clone "$first") || fail "clone of a clone: $out"
	grand=$(sed -n 's/.*new id: \([0-9]*\).*/\1/p' <<<"$out")
	ctl console "$grand" --input "check\nfill 999\ncheck\n" >/dev/null
	wait_for 120 clone_says "$grand" "MEMVISOR-CHECK-OK seed=999" || fail "grandchild $grand: $(ctl console "$grand" | tail -3)"
	clone_says "$grand" "MEMVISOR-CHECK-OK seed=$first" || fail "grandchild did not inherit pattern $first"
	echo "   ok   clone $grand of clone $first inherited pattern $first, then wrote its own"

	ctl destroy 1 >/dev/null || fail "destroy 1"
	ctl console "$last" --input "check\n" >/dev/null
	wait_for 60 bash -c "[ \$('$mv' ctl --api-sock '$sock' console $last | tr -d '\r' | grep -c 'CHECK-OK seed=$last') -ge 2 ]" ||
		fail "clone $last after its parent was destroyed"
	echo "   ok   the parent destroyed, clone $last still works"

	stats=$(ctl --json stats "$first")
	grep -q '"replications": *[1-9]' <<<"$stats" || fail "no table replications in: $stats"
	grep -q '"cow_breaks": *[1-9]' <<<"$stats" || fail "no copy-on-write breaks in: $stats"
	# Under the JIT (the default on x86-64) the clones ran the code their
	# parent translated (cpu/jit/share.h), and their memory checked above.
	if grep -q '"tier": *"jit"' <<<"$stats"; then
		grep -q '"shared_hits": *[1-9]' <<<"$stats" ||
			fail "clone $first used no translation of its parent's: $stats"
		echo "   ok   under the JIT, clone $first ran its parent's translations" \
			"($(grep -o '"shared_hits": *[0-9]*' <<<"$stats"))"
	fi

	for k in $(seq "$first" "$last") "$grand"; do
		ctl console "$k" --input "poweroff\n" >/dev/null
	done
	wait_for 60 bash -c "! kill -0 $pid 2>/dev/null" || fail "memvisor did not exit after every VM powered off"
	pid=
	echo "   ok   every VM powered off; memvisor exited"
}

run_case 1 "${CLONE_TEST_COUNT:-32}"
run_case 2 8
