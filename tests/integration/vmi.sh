#!/bin/bash
# Introspection from outside (mechanism 3): for each Debian guest kernel,
# the tinyconfig 6.1 and 6.12 (FLATMEM, SBI console) and the stock 6.12
# (`make defconfig`: SPARSEMEM_VMEMMAP, SLUB, SMP on 2 VCPUs, Sv48, console
# on ttyS0; make guest-stock), from the same memvisor binary and initramfs:
#  - boot guest/init/vmi.c, which makes anonymous and page-cache pages;
#    a first `ctl inspect` builds (or finds) the profile; then the guest
#    reads the kernel's own account of every frame (/proc/kpageflags,
#    /proc/buddyinfo) and waits;
#  - `memvisor ctl inspect` identifies every frame from outside (profile
#    built from the kernel's banner, embedded config and symbols);
#  - vmi_compare holds one against the other: per-frame agreement >= 99.9%,
#    free pages within 0.1% of buddyinfo's; on the stock kernel every frame
#    must agree and the free pages must be buddyinfo's exactly (--exact);
#  - the comparison must catch a map that is 1% wrong (the test can fail),
#    and the exact one a map one frame wrong;
#  - the guest runs on after being inspected (it prints its map and powers
#    off), and a second inspect of the same kernel uses the cached profile;
#  - the free-only scan (what sharing uses) finds exactly the full map's
#    free pages;
#  - memvisor's own sources name no kernel version.
# Profiles are built the way a user's are: from Debian's linux-source
# tarball of the banner's version (about 40 s each the first time), cached
# under the build folder. Then once more for 6.1 in the guest build's own
# configured tree (--kernel-tree), with a cache of its own.
set -u
build=${1:-build}
mv="$build/memvisor"
compare="$build/tests/vmi_compare"
initrd="$build/guest/vmi.cpio"
for f in "$mv" "$compare" "$initrd"; do
	[ -e "$f" ] || { echo "   skip: $f is missing (make guest builds it)"; exit 77; }
done
. "$(dirname "$0")/lib.bash"
sock="$tmp/api.sock"
ctl() { "$mv" ctl --api-sock "$sock" "$@"; }
says() { tr -d '\r' 2>/dev/null <"$tmp/guest.out" | grep -q -- "$1"; }

# No version-specific knowledge in memvisor: no kernel version numbers.
if grep -rnE '\b(6\.1|6\.12|5\.[0-9]+|4\.[0-9]+)\.[0-9]+\b|\b(linux|kernel|version)[ _-]?(6\.1|6\.12)\b' src/; then
	fail "src/ names a kernel version (above)"
fi
echo "   ok   no kernel version numbers in src/"

