#!/bin/sh
# Bare-metal guest tests (guest/baremetal/): boot each test ELF under
# memvisor, once per CPU tier (the interpreter, and the JIT translating
# every block on its first run), and check its exit status and its marker
# line ("PASS <name>", or what the test prints before it shuts down on
# purpose); then feed `memvisor run` bad input and check it refuses
# cleanly.
#
# Usage: tests/integration/baremetal.sh BUILD-DIR   (tests/integration/run)
# Environment: CPU_TIERS (default "interp jit" on x86-64 hosts, "interp"
# elsewhere).
# Exit: 0 all passed, 1 something failed, 77 skipped (says why).
set -u

build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
case $build in
/*) ;;
*) build=$PWD/$build ;;
esac
memvisor=$build/memvisor
elfs=$build/baremetal
cross=${BM_CC:-riscv64-linux-gnu-gcc}
guest_timeout=60
. "$here/cpu_tiers"

if ! command -v "$cross" >/dev/null 2>&1; then
	echo "skip: $cross is not installed, so the guests cannot be built" \
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

# `make integration` builds the guests first; by hand, build them here.
for t in alu mem csr trap mmu smp sbi srst_fail srst_reboot dlh bitmanip asid sstc cbo fpu plic_uart virtio_hostile; do
	if [ ! -e "$elfs/$t.elf" ]; then
		if ! make -s -C "$root" BUILD="$build" baremetal; then
			echo "FAIL: cannot build the bare-metal guests"
			exit 1
		fi
		break
	fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/memvisor-baremetal.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
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

# guest NAME STATUS MARKERS [memvisor run options...]
# Boot $elfs/NAME.elf under each tier; it must exit with STATUS and print
# every line of MARKERS (newline-separated, exact lines). Its console input
# is empty, or $guest_input (bytes) written a second after it starts.
guest_input=
guest() {
	g_name=$1 g_want=$2 g_markers=$3
	shift 3
	for tier in $tiers; do
		# shellcheck disable=SC2046 # the options are words
		guest_once "$g_name" "$g_want" "$g_markers" \
			$(tier_opts "$tier") "$@"
	done
}

guest_once() {
	name=$1 want=$2 markers=$3
	shift 3
	label="$name${*:+ $*}"
	{
		if [ -n "$guest_input" ]; then
			sleep 1
			printf '%s' "$guest_input"
		fi
	} | timeout -k 5 "$guest_timeout" "$memvisor" run \
		--kernel "$elfs/$name.elf" "$@" >"$tmp/raw" 2>&1
	rc=$?
	# A guest may write NUL bytes (a DBCN write of zeroed memory).
	tr -d '\000' <"$tmp/raw" >"$tmp/out"

	why=
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		why="no shutdown within $guest_timeout s"
	elif [ "$rc" -ne "$want" ]; then
		why="exit status $rc, expected $want"
	fi
	missing=$(printf '%s\n' "$markers" | while IFS= read -r m; do
		[ -n "$m" ] && ! grep -qxF -- "$m" "$tmp/out" && echo "$m"
	done)
	if [ -z "$why" ] && [ -n "$missing" ]; then
		why="no line '$(printf '%s' "$missing" | head -n 1)' in the output"
	fi
	if [ -z "$why" ]; then
		ok "$label"
		# Known deviations are reported, never counted as passes.
		grep 'XFAIL ' "$tmp/out" | sed 's/^.*XFAIL /         XFAIL /'
		return
	fi
	bad "$label" "$why"
	# The guest's own failure lines say which check; else the tail.
	if grep -q 'FAIL ' "$tmp/out"; then
		grep 'FAIL ' "$tmp/out" | sed 's/^.*FAIL /         FAIL /'
	else
		tail -n 5 "$tmp/out" | sed 's/^/         | /'
	fi
}

echo "-- guests"
guest alu 0 "PASS alu" --memory 64M
guest bitmanip 0 "PASS bitmanip" --memory 64M
guest mem 0 "PASS mem" --memory 64M
guest csr 0 "PASS csr" --memory 64M
guest trap 0 "PASS trap" --memory 64M
guest mmu 0 "PASS mmu" --memory 64M
# A hostile virtio driver: malformed queues fail cleanly, on every device
# (blk, net, rng, balloon).
truncate -s 1M "$tmp/virtio.img"
guest virtio_hostile 0 "PASS virtio_hostile" --memory 64M --disk "$tmp/virtio.img"
guest virtio_hostile 0 "PASS virtio_hostile" --memory 64M --disk "$tmp/virtio.img" \
	--disk "$tmp/virtio.img,ro" --net user --rng --balloon

# The other VMs keep running: a clone of the hostile guest, made while it
# waits for its role, reads its own disk (a copy-on-write overlay of the
# same image) all through the abuse, and after it.
pair_ctl() {
	timeout -k 5 30 "$memvisor" ctl --api-sock "$tmp/pair.sock" "$@"
}

# The requests VM 2's disk has taken so far ("" when stats fail).
pair_requests() {
	pair_ctl --json stats 2 2>/dev/null |
		sed -n 's/.*"requests":\([0-9]*\).*/\1/p'
}

