#!/bin/bash
# memvisor ctl against a real `memvisor run --api-sock`: every request, its
# human output, --json, and the exit statuses (0 ok, 1 error reply, 2 usage
# or no socket). The guest is a tiny bare-metal echo program written here
# as bytes (the same one tests/unit/test_api.c uses): it prints 'R', echoes
# its console input, and shuts down on 'q'.
#
# Usage: tests/integration/ctl.sh BUILD-DIR   (tests/integration/run)
# Exit: 0 all passed, 1 something failed, 77 skipped (says why).
set -u

build=${1:-build}
case $build in
/*) ;;
*) build=$PWD/$build ;;
esac
memvisor=$build/memvisor

if [ ! -x "$memvisor" ]; then
	echo "FAIL: $memvisor is not built (make all)"
	exit 1
fi
if ! "$memvisor" run --help | grep -q -- --api-sock; then
	echo "skip: memvisor run has no --api-sock yet"
	exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/memvisor-ctl.XXXXXX") || exit 1
sock=$tmp/api.sock
run_pid=
cleanup() {
	[ -n "$run_pid" ] && kill "$run_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
pass=0
fail=0

ok() {
	pass=$((pass + 1))
	echo "   ok    $1"
}

bad() {
	fail=$((fail + 1))
	echo "   FAIL  $1: $2"
}

# ELF64 header, one PT_LOAD at 0x80000000, then the program (RV64I).
{
	printf '\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00'
	printf '\x02\x00\xf3\x00\x01\x00\x00\x00'          # ET_EXEC, EM_RISCV
	printf '\x00\x00\x00\x80\x00\x00\x00\x00'          # e_entry
	printf '\x40\x00\x00\x00\x00\x00\x00\x00'          # e_phoff
	printf '\x00\x00\x00\x00\x00\x00\x00\x00'          # e_shoff
	printf '\x00\x00\x00\x00\x40\x00\x38\x00'          # flags, sizes
	printf '\x01\x00\x00\x00\x00\x00\x00\x00'          # 1 phdr, no shdrs
	printf '\x01\x00\x00\x00\x05\x00\x00\x00'          # PT_LOAD, R+X
	printf '\x78\x00\x00\x00\x00\x00\x00\x00'          # p_offset 120
	printf '\x00\x00\x00\x80\x00\x00\x00\x00'          # p_vaddr
	printf '\x00\x00\x00\x80\x00\x00\x00\x00'          # p_paddr
	printf '\x38\x00\x00\x00\x00\x00\x00\x00'          # p_filesz 56
	printf '\x38\x00\x00\x00\x00\x00\x00\x00'          # p_memsz
	printf '\x04\x00\x00\x00\x00\x00\x00\x00'          # p_align
	printf '\x93\x08\x10\x00\x13\x05\x20\x05\x73\x00\x00\x00' # putchar 'R'
	printf '\x93\x08\x20\x00\x73\x00\x00\x00\xe3\x4c\x05\xfe' # getchar
	printf '\x93\x02\x10\x07\x63\x08\x55\x00'          # 'q'?
	printf '\x93\x08\x10\x00\x73\x00\x00\x00\x6f\xf0\x5f\xfe' # echo
	printf '\x93\x08\x80\x00\x73\x00\x00\x00\x6f\x00\x00\x00' # shutdown
} >"$tmp/echo.elf"

"$memvisor" run --kernel "$tmp/echo.elf" --memory 8M --host-memory 64M \
	--pcpus 1 --api-sock "$sock" </dev/null >"$tmp/run.out" 2>&1 &
run_pid=$!
for _ in $(seq 100); do
	[ -S "$sock" ] && break
	sleep 0.05
done
if [ ! -S "$sock" ]; then
	echo "FAIL: memvisor run made no socket at $sock"
	sed 's/^/         | /' "$tmp/run.out" | head -n 5
	exit 1
fi

# ctl WANT-STATUS LABEL [ctl arguments...]: run memvisor ctl; its stdout
# lands in $out, its stderr in $err.
ctl() {
	want=$1 label=$2
	shift 2
	timeout -k 5 30 "$memvisor" ctl "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
	if [ "$rc" -ne "$want" ]; then
		bad "$label" "exit status $rc, expected $want ($err)"
		return 1
	fi
	return 0
}

# check LABEL CONDITION-STATUS DETAIL
check() {
	if [ "$2" -eq 0 ]; then ok "$1"; else bad "$1" "$3"; fi
}

S=(--api-sock "$sock")

echo "-- requests"
if ctl 0 list "${S[@]}" list; then
	printf '%s\n' "$out" | grep -qE '^1 +- +1 +8M +running$'
	check "list" $? "no row for VM 1: $out"
fi
if ctl 0 "list --json" "${S[@]}" --json list; then
	case $out in
	'{"ok":true,"vms":[{"id":1,'*) ok "list --json" ;;
	*) bad "list --json" "raw reply is $out" ;;
	esac
fi
if ctl 0 pause "${S[@]}" pause 1; then
	[ "$out" = "VM 1 paused" ]
	check "pause" $? "printed $out"
fi
if ctl 1 "pause again" "${S[@]}" pause 1; then
	[ "$err" = "memvisor: pause: VM 1 is already paused" ]
	check "pause again is an error reply" $? "stderr $err"
fi
ctl 0 resume "${S[@]}" resume 1 && ok "resume"
if ctl 0 clone "${S[@]}" clone 1 --count 2; then
	case $out in
	"cloned VM 1 2 times in "*" us; new ids: 2-3") ok "clone" ;;
	*) bad "clone" "printed $out" ;;
	esac
fi
ctl 0 "console input" "${S[@]}" console 2 --input 'ab\n' &&
	ok "console input"
got=
for _ in $(seq 100); do
	ctl 0 "console output" "${S[@]}" console 2 || break
	got=$out
	[ "$got" = "ab" ] && break
	sleep 0.05
done
check "a clone echoes its own console input" "$([ "$got" = ab ]; echo $?)" \
	"output is '$got'"
if ctl 0 "console of run's VM" "${S[@]}" console 1; then
	case $err in
	*"not captured"*) ok "console of run's VM says it is not captured" ;;
	*) bad "console of run's VM" "stderr $err" ;;
	esac
fi
if ctl 0 stats "${S[@]}" stats 2; then
	printf '%s\n' "$out" | grep -qE '^parent +1$' &&
		printf '%s\n' "$out" | grep -qE '^ram_size +8M$' &&
		printf '%s\n' "$out" | grep -qE '^host_rss +[0-9.]+[KMG]$'
	check "stats" $? "table is $out"
fi
ctl 0 destroy "${S[@]}" destroy 3 && ok "destroy"
if ctl 1 "stats of a destroyed VM" "${S[@]}" stats 3; then
	[ "$err" = "memvisor: stats: no VM with id 3" ]
	check "stats of a destroyed VM" $? "stderr $err"
fi
if ctl 1 "clone --json error" "${S[@]}" --json clone 9; then
	case $out in
	'{"ok":false,"error":"no VM with id 9"'*) ok "clone --json error" ;;
	*) bad "clone --json error" "raw reply is $out" ;;
	esac
fi

echo "-- usage"
ctl 2 "no --api-sock" list && ok "no --api-sock"
if ctl 2 "no socket" --api-sock "$tmp/none.sock" list; then
	case $err in
	"memvisor: cannot connect to $tmp/none.sock: No such file or directory"*)
		ok "no socket" ;;
	*) bad "no socket" "stderr $err" ;;
	esac
fi
ctl 2 "no request" "${S[@]}" && ok "no request"
ctl 2 "unknown request" "${S[@]}" frob && ok "unknown request"
ctl 2 "no VM" "${S[@]}" pause && ok "no VM"
ctl 2 "bad VM" "${S[@]}" pause x && ok "bad VM"
ctl 2 "option of another request" "${S[@]}" list --count 2 &&
	ok "option of another request"
ctl 2 "bad --count" "${S[@]}" clone 1 --count 0 && ok "bad --count"
ctl 2 "bad escape" "${S[@]}" console 1 --input '\q' && ok "bad escape"
if ctl 0 "--help" --help; then
	printf '%s\n' "$out" | grep -q -- '--eager-levels L' &&
		printf '%s\n' "$out" | grep -q '^  console VM \[--input TEXT\]'
	check "--help lists options and requests" $? "help is $out"
fi

echo "ctl: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