ran=0
for v in 6.1 6.12 stock; do
	image="$build/guest/Image-$v"
	if [ ! -e "$image" ]; then
		echo "   skip: $image is missing (make guest-$v builds it)"
		continue
	fi
	# The stock kernel is an SMP one: on two VCPUs, with per-CPU free
	# lists and LRU batches on each.
	exact= cpus=1
	[ $v = stock ] && exact=--exact cpus=2
	rm -f "$sock" "$tmp/guest.out"
	"$mv" run --kernel "$image" --initrd "$initrd" --memory 256M --cpus $cpus \
		--api-sock "$sock" --vmi-cache "$build/vmi" \
		</dev/null >"$tmp/guest.out" 2>&1 &
	pid=$!
	wait_for 120 says "VMI-PAGES\|VMI-FAIL" || fail "linux $v: the guest never made its pages"
	# The first look builds the profile (cold: about a minute, while the
	# guest idles); the guest reads its own account only after it, so that
	# both views are of one moment.
	ctl inspect 1 >/dev/null || fail "linux $v: first inspect"
	ctl console 1 --input "snap\n" >/dev/null 2>&1
	wait_for 60 says "VMI-READY\|VMI-FAIL" || fail "linux $v: the guest never said READY"
	says VMI-FAIL && fail "linux $v: $(grep VMI-FAIL "$tmp/guest.out")"

	# The profile is cached now: this look does not build anything.
	out=$(ctl inspect 1 --map "$tmp/map") || fail "linux $v: inspect: $out"
	echo "$out" | sed -n '1p;$d;/^free:/p' | sed 's/^/   /'
	[ "$(grep -c 'building the introspection profile' "$tmp/guest.out")" -le 1 ] ||
		fail "linux $v: the profile was built twice"
	# The cheaper scan sharing uses finds the same free set (both maps
	# of one pause).
	ctl pause 1 >/dev/null || fail "linux $v: pause"
	ctl inspect 1 --map "$tmp/full.map" >/dev/null || fail "linux $v: inspect while paused"
	out=$(ctl inspect 1 --free-only --map "$tmp/free.map") || fail "linux $v: inspect --free-only: $out"
	echo "$out" | sed -n '1p' | sed 's/^/   /'
	"$compare" --free-only "$tmp/full.map" "$tmp/free.map" | sed 's/^/   /'
	[ "${PIPESTATUS[0]}" -eq 0 ] || fail "linux $v: the free-only map's free set is not the full map's"
	ctl resume 1 >/dev/null || fail "linux $v: resume"
	echo "   ok   linux $v: the free-only scan finds exactly the free pages of the full one"

	ctl console 1 --input "go\n" >/dev/null 2>&1
	wait_for 60 says VMI-DONE || fail "linux $v: the guest did not go on after inspection"
	wait "$pid"
	pid=

	"$compare" $exact "$tmp/map" "$tmp/guest.out" | sed 's/^/   /'
	[ "${PIPESTATUS[0]}" -eq 0 ] || fail "linux $v: the page map disagrees with the kernel's"
	echo "   ok   linux $v: page map agrees with kpageflags and buddyinfo${exact:+ on every frame}"

	if [ -n "$exact" ]; then
		# One frame of another class: an exact comparison fails.
		cp "$tmp/map" "$tmp/one.map"
		b=$(od -An -tu1 -j $((24 + 100)) -N1 "$tmp/one.map" | tr -d ' ')
		printf "\\$(printf %o $((b == 3 ? 7 : 3)))" |
			dd of="$tmp/one.map" bs=1 seek=$((24 + 100)) conv=notrunc status=none
		if "$compare" $exact "$tmp/one.map" "$tmp/guest.out" >/dev/null; then
			fail "linux $v: a page map one frame wrong passed the exact comparison"
		fi
		echo "   ok   linux $v: a map one frame wrong fails the exact comparison"
	fi

	# Spoil 1% of the map (700 frames become "slab", byte 3): the
	# comparison must notice.
	head -c 700 /dev/zero | tr '\0' '\3' |
		dd of="$tmp/map" bs=1 seek=$((24 + 20000)) conv=notrunc status=none
	if "$compare" "$tmp/map" "$tmp/guest.out" >/dev/null; then
		fail "linux $v: a page map 1% wrong passed the comparison"
	fi
	echo "   ok   linux $v: a map 1% wrong fails the comparison"
	ran=$((ran + 1))
done
[ $ran -gt 0 ] || { echo "   skip: no guest kernel built"; exit 77; }

# A configured tree of the guest's kernel is used as is (no tarball).
tree="$build/guest/linux-6.1/src"
if [ -d "$tree" ]; then
	rm -f "$sock" "$tmp/guest.out"
	"$mv" run --kernel "$build/guest/Image-6.1" --initrd "$initrd" \
		--api-sock "$sock" --vmi-cache "$tmp/vmi" --kernel-tree "$tree" \
		</dev/null >"$tmp/guest.out" 2>&1 &
	pid=$!
	wait_for 120 says "VMI-PAGES" || fail "--kernel-tree: the guest never made its pages"
	out=$(ctl inspect 1) || fail "--kernel-tree: inspect: $out"
	ctl console 1 --input "snap\n" >/dev/null 2>&1
	wait_for 60 says "VMI-READY" || fail "--kernel-tree: the guest never said READY"
	grep -q "compiling the interface in $tree" "$tmp/guest.out" ||
		fail "--kernel-tree: the profile was not built in $tree"
	! grep -q "extracting" "$tmp/guest.out" ||
		fail "--kernel-tree: the tarball was extracted although $tree matches"
	ctl console 1 --input "go\n" >/dev/null 2>&1
	wait "$pid"
	pid=
	echo "   ok   a matching --kernel-tree builds the profile in place"
fi
exit 0