# pair_wait FILE-OR-COMMAND LINE: up to 20 s for an exact line.
pair_wait() {
	for _ in $(seq 200); do
		eval "$1" 2>/dev/null | tr -d '\000' | grep -qxF -- "$2" && return 0
		sleep 0.1
	done
	return 1
}

hostile_pair() {
	label="virtio_hostile beside a bystander VM"
	rm -f "$tmp/pair.in" && mkfifo "$tmp/pair.in" || {
		bad "$label" "mkfifo failed"
		return
	}
	timeout -k 5 "$guest_timeout" "$memvisor" run \
		--kernel "$elfs/virtio_hostile.elf" --memory 64M \
		--disk "$tmp/virtio.img" --cmdline virtio_hostile=wait \
		--api-sock "$tmp/pair.sock" <"$tmp/pair.in" >"$tmp/pair.out" 2>&1 &
	pid=$!
	exec 3>"$tmp/pair.in"
	why=
	if ! pair_wait "cat $tmp/pair.out" \
		"virtio_hostile: waiting for a role (h: hostile, b: bystander)"; then
		why="VM 1 never asked for its role"
	elif ! pair_ctl clone 1 >/dev/null ||
		! pair_ctl console 2 --input b >/dev/null; then
		why="cannot clone VM 1 or give VM 2 its role"
	elif ! pair_wait "pair_ctl console 2" \
		"virtio_hostile: bystander reading its disk"; then
		why="VM 2 did not start reading"
	fi
	r1=$(pair_requests)
	[ -z "$why" ] && printf h >&3
	if [ -z "$why" ] && ! pair_wait "cat $tmp/pair.out" "PASS virtio_hostile"; then
		why="VM 1 did not pass"
	fi
	r2=$(pair_requests)
	sleep 0.5
	r3=$(pair_requests)
	state=$(pair_ctl --json stats 2 2>/dev/null |
		sed -n 's/.*"state":"\([a-z]*\)".*/\1/p')
	if [ -z "$why" ] && [ "$state" != running ]; then
		why="VM 2 is '$state' after VM 1 passed, not running"
	elif [ -z "$why" ] && { ! [ "${r1:-0}" -lt "${r2:-0}" ] ||
		! [ "${r2:-0}" -lt "${r3:-0}" ]; }; then
		why="VM 2's disk requests did not go on: '$r1', '$r2', '$r3'"
	fi
	if [ -z "$why" ]; then
		pair_ctl console 2 --input q >/dev/null
	else
		kill "$pid" 2>/dev/null
	fi
	exec 3>&-
	wait "$pid"
	rc=$?
	if [ -z "$why" ] && [ "$rc" -ne 0 ]; then
		why="exit status $rc, expected 0"
	fi
	if [ -z "$why" ]; then
		ok "$label (VM 2's disk: $r1, $r2, $r3 requests)"
	else
		bad "$label" "$why"
		tr -d '\000' <"$tmp/pair.out" | grep 'FAIL ' |
			sed 's/^.*FAIL /         FAIL /'
		tail -n 3 "$tmp/pair.out" | sed 's/^/         | /'
	fi
}
hostile_pair
# ASIDs: 16 bits, or none (the guest fences on every satp write then).
guest asid 0 "PASS asid
asid: ASIDLEN 16" --memory 64M
guest asid 0 "PASS asid
asid: ASIDLEN 0" --memory 64M --cpu-disable asid
# Sstc, and the device tree's ISA with and without it.
guest sstc 0 "PASS sstc
sstc: stimecmp present" --memory 64M
guest sstc 0 "PASS sstc
sstc: stimecmp absent" --memory 64M --cpu-disable sstc
guest cbo 0 "PASS cbo" --memory 64M
# The UART and the PLIC from the guest: output, THR-empty and RX interrupts
# as scause 9 with claim 10, complete, threshold; the RX byte comes while
# the hart waits in wfi.
guest_input=R
guest plic_uart 0 "PASS plic_uart
plic_uart: hello through the UART
plic_uart: RX interrupt took 'R'" --memory 64M
guest_input=
guest fpu 0 "PASS fpu" --memory 64M
guest sbi 0 "PASS sbi
sbi: hello through DBCN write
sbi: hello through DBCN write_byte
sbi: legacy putchar prints x: x" --memory 64M
# RAM above 4 GiB: guest-physical addresses need all 64 bits.
guest sbi 0 "PASS sbi" --memory 8G
for cpus in 2 4; do
	for pcpus in 1 2; do
		guest smp 0 "PASS smp" --memory 64M --cpus "$cpus" \
			--pcpus "$pcpus"
	done
