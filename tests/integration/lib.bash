# tests/integration/lib.bash — sourced by the integration tests (not a
# test itself: the runner takes *.sh): a temporary
# folder $tmp, removed on exit together with the memvisor whose pid is in
# $pid; fail; wait_for.

tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

fail() { echo "   FAIL: $*"; exit 1; }

# wait_for SECONDS COMMAND...: retry COMMAND until it succeeds.
wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -ge $deadline ] && return 1
		sleep 0.2
	done
}

# disk_copy IMAGE COPY: a writable copy of a disk image for one test (the
# build's image, e.g. BUILD/guest/rootfs.ext4, is never booted itself).
# Sparse: the 128 MiB root file system with 2 MiB in use copies in a few
# milliseconds and takes 2 MiB.
disk_copy() {
	cp --sparse=always -- "$(readlink -f -- "$1")" "$2" &&
		chmod u+w -- "$2"
}
