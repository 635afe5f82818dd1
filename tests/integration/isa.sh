#!/bin/sh
# The riscv-tests ISA suites (tests/isa/isa.mk): boot each test ELF under
# memvisor and print one line per test,
#   ok rv64ui-add
#   FAIL rv64uf-fadd: testnum 5
#   n/a rv64si-dirty: <why, from tests/isa/not_applicable>
# then a summary per suite. A test passes when, under each CPU tier (the
# interpreter, and the JIT translating every block on its first run),
# memvisor exits 0 and the guest printed "rvtest: PASS"
# (tests/isa/env/report.c); a failure names the tier.
#
# Usage: tests/integration/isa.sh BUILD-DIR   (tests/integration/run)
# Environment: RISCV_TESTS (default ../shared/riscv-tests beside the tree),
# ISA_SUITES (default: all), ISA_TIMEOUT (seconds per test, default 30),
# CPU_TIERS (default "interp jit" on x86-64 hosts, "interp" elsewhere).
# Exit: 0 all passed, 1 a test failed, 77 skipped (says why).
set -u

build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
case $build in
/*) ;;
*) build=$PWD/$build ;;
esac
memvisor=$build/memvisor
elfs=$build/isa
cross=${ISA_CC:-riscv64-linux-gnu-gcc}
tests_dir=${RISCV_TESTS:-$root/../shared/riscv-tests}
suites=${ISA_SUITES:-rv64ui rv64um rv64ua rv64uc rv64uf rv64ud rv64uzba \
rv64uzbb rv64uzbc rv64uzbs rv64uzicond rv64si}
na_list=$root/tests/isa/not_applicable
limit=${ISA_TIMEOUT:-30}
. "$here/cpu_tiers"

if [ ! -d "$tests_dir/isa" ]; then
	echo "skip: no riscv-tests at $tests_dir (no isa/ folder there); set" \
		"RISCV_TESTS=/path/to/riscv-tests (make check RISCV_TESTS=...)"
	exit 77
fi
if ! command -v "$cross" >/dev/null 2>&1; then
	echo "skip: $cross is not installed, so the tests cannot be built" \
		"(Debian: apt-get install gcc-riscv64-linux-gnu)"
	exit 77
fi
if ! command -v timeout >/dev/null 2>&1; then
	echo "skip: timeout(1) is not installed (coreutils)"
	exit 77
fi
if [ ! -x "$memvisor" ]; then
	echo "FAIL: $memvisor is not built (make all)"
	exit 1
fi

# `make integration` builds the tests first; by hand, build them here (a
# test that still does not build fails below as "not built").
if ! make -s -C "$root" BUILD="$build" RISCV_TESTS="$tests_dir" \
	ISA_SUITES="$suites" isa >"$build/isa-build.log" 2>&1; then
	echo "   (make isa failed; the tests without an ELF fail below;" \
		"see $build/isa-build.log)"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/memvisor-isa.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

# na_reason NAME: the reason NAME does not apply, or nothing.
na_reason() {
	sed -n "s/^$1[[:space:]][[:space:]]*//p" "$na_list"
}

# run_test NAME: sets result to "ok", "FAIL: why" or "n/a: why".
run_test() {
	why=$(na_reason "$1")
	if [ -n "$why" ]; then
		result="n/a: $why"
		return
	fi
	if [ ! -e "$elfs/$1.elf" ]; then
		result="FAIL: not built (make isa)"
		return
	fi
	for tier in $tiers; do
		run_tier "$1" "$tier"
		if [ "$result" != ok ]; then
			result="$result (--cpu-tier $tier)"
			return
		fi
	done
}

# run_tier NAME TIER: run_test under one tier.
run_tier() {
	# shellcheck disable=SC2046 # the options are words
	timeout -k 5 "$limit" "$memvisor" run --kernel "$elfs/$1.elf" \
		--memory 64M $(tier_opts "$2") </dev/null >"$tmp/raw" 2>&1
	rc=$?
	tr -d '\000' <"$tmp/raw" >"$tmp/out"
	if [ "$rc" -eq 0 ] && grep -qx 'rvtest: PASS' "$tmp/out"; then
		result=ok
		return
	fi
	line=$(grep -m 1 '^rvtest: FAIL ' "$tmp/out" | sed 's/^rvtest: FAIL //')
	if [ -n "$line" ]; then
		result="FAIL: $line"
	elif [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		result="FAIL: no shutdown within $limit s"
	elif [ "$rc" -eq 0 ]; then
		result="FAIL: exit status 0 without 'rvtest: PASS'"
	else
		result="FAIL: exit status $rc"
	fi
	# What memvisor itself said, when the guest did not say why.
	if [ -z "$line" ]; then
		tail -n 3 "$tmp/out" | sed 's/^/         | /' >"$tmp/tail"
	fi
}

total_pass=0 total_fail=0 total_na=0
summary=
for suite in $suites; do
	pass=0 fail=0 na=0
	if [ ! -d "$tests_dir/isa/$suite" ]; then
		echo "n/a $suite: no such suite in $tests_dir/isa"
		summary="$summary$suite: not present
"
		continue
	fi
	for src in "$tests_dir/isa/$suite"/*.S; do
		[ -e "$src" ] || continue
		name=$suite-$(basename "$src" .S)
		: >"$tmp/tail"
		run_test "$name"
		case $result in
		ok)
			pass=$((pass + 1))
			echo "ok $name"
			;;
		n/a:*)
			na=$((na + 1))
			echo "n/a $name: ${result#n/a: }"
			;;
		*)
			fail=$((fail + 1))
			echo "FAIL $name: ${result#FAIL: }"
			cat "$tmp/tail"
			;;
		esac
	done
	summary="$summary$suite: $pass passed, $fail failed, $na n/a
"
	total_pass=$((total_pass + pass))
	total_fail=$((total_fail + fail))
	total_na=$((total_na + na))
done

echo "-- summary"
printf '%s' "$summary" | sed 's/^/   /'
echo "isa: $total_pass passed, $total_fail failed, $total_na n/a"
[ "$total_fail" -eq 0 ]
