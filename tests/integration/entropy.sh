#!/bin/bash
# Randomness for clones: the busybox system (make rootfs) on the stock
# kernel with --rng, root=/dev/vda:
#  - Linux binds virtio-rng (hw_random's rng_current is virtio_rng.0),
#    /dev/hwrng hands out bytes and memvisor counts them (stats rng);
#  - Linux binds the VM generation ID (microsoft,vmgenid: a "vmgenid"
#    interrupt in /proc/interrupts) and the parent never sees it fire;
#  - two clones of the running system: each gets a generation ID of its
#    own (stats vmgenid, vmgenid_changes 1), its kernel takes the
#    interrupt once (add_vmfork_randomness() reseeds its pool), and the
#    parent and both clones then read different bytes from /dev/urandom;
#  - each clone's /dev/hwrng works on its own device.
#
#   tests/integration/entropy.sh [BUILD]
set -u
build=${1:-build}
here=$(dirname "$0")
. "$here/lib.bash"
. "$here/rootfs.bash"
limit=${ENTROPY_TEST_TIMEOUT:-300}
rootfs_require entropy
rootfs_boot 256M "$limit" --rng

# What a VM's console says to LINE: the lines after it that start with TAG.
# ask ID TAG LINE: on the parent (ID 1: its console FIFO) or a clone.
ask() {
	local id=$1 tag=$2 line=$3 got
	for try in $(seq 100); do
		if [ "$id" = 1 ]; then
			got=$(console | grep -E "^$tag " | tail -n 1)
		else
			got=$(ctl console "$id" | tr -d '\r' | grep -E "^$tag " | tail -n 1)
		fi
		[ -n "$got" ] && { echo "${got#"$tag "}"; return 0; }
		if [ "$try" = 1 ]; then
			if [ "$id" = 1 ]; then type_line "$line"; else
				ctl console "$id" --input "$line\r" >/dev/null
			fi
		fi
		sleep 0.3
	done
	return 1
}
# The reads each VM answers: rng_current, the vmgenid interrupt count,
# 16 bytes of /dev/urandom, 16 of /dev/hwrng (tags carry the round, so a
# later question never takes an earlier answer).
probe() { # probe ID ROUND
	local t=E$2
	ask "$1" "$t" "echo $t \$(cat /sys/class/misc/hw_random/rng_current) \$(awk '/vmgenid/ { print \$2 }' /proc/interrupts) \$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n') \$(head -c 16 /dev/hwrng | od -An -tx1 | tr -d ' \n')"
}

p=$(probe 1 0) || fail "the parent does not answer its probe"
read -r cur irq rnd hw <<<"$p"
if [ "$cur" = virtio_rng.0 ] && [ ${#hw} -eq 32 ]; then
	echo "   ok   Linux reads /dev/hwrng from virtio-rng ($cur): $hw"
else
	bad "hw_random: rng_current '$cur', /dev/hwrng '$hw'"
fi
if [ "$irq" = 0 ]; then
	echo "   ok   Linux bound the VM generation ID (vmgenid interrupt, 0 so far)"
else
	bad "no vmgenid interrupt line ('$irq'): the driver did not bind"
fi
st=$(ctl --json stats 1)
bytes=$(json 'd["rng"]["bytes"]' <<<"$st")
gen1=$(json 'd["vmgenid"]' <<<"$st")
[ "$bytes" -ge 16 ] && echo "   ok   stats: rng served $bytes bytes" ||
	bad "stats rng bytes $bytes"

reply=$(ctl --json clone 1 --count 2) || fail "clone: $reply"
mapfile -t ids < <(json '"\n".join(str(i) for i in d["ids"])' <<<"$reply")
[ ${#ids[@]} -eq 2 ] || fail "clone reply: $reply"

declare -A seen
p=$(probe 1 1) || fail "the parent does not answer after the clones"
read -r cur irq rnd hw <<<"$p"
[ "$irq" = 0 ] || bad "the parent's vmgenid interrupt fired ($irq): it is no clone"
seen[$rnd]=parent
for id in "${ids[@]}"; do
	c=$(probe "$id" 1) || { bad "clone $id does not answer"; continue; }
	read -r ccur cirq crnd chw <<<"$c"
	st=$(ctl --json stats "$id")
	gen=$(json 'd["vmgenid"]' <<<"$st")
	changes=$(json 'd["vmgenid_changes"]' <<<"$st")
	cbytes=$(json 'd["rng"]["bytes"]' <<<"$st")
	if [ "$cirq" = 1 ] && [ "$changes" = 1 ] && [ "$gen" != "$gen1" ]; then
		echo "   ok   clone $id: a new generation ID ($gen), its kernel took the interrupt once"
	else
		bad "clone $id: vmgenid interrupts '$cirq', changes '$changes', id $gen (parent $gen1)"
	fi
	if [ -n "${seen[$crnd]:-}" ]; then
		bad "clone $id reads the same /dev/urandom bytes as ${seen[$crnd]}: $crnd"
	fi
	seen[$crnd]="clone $id"
	[ ${#chw} -eq 32 ] && [ "$cbytes" -ge 16 ] ||
		bad "clone $id: /dev/hwrng '$chw', its rng served $cbytes bytes"
done
[ ${#seen[@]} -eq 3 ] &&
	echo "   ok   the parent and its clones read different bytes from /dev/urandom"

for id in "${ids[@]}"; do ctl destroy "$id" >/dev/null; done
power_off || bad "no power-off within $limit s"
[ $failed -eq 0 ] || fail "$failed check(s) failed (log $log)"
