#!/bin/bash
# virtio-balloon under memvisor: the busybox system (make rootfs) on the
# stock kernel with --balloon (512 MiB), root=/dev/vda:
#  - free page reporting: the guest keeps 8 MiB it wrote, fills 200 MiB of
#    tmpfs, frees it; within a minute memvisor has taken back >= 90% of
#    the frames the 200 MiB held (stats frames_owned, balloon
#    reported_pages) and the 8 MiB read back identically;
#  - inflate: ctl balloon 1 --target 100M; the driver's actual reaches
#    25600 pages, all of them handed to memvisor, and the VM owns no more
#    frames than before; --target 0 deflates it back to 0, and the guest
#    can fill 200 MiB again;
#  - a target above its RAM: one line, exit 1 (a VM without a balloon:
#    tests/unit/test_api.c);
#  - a clone's balloon starts at its parent's target.
#
#   tests/integration/balloon.sh [BUILD]
set -u
build=${1:-build}
here=$(dirname "$0")
. "$here/lib.bash"
. "$here/rootfs.bash"
limit=${BALLOON_TEST_TIMEOUT:-420}
rootfs_require balloon
rootfs_boot 512M "$limit" --balloon
stat1() { ctl --json stats 1 | json "$1"; }

# run TAG COMMAND: type COMMAND; echo TAG; wait for TAG's line.
run() {
	type_line "$2; echo $1-done"
	wait_console "^$1-done$" || { last_lines; fail "no '$1-done' within the limit"; }
}
run keep 'mkdir -p /root/keep && head -c 8388608 /dev/urandom >/root/keep/data && sha256sum /root/keep/data >/root/keep/sum && sync'
sleep 3
owned0=$(stat1 'd["frames_owned"]')
run fill 'dd if=/dev/zero of=/tmp/fill bs=1M count=200 2>/dev/null'
owned1=$(stat1 'd["frames_owned"]')
filled=$((owned1 - owned0))
[ $filled -ge 45000 ] || bad "the 200 MiB fill owns only $filled more frames"
run free 'rm /tmp/fill'
t0=$SECONDS
back=0
while [ $((SECONDS - t0)) -lt 60 ]; do
	owned2=$(stat1 'd["frames_owned"]')
	back=$((owned1 - owned2))
	[ $((back * 100)) -ge $((filled * 90)) ] && break
	sleep 1
done
st=$(ctl --json stats 1)
reported=$(json 'd["balloon"]["reported_pages"]' <<<"$st")
released=$(json 'd["balloon"]["released_frames"]' <<<"$st")
pct=$((back * 100 / (filled > 0 ? filled : 1)))
if [ $((back * 100)) -ge $((filled * 90)) ]; then
	echo "   ok   free page reporting gave back $back of the $filled frames the 200 MiB held ($pct%) in $((SECONDS - t0)) s ($reported pages reported, $released frames released)"
else
	bad "free page reporting gave back $back of $filled frames ($pct%) in 60 s ($reported reported, $released released)"
fi
run check 'sha256sum -c /root/keep/sum'
console | grep -q '^/root/keep/data: OK$' &&
	echo "   ok   the 8 MiB the guest kept read back identically" ||
	bad "the kept data changed: $(console | grep '/root/keep/data:' | tail -n 1)"

# Inflate: 100 MiB.
owned3=$(stat1 'd["frames_owned"]')
out=$(ctl balloon 1 --target 100M 2>&1) || bad "ctl balloon 1 --target 100M: $out"
t0=$SECONDS
actual=0
while [ $((SECONDS - t0)) -lt 60 ]; do
	actual=$(stat1 'd["balloon"]["actual_pages"]')
	[ "$actual" -ge 25600 ] && break
	sleep 1
done
sleep 2
owned4=$(stat1 'd["frames_owned"]')
st=$(ctl --json stats 1)
inflated=$(json 'd["balloon"]["inflated_pages"]' <<<"$st")
# The pages the driver takes are free ones, which reporting mostly gave
# back already: inflating must not make the VM own more.
if [ "$actual" = 25600 ] && [ "$inflated" = 25600 ] && [ "$owned4" -le "$owned3" ]; then
	echo "   ok   inflate to 100M: actual $actual pages, $inflated inflated, the VM owns $((owned3 - owned4)) frames fewer"
else
	bad "inflate to 100M: actual $actual pages, $inflated inflated, owned $owned3 -> $owned4"
fi
ctl balloon 1 --target 0 >/dev/null || bad "ctl balloon 1 --target 0"
t0=$SECONDS
while [ $((SECONDS - t0)) -lt 60 ]; do
	actual=$(stat1 'd["balloon"]["actual_pages"]')
	[ "$actual" = 0 ] && break
	sleep 1
done
[ "$actual" = 0 ] && echo "   ok   deflate: actual back to 0" ||
	bad "deflate: actual $actual pages after 60 s"
run refill 'dd if=/dev/zero of=/tmp/fill bs=1M count=200 2>/dev/null && echo refill-size $(wc -c </tmp/fill) && rm /tmp/fill'
console | grep -q '^refill-size 209715200$' &&
	echo "   ok   the guest fills 200 MiB again after the deflate" ||
	bad "the guest could not fill 200 MiB after the deflate"

# Bad requests.
out=$(ctl balloon 1 --target 4G 2>&1)
rc=$?
[ $rc -ne 0 ] && [ "$(wc -l <<<"$out")" -eq 1 ] && grep -q "more than its RAM" <<<"$out" &&
	echo "   ok   a target above the VM's RAM: $out" ||
	bad "target above RAM: exit $rc, '$out'"
reply=$(ctl --json clone 1) || fail "clone: $reply"
cid=$(json 'd["ids"][0]' <<<"$reply")
[ "$(ctl --json stats "$cid" | json 'd["balloon"]["target_pages"]')" = 0 ] ||
	bad "the clone's balloon target is not its parent's (0)"
ctl destroy "$cid" >/dev/null
power_off || bad "no power-off within $limit s"
[ $failed -eq 0 ] || fail "$failed check(s) failed (log $log)"
