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
