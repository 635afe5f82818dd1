#!/bin/bash
# Deferrable hypercalls (mechanism 2) beyond one guest:
#  1. scheduler fairness and a hostile guest (build/tests/dlh_fair, see
#     tests/integration/dlh_fair.c): eight well-behaved VMs of two VCPUs on
#     two PCPUs all reach their goal next to a VM that floods its rings
#     and feeds memvisor bad input; each VM's DLH time is its own;
#  2. Linux free page reporting through DLH (guest/linux/memvisor_dlh,
#     guest/init/dlh.c, Linux 6.1): the guest writes and checks 200 MiB,
#     frees it, and the kernel reports its free pages through the ring;
#     memvisor's RSS must fall by at least 90% of it (page reporting only
#     reports whole 4 MiB blocks), every frame's reference count must be
#     exact (`check`), and the memory, mapped again, reads zero and then
#     what the guest writes; then 15 s of churn (chunks mapped, written,
#     checked, unmapped) while the kernel goes on reporting, and 16 MiB
#     held from the start, all checked word by word: nothing may read
#     wrong; then the same with one synchronous call per reported chunk
#     (memvisor_dlh.sync=1).
set -u
build=${1:-build}
mv="$build/memvisor"
fair="$build/tests/dlh_fair"
elfs="$build/baremetal"
image="$build/guest/Image-6.1"
initrd="$build/guest/dlh.cpio"
. "$(dirname "$0")/lib.bash"
ran=0

# ---- 1. fairness, hostile guest -------------------------------------------
if [ -e "$elfs/dlh_fair.elf" ] && [ -e "$elfs/dlh_hostile.elf" ] && [ -x "$fair" ]; then
	if ! timeout -k 5 400 "$fair" "$elfs" >"$tmp/fair.out" 2>&1; then
		sed 's/^/   /' "$tmp/fair.out"
		fail "eight well-behaved VMs next to a hostile one (dlh_fair)"
	fi
	sed 's/^/   /' "$tmp/fair.out"
	echo "   ok   8 VMs x 2 VCPUs on 2 PCPUs reached their goal next to a hostile VM"
	ran=1
else
	echo "   skip: $elfs/dlh_fair.elf, dlh_hostile.elf or $fair is missing (make integration builds them)"
fi

# ---- 2. Linux free page reporting -----------------------------------------
rss() { awk '{print $2 * 4096}' "/proc/$pid/statm"; }
says() { tr -d '\r' 2>/dev/null <"$tmp/guest.out" | grep -q -- "$1"; }
line() { tr -d '\r' <"$tmp/guest.out" | grep -- "^$1" | tail -n 1; }
field() { sed -n "s/.* $2=\([0-9]*\).*/\1/p" <<<"$1"; }
mib() { echo $(($1 / 1048576)); }

