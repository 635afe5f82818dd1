#!/bin/bash
# virtio-net on user-mode networking (libslirp) under memvisor: the busybox
# root file system (make rootfs) on the stock kernel, root=/dev/vda, with
# --net user,hostfwd=tcp:127.0.0.1:PORT-:80.
#  - bad --net input and a forwarded port already in use: one line, exit 2;
#  - rcS gets QEMU's lease 10.0.2.15 by DHCP and starts httpd;
#  - curl through the forwarded port gets the page of this boot;
#  - NET_CLONES clones (default 31, 32 with the next one) of the running VM, each on a free host
#    port of its own (from the clone reply), and one more on a port given
#    with --hostfwd-base: each has its own MAC, and each answers on its own
#    port with a file only that clone wrote (typed on its console);
#  - each clone's overlay holds about the 256 KiB it wrote (with its file
#    system's metadata), none of the other clones' files, and the parent
#    has none of theirs;
#  - after poweroff, the page curl got is the file /www/index.html in the
#    image, byte for byte.
# The parent's TCP connections are not carried into clones (their slirp is
# fresh): only new connections are made to them here.
#
#   tests/integration/net.sh [BUILD] — kernel: $NET_KERNEL, else
#   BUILD/guest/Image-stock (CONFIG_VIRTIO_NET, VIRTIO_BLK, EXT4, 8250).
set -u
build=${1:-build}
here=$(dirname "$0")
. "$here/lib.bash"
. "$here/rootfs.bash"
mv=$build/memvisor
kernel=${NET_KERNEL:-$build/guest/Image-stock}
image=$build/guest/rootfs.ext4
nclones=${NET_CLONES:-31}
limit=${NET_TEST_TIMEOUT:-300}
for f in "$kernel" "$image" "$mv"; do
	if [ ! -e "$f" ]; then
		echo "   skip: $f is missing (make guest-stock rootfs builds it)"
		exit 77
	fi
done
for t in curl python3 debugfs e2fsck; do
	command -v $t >/dev/null || PATH=$PATH:/sbin:/usr/sbin
	if ! command -v $t >/dev/null; then
		echo "   skip: $t is missing (make setup installs it)"
		exit 77
	fi
done


# Bad input first: each a single line on stderr and exit 2.
bad_net() { # bad_net LABEL EXPECTED-TEXT NET-ARG
	local out rc
	out=$("$mv" run --kernel "$kernel" --net "$3" 2>&1 </dev/null)
	rc=$?
	if [ $rc -eq 2 ] && [ "$(wc -l <<<"$out")" -eq 1 ] &&
		grep -q -- "$2" <<<"$out"; then
		echo "   ok   --net $1: $out"
	else
		fail "--net $1: exit $rc, '$out'"
	fi
}
bad_net "not user" "expected user" "tap"
bad_net "unknown option" "expected user" "user,foo=1"
bad_net "no guest port" "expected tcp:ADDR" "user,hostfwd=tcp:127.0.0.1:8080"
bad_net "port too large" "expected tcp:ADDR" "user,hostfwd=tcp::70000-:80"
bad_net "bad address" "expected tcp:ADDR" "user,hostfwd=tcp:1.2.3:8080-:80"

sock=$tmp/api.sock
logs=$build/tests/net
mkdir -p "$logs"
log=$logs/memvisor.log
disk=$tmp/rootfs.ext4
disk_copy "$image" "$disk" || fail "cannot copy $image to $disk"
host=memvisor-net-$$
rootfs_console_open

port=$(free_port)
"$mv" run --kernel "$kernel" --memory 512M --disk "$disk" \
	--net "user,hostfwd=tcp:127.0.0.1:$port-:80" --api-sock "$sock" \
	--cmdline "root=/dev/vda rw console=ttyS0 panic=-1 hostname=$host" \
	<&3 >"$log" 2>&1 &
pid=$!
deadline=$((SECONDS + limit))
t0=$SECONDS

# The same port again, while the first memvisor holds it.
wait_for 20 test -S "$sock" || fail "no control socket $sock"
bad_net "port in use" "cannot listen" "user,hostfwd=tcp:127.0.0.1:$port-:80"

if ! rootfs_up; then
	last_lines
	fail "no 'rootfs: up' line from rcS within $limit s (log $log)"
fi
echo "   ok   rcS ran after $((SECONDS - t0)) s: ${up#rootfs: up }"
boot_id=$(field boot_id)
[ "$(field eth0)" = 10.0.2.15 ] ||
	bad "eth0 has address '$(field eth0)', not the DHCP lease 10.0.2.15"
[ "$(field httpd)" = 80 ] || bad "httpd did not start on port 80"

page=$tmp/page.html
if ! curl -sS --max-time 20 --retry 3 --retry-delay 1 -o "$page" "http://127.0.0.1:$port/"; then
	bad "curl http://127.0.0.1:$port/ (forwarded to the guest's port 80) failed"
elif ! grep -q "hostname=$host boot_id=$boot_id eth0=10.0.2.15" "$page"; then
	bad "the page from http://127.0.0.1:$port/ does not name this host and boot:"
	sed 's/^/      | /' "$page" | head -n 8
else
	echo "   ok   curl http://127.0.0.1:$port/ -> the guest's page for $host, boot $boot_id"
fi
shell_answers "$host" || bad "no shell answering on ttyS0"