done
guest dlh 0 "PASS dlh
dlh: console write through the ring
dlh: 20 pages hinted free read zero, 12 kept their data" --memory 64M
guest dlh 0 "PASS dlh" --memory 64M --cpus 2
guest dlh 0 "PASS dlh" --memory 64M --cpus 2 --pcpus 1
guest dlh 0 "PASS dlh
dlh: 4 harts posted 12000 on rings of their own" --memory 64M --cpus 4 \
	--pcpus 2
guest srst_fail 1 "srst_fail: shutting down with reason system failure" \
	--memory 64M
guest srst_reboot 3 "srst_reboot: asking for a cold reboot" --memory 64M

# refuse LABEL [memvisor arguments...]
# memvisor must exit 2 with exactly one line on stderr ("memvisor: ..."),
# not crash and not leave a core file.
refuse() {
	label=$1
	shift
	(cd "$tmp/cwd" && exec timeout -k 5 10 "$memvisor" "$@") </dev/null \
		>"$tmp/stdout" 2>"$tmp/stderr"
	rc=$?
	lines=$(wc -l <"$tmp/stderr")
	first=$(head -n 1 "$tmp/stderr")
	why=
	if [ "$rc" -ne 2 ]; then
		why="exit status $rc, expected 2"
	elif [ "$lines" -ne 1 ]; then
		why="$lines lines on stderr, expected 1"
	else
		case $first in
		"memvisor: "*) ;;
		*) why="stderr does not start with 'memvisor: '" ;;
		esac
	fi
	if ls "$tmp/cwd" | grep -q core; then
		why="${why:+$why; }left a core file"
		rm -f "$tmp/cwd"/core*
	fi
	if [ -z "$why" ]; then
		ok "refuses $label ($first)"
	else
		bad "refuses $label" "$why"
		sed 's/^/         | /' "$tmp/stderr" | head -n 5
	fi
}

echo "-- bad input"
mkdir -p "$tmp/cwd"
good=$elfs/alu.elf
head -c 200 "$good" >"$tmp/truncated.elf"
head -c 40 "$good" >"$tmp/truncated-header.elf"
: >"$tmp/empty"
host_elf=
for f in /bin/true /usr/bin/true /bin/sh; do
	if [ -f "$f" ] && [ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = \
		'177ELF' ]; then
		host_elf=$f
		break
	fi
done

refuse "a missing kernel file" run --kernel "$tmp/no-such.elf"
refuse "a truncated ELF" run --kernel "$tmp/truncated.elf"
refuse "an ELF cut inside its header" run --kernel "$tmp/truncated-header.elf"
if [ -n "$host_elf" ]; then
	refuse "a host ELF ($host_elf)" run --kernel "$host_elf"
else
	echo "   skip  refuses a host ELF: no ELF found at /bin/true or /bin/sh"
fi
refuse "an empty kernel file" run --kernel "$tmp/empty"
refuse "a directory as kernel" run --kernel "$tmp/cwd"
refuse "--cpus 0" run --kernel "$good" --cpus 0
refuse "--cpus 99" run --kernel "$good" --cpus 99
refuse "--memory 3X" run --kernel "$good" --memory 3X
refuse "--memory 1K" run --kernel "$good" --memory 1K
refuse "--pcpus 0" run --kernel "$good" --pcpus 0
refuse "--console tty" run --kernel "$good" --console tty
refuse "run without --kernel" run
refuse "an unknown option" run --kernel "$good" --frobnicate
refuse "--cpu-tier fast" run --kernel "$good" --cpu-tier fast
refuse "--jit-threshold 0" run --kernel "$good" --jit-threshold 0
refuse "--jit-share maybe" run --kernel "$good" --jit-share maybe
refuse "an unknown command" frobnicate

echo "baremetal: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
