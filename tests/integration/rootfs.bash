# tests/integration/rootfs.bash — sourced by the tests that boot the
# guests' root file system (make rootfs) on the stock kernel, under QEMU
# (rootfs-qemu.sh, the oracle) or memvisor (rootfs.sh): the guest's console
# as a log file ($log) fed from a FIFO, and waiting on what it prints.
# The caller sets log, pid (the VMM's) and deadline (in $SECONDS), and
# counts failures with bad().

# rootfs_console_open: the console's input, a FIFO held open on fd 3 so that
# the VMM never sees EOF.
rootfs_console_open() {
	mkfifo "$tmp/console"
	exec 3<>"$tmp/console"
}
type_line() { printf '%s\r' "$1" >&3; }
console() { tr -d '\r' <"$log"; }

# last_lines: why the guest stopped: a panic or a dying process, else the
# console's last lines.
last_lines() {
	local why
	why=$(console | grep -E 'Kernel panic|Oops|BUG:|unhandled signal|VFS:|rootfs:' | head -n 8)
	[ -n "$why" ] || why=$(console | tail -n 12)
	sed 's/^/      | /' <<<"$why"
}

# wait_console REGEX: until a console line matches (or the VMM ends, or
# the deadline passes).
wait_console() {
	until console | grep -Eq -- "$1"; do
		if ! kill -0 "$pid" 2>/dev/null || [ $SECONDS -ge $deadline ]; then
			return 1
		fi
		sleep 0.2
	done
}

failed=0
bad() {
	echo "   FAIL $*"
	failed=$((failed + 1))
}

# rootfs_up: rcS's line "rootfs: up ..." into $up; 1 if it never came.
rootfs_up() {
	wait_console '^rootfs: up ' || return 1
	up=$(console | grep -m1 '^rootfs: up ')
}
# field NAME: a field of $up.
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$up"; }

# shell_answers HOST: the prompt "HOST:...# " (from /etc/profile), then an
# answer only a shell gives (the tty echoes the question, not the answer).
shell_answers() {
	wait_console "^$1:[^ ]*# " || return 1
	type_line 'echo shell-$((6 * 7))'
	wait_console '^shell-42$'
}

# power_off LIMIT: type poweroff, wait for the VMM to exit; 1 if it did not
# or the kernel did not say it powered down.
power_off() {
	type_line 'poweroff'
	while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
	if kill -0 "$pid" 2>/dev/null; then
		kill "$pid"
		wait "$pid" 2>/dev/null
		pid=
		return 1
	fi
	wait "$pid" 2>/dev/null
	pid=
	console | grep -q 'reboot: Power down'
}

# fsck_clean IMAGE WHEN: e2fsck -fn finds IMAGE clean.
fsck_clean() {
	if e2fsck -fn "$1" >"$tmp/fsck.log" 2>&1; then
		echo "   ok   e2fsck -fn: the image is clean $2"
	else
		bad "e2fsck -fn finds the image not clean $2:"
		sed 's/^/      | /' "$tmp/fsck.log" | tail -n 8
	fi
}