stats=$(ctl --json stats 1)
mac1=$(json 'd["net"]["mac"]' <<<"$stats")
rx=$(json 'd["net"]["rx_packets"]' <<<"$stats")
tx=$(json 'd["net"]["tx_packets"]' <<<"$stats")
fwd=$(json 'd["net"]["hostfwd"][0]' <<<"$stats")
if [ "$mac1" = 02:6d:76:00:00:01 ] && [ "$rx" -gt 0 ] && [ "$tx" -gt 0 ] &&
	[ "$fwd" = "tcp:127.0.0.1:$port-:80" ]; then
	echo "   ok   stats: net mac $mac1, $rx packets in, $tx out, hostfwd $fwd"
else
	bad "stats net: mac $mac1 rx $rx tx $tx hostfwd $fwd"
fi

# Clones: free ports chosen by memvisor, from the reply.
reply=$(ctl --json clone 1 --count "$nclones") || fail "clone: $reply"
mapfile -t ids < <(json '"\n".join(str(i) for i in d["ids"])' <<<"$reply")
mapfile -t ports < <(json '"\n".join(f[0].split(":")[2].split("-")[0] for f in d["hostfwd"])' <<<"$reply")
[ ${#ids[@]} -eq "$nclones" ] && [ ${#ports[@]} -eq "$nclones" ] ||
	fail "clone reply: $reply"
# And one on a port of the test's choice.
base=$(free_port)
reply=$(ctl --json clone 1 --hostfwd-base "$base") || fail "clone --hostfwd-base: $reply"
ids+=("$(json 'd["ids"][0]' <<<"$reply")")
ports+=("$base")
[ "$(json 'd["hostfwd"][0][0]' <<<"$reply")" = "tcp:127.0.0.1:$base-:80" ] ||
	bad "clone --hostfwd-base $base: $reply"
echo "   ok   $((nclones + 1)) clones of VM 1: ids ${ids[*]}, ports ${ports[*]}"

declare -A macs
owns=()
answered=0
for i in "${!ids[@]}"; do
	id=${ids[$i]} p=${ports[$i]}
	mac=$(ctl --json stats "$id" | json 'd["net"]["mac"]')
	[ -z "${macs[$mac]:-}" ] && [ "$mac" != "$mac1" ] ||
		bad "clone $id has MAC $mac, not its own"
	macs[$mac]=$id
	ctl console "$id" --input "dd if=/dev/urandom of=/www/blob-$id.bin bs=4k count=64 2>/dev/null; sync; echo clone-$id-\$((6 * 7)) >/www/who.txt; sync\r" >/dev/null
	got=
	for try in $(seq 50); do
		got=$(curl -sS --max-time 10 "http://127.0.0.1:$p/who.txt" 2>/dev/null)
		[ "$got" = "clone-$id-42" ] && break
		sleep 0.5
	done
	if [ "$got" = "clone-$id-42" ] &&
		curl -sS --max-time 10 "http://127.0.0.1:$p/" | cmp -s - "$page"; then
		answered=$((answered + 1))
	else
		bad "clone $id on port $p: /who.txt '$got' (expected clone-$id-42)"
		ctl console "$id" | tr -d '\r' | tail -n 5 | sed 's/^/      | /'
	fi
done
[ $answered -eq ${#ids[@]} ] &&
	echo "   ok   each clone answers on its own port with its own file, MACs ${!macs[*]}"
# Each clone's disk is an overlay holding what it wrote (256 KiB of data,
# its file system's metadata and journal around it), and none of the
# others' files; the parent has none of them.
own_ok=0
for i in "${!ids[@]}"; do
	id=${ids[$i]} p=${ports[$i]}
	j=$(((i + 1) % ${#ids[@]}))
	own=$(ctl --json stats "$id" | json 'd["disk_own_bytes"]')
	size=$(curl -sS --max-time 10 -o /dev/null -w '%{size_download}' "http://127.0.0.1:$p/blob-$id.bin")
	other=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$p/blob-${ids[$j]}.bin")
	if [ "$size" = 262144 ] && [ "$other" = 404 ] &&
		[ "$own" -ge 262144 ] && [ "$own" -le $((262144 + 2097152)) ]; then
		own_ok=$((own_ok + 1))
	else
		bad "clone $id: its blob $size bytes, clone ${ids[$j]}'s answers $other, its overlay holds $own bytes"
	fi
	owns+=("$own")
done
[ $own_ok -eq ${#ids[@]} ] &&
	echo "   ok   each clone's overlay holds about what it wrote (256 KiB + metadata: $(printf '%s\n' "${owns[@]}" | sort -n | sed -n '1p;$p' | paste -sd- ) bytes) and none of the others' files"
for id in "${ids[@]}"; do
	code=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/blob-$id.bin")
	[ "$code" = 404 ] || bad "the parent serves clone $id's blob ($code)"
done
curl -sS --max-time 10 "http://127.0.0.1:$port/who.txt" 2>/dev/null | grep -q clone &&
	bad "the parent serves a file one of its clones wrote"

# memvisor run ends when every VM has: the clones go first.
for id in "${ids[@]}"; do
	ctl destroy "$id" >/dev/null || bad "destroy clone $id"
done
power_off || bad "no power-off within $limit s"
# debugfs does not replay the journal: e2fsck does.
e2fsck -fy "$disk" >"$tmp/fsck.log" 2>&1
debugfs -R "dump /www/index.html $tmp/index.html" "$disk" >"$tmp/debugfs.log" 2>&1
if cmp -s "$page" "$tmp/index.html"; then
	echo "   ok   the page equals /www/index.html in the image ($(stat -c %s "$page") bytes)"
else
	bad "the page differs from /www/index.html in the image:"
	diff "$page" "$tmp/index.html" | head -n 8 | sed "s/^/      | /"
	sed "s/^/      | /" "$tmp/debugfs.log" | tail -n 3
fi
[ $failed -eq 0 ] || fail "$failed check(s) failed (log $log)"
