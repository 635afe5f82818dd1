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

# clock_right: 0 when the guest's wall clock, which Linux set at boot from
# the machine's real-time clock (rtc-goldfish), is within 5 s of the
# host's. (Without that clock the guest's started at 1970, and a file
# deleted in its first 9 hours got a dtime that e2fsck's orphan-list
# heuristic takes for an inode number: "corrupted orphan linked list".)
clock_right() {
	local g h
	type_line 'echo "clock: $(date +%s)"'
	wait_console '^clock: [0-9]+$' || return 1
	g=$(console | sed -n 's/^clock: \([0-9]*\)$/\1/p' | tail -n 1)
	h=$(date +%s)
	[ $((h - g)) -le 5 ] && [ $((g - h)) -le 5 ]
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
		sed 's/^/      | /' "$tmp/fsck.log" | head -n 30
	fi
}

# For the tests that boot the system under memvisor with its control API
# (net.sh, entropy.sh, balloon.sh ...):
# json EXPR: a Python expression on the JSON in stdin (d).
json() { python3 -c "import json, sys; d = json.load(sys.stdin); print($1)"; }
# free_port: a TCP port on 127.0.0.1 nobody listens on now.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
ctl() { "$mv" ctl --api-sock "$sock" "$@"; }

# rootfs_require NAME: set mv, kernel ($ROOTFS_KERNEL, else the stock
# one), image, sock, logs (BUILD/tests/NAME) and disk (a copy of the image
# for this test); exit 77 without them or python3.
rootfs_require() {
	mv=$build/memvisor
	kernel=${ROOTFS_KERNEL:-$build/guest/Image-stock}
	image=$build/guest/rootfs.ext4
	for f in "$kernel" "$image" "$mv"; do
		if [ ! -e "$f" ]; then
			echo "   skip: $f is missing (make guest-stock rootfs builds it)"
			exit 77
		fi
	done
	command -v python3 >/dev/null || { echo "   skip: python3 is missing"; exit 77; }
	sock=$tmp/api.sock
	logs=$build/tests/$1
	mkdir -p "$logs"
	disk=$tmp/rootfs.ext4
	disk_copy "$image" "$disk" || fail "cannot copy $image to $disk"
}

# rootfs_boot MEMORY LIMIT ARGS...: memvisor on the disk copy with the API
# and the extra ARGS, host name memvisor-<test>-<pid>, console on fd 3;
# sets host, log, pid, deadline; fails unless rcS comes up and a shell
# answers within LIMIT seconds.
rootfs_boot() {
	local memory=$1 limit=$2
	shift 2
	host=memvisor-$(basename "$logs")-$$
	log=$logs/memvisor.log
	rootfs_console_open
	"$mv" run --kernel "$kernel" --memory "$memory" --disk "$disk" "$@" \
		--api-sock "$sock" \
		--cmdline "root=/dev/vda rw console=ttyS0 panic=-1 hostname=$host" \
		<&3 >"$log" 2>&1 &
	pid=$!
	deadline=$((SECONDS + limit))
	if ! rootfs_up || ! shell_answers "$host"; then
		last_lines
		fail "the system did not come up within $limit s (log $log)"
	fi
}

# rootfs_add_files DISK DIR FILE[=NAME]...: a folder /DIR in the ext4 image
# DISK (a copy, never the build's image) holding each host FILE as
# /DIR/NAME (default: FILE's base name), owned by root, mode 755; then
# e2fsck -fn must find it clean. 1 (with debugfs's or e2fsck's words) if not.
rootfs_add_files() {
	local disk=$1 dir=$2 f name
	shift 2
	{
		echo "mkdir /$dir"
		for f in "$@"; do
			name=${f#*=}
			[ "$name" = "$f" ] && name=$(basename "$f")
			echo "write ${f%%=*} /$dir/$name"
			echo "sif /$dir/$name mode 0100755"
			echo "sif /$dir/$name uid 0"
			echo "sif /$dir/$name gid 0"
		done
	} >"$tmp/add-files.cmds"
	command -v debugfs >/dev/null || PATH=$PATH:/sbin:/usr/sbin
	if ! debugfs -w -f "$tmp/add-files.cmds" "$disk" >"$tmp/add-files.log" 2>&1 ||
		grep -qiE 'error|not found|cannot|could not' "$tmp/add-files.log"; then
		sed 's/^/      | /' "$tmp/add-files.log" | head -n 20
		return 1
	fi
	e2fsck -fn "$disk" >"$tmp/add-files.log" 2>&1 || {
		sed 's/^/      | /' "$tmp/add-files.log" | head -n 20
		return 1
	}
}