# report MODE CMDLINE-EXTRA: boot, watch the RSS at each step, check.
report() {
	local mode=$1 extra=$2 sock="$tmp/api.sock" before after drop rep
	rm -f "$sock"
	"$mv" run --kernel "$image" --initrd "$initrd" --memory 384M \
		--cmdline "console=hvc0 earlycon=sbi memvisor_dlh.reporting=1 $extra" \
		--api-sock "$sock" </dev/null >"$tmp/guest.out" 2>&1 &
	pid=$!
	wait_for 120 says "DLH-READY reporting=Y" ||
		fail "$mode: the guest never said DLH-READY reporting=Y: $(tail -n 3 "$tmp/guest.out")"
	# The guest pauses 2 s after each step: the RSS is read in that time.
	wait_for 120 says "DLH-ALLOCATED 200" || fail "$mode: the guest did not write its 200 MiB"
	before=$(rss)
	wait_for 180 says "DLH-REPORTED" || fail "$mode: page reporting never went quiet"
	after=$(rss)
	calls=$(line DLH-CALLS)
	rep=$(line DLH-REPORTED)
	"$mv" ctl --api-sock "$sock" check >"$tmp/check.out" 2>&1 ||
		fail "$mode: reference counts after reporting: $(cat "$tmp/check.out")"
	stats=$("$mv" ctl --api-sock "$sock" --json stats 1) || fail "$mode: stats: $stats"
	wait_for 120 says "DLH-DONE" || fail "$mode: the guest did not finish"
	wait "$pid"
	local rc=$?
	pid=
	says "DLH-REUSE-OK 200" && says "DLH-DONE mismatches=0" ||
		fail "$mode: memory read wrong: $(grep -a 'DLH-' "$tmp/guest.out" | tail -n 4)"
	churn=$(line DLH-CHURN-OK)
	[ -n "$churn" ] || fail "$mode: the churn phase did not finish"
	[ "$(field "$churn" reports)" -ge 1 ] ||
		fail "$mode: the kernel reported nothing while the guest churned: $churn"
	[ $rc -eq 0 ] || fail "$mode: memvisor exited with $rc"
	echo "   $calls"
	echo "   $rep"
	[ "$(field "$calls" errors)" = 0 ] || fail "$mode: hints failed"
	# memvisor's own account of the same calls (ctl stats).
	st() { sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" <<<"$stats"; }
	[ $(($(st dlh_entries) + $(st dlh_sync_calls))) -ge "$(field "$calls" chunks)" ] &&
		[ "$(st dlh_notifies)" -ge "$(field "$calls" notifies)" ] &&
		[ "$(st dlh_sync_calls)" -ge "$(field "$calls" sync_calls)" ] &&
		[ "$(st dlh_hinted_pages)" -ge $((150 * 256)) ] &&
		[ "$(st dlh_malformed_rings)" = 0 ] ||
		fail "$mode: stats disagree with the guest's $calls: $stats"
	if [ "$(field "$calls" notifies)" -gt 0 ]; then
		[ "$(st dlh_us)" -gt 0 ] && [ "$(st dlh_us)" -lt "$(st cpu_us)" ] ||
			fail "$mode: DLH time not charged to the VM: $stats"
	fi
	echo "   ok   $mode: ctl stats: $(st dlh_entries) entries in $(st dlh_drains) drains, $(st dlh_notifies) notifies, $(st dlh_sync_calls) synchronous calls, $(st dlh_hinted_pages) pages hinted, $(st dlh_us) us of $(st cpu_us) us charged to DLH"
	[ "$(field "$calls" fallbacks)" = 0 ] || fail "$mode: the ring fell back to synchronous calls"
	drop=$((before - after))
	echo "   ok   $mode: host RSS $(mib "$before") MiB -> $(mib "$after") MiB after the guest freed 200 MiB"
	[ $drop -ge $((200 * 1048576 * 90 / 100)) ] ||
		fail "$mode: RSS fell by $(mib $drop) MiB, less than 90% of the 200 MiB freed"
	echo "   ok   $mode: RSS fell by $(mib $drop) MiB; reused memory read zero, then what was written; reference counts exact"
	echo "   ok   $mode: no page read wrong through 15 s of churn while the kernel reported free pages ($churn), nor 16 MiB held all along"
}

if [ -e "$image" ] && [ -e "$initrd" ]; then
	report "through the ring" ""
	[ "$(field "$calls" notifies)" -ge 1 ] && [ "$(field "$calls" sync_calls)" = 0 ] ||
		fail "the ring was not used: $calls"
	report "one synchronous call per chunk" "memvisor_dlh.sync=1"
	[ "$(field "$calls" notifies)" = 0 ] && [ "$(field "$calls" sync_calls)" -ge 1 ] ||
		fail "synchronous mode used the ring: $calls"
	ran=1
else
	echo "   skip: $image or $initrd is missing (make guest builds them)"
fi
[ $ran -eq 1 ] || exit 77
