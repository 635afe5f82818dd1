# guest/rootfs/cache.bash — sourced by guest/rootfs/build-busybox and
# guest/rootfs/build (bash): messages, and a build cached in a folder named
# by its key, as guest/linux/build does it. A build happens in
# OUTDIR/.NAME.tmp.PID and appears as OUTDIR/NAME only by the rename at
# its end, so a folder holding the result file means done; one build per
# key at a time (a second caller waits for the lock, then finds the cache);
# leftovers of killed builds are removed; a failed build's log is kept as
# OUTDIR/NAME.failed.log. Needs $prog set.

say() { echo "$prog: $*" >&2; }
die() {
	echo "$prog: error: $*" >&2
	exit 1
}

# cache_lock OUTDIR PREFIX KEY RESULT: sets outdir name final; returns 0 when
# OUTDIR/PREFIX-KEY/RESULT exists (done, maybe by a builder we waited for),
# else holds the lock and returns 1.
cache_lock() {
	outdir=$1 cache_prefix=$2 name=$2-$3 cache_result=$4
	final=$outdir/$name
	[ -f "$final/$cache_result" ] && return 0
	exec 9>"$outdir/.$name.lock"
	if ! flock -n 9; then
		say "another build of $name is running; waiting for it"
		flock 9
		[ -f "$final/$cache_result" ] && return 0
	fi
	return 1
}

# cache_begin: after cache_lock returned 1: removes leftovers, makes $tmp and
# the log $log, and arms the cleanup.
cache_begin() {
	local d pid
	for d in "$outdir/.$cache_prefix"-*.tmp.*; do
		[ -e "$d" ] || continue
		pid=${d##*.}
		case $d in
		"$outdir/.$name.tmp."*) ;;
		*) kill -0 "$pid" 2>/dev/null && continue ;;
		esac
		say "removing the leftover of an interrupted build: $d"
		rm -rf "$d"
	done
	tmp=$outdir/.$name.tmp.$$
	failed_log=$outdir/$name.failed.log
	trap cache_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	mkdir "$tmp" || die "cannot create $tmp"
	log=$tmp/build.log
	: >"$log"
}

cache_cleanup() {
	local rc=$?
	if [ -d "$tmp" ]; then
		if [ $rc -eq 130 ] || [ $rc -eq 143 ]; then
			say "interrupted; removing the partial build $tmp"
		elif [ $rc -ne 0 ] && [ -f "$tmp/build.log" ]; then
			cp "$tmp/build.log" "$failed_log"
			say "build failed; full log kept in $failed_log"
		fi
		rm -rf "$tmp"
	fi
	exit $rc
}

# cache_store: renames $tmp to $final and removes the builds of other keys
# (superseded), their locks and failure logs.
cache_store() {
	local d
	mv -T "$tmp" "$final" || die "cannot rename $tmp to $final"
	for d in "$outdir/$cache_prefix"-* "$outdir/.$cache_prefix"-*.lock; do
		case $d in
		"$final" | "$outdir/.$name.lock") continue ;;
		*.failed.log | *.lock) rm -f "$d" ;;
		*)
			[ -d "$d" ] || continue
			say "removing the superseded build $d"
			rm -rf "$d"
			;;
		esac
	done
	rm -f "$failed_log"
}
