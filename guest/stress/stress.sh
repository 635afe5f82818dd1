#!/bin/sh
# guest/stress/stress.sh — init (init=/stress/init) of the busybox system on
# the stock kernel for tests/integration/stress.sh: compile-like work from
# busybox's and glibc's user space, many processes at once, with output
# that depends only on the work (never on timing or on how many CPUs ran
# it). The test writes it into a copy of the root file system as
# /stress/init, beside guest/stress/words.awk and guest/bench/kernels, fp
# and bitmanip.
#
# Prints:
#   STRESS-INIT cpus=N uptime=S
#   STRESS-TIMES NAME=START-END... end=S  when each job ran (uptime)
#   STRESS-SUM MD5 NAME          one per output file, NAME.status included
#   STRESS-DIGEST MD5            the md5sum of those lines
#   STRESS-DONE
# then powers off.
PATH=/stress:/sbin:/bin:/usr/sbin:/usr/bin
export PATH
mount -t proc proc /proc
mount -t tmpfs -o size=128M tmpfs /tmp
echo "STRESS-INIT cpus=$(grep -c '^processor' /proc/cpuinfo) uptime=$(cut -d' ' -f1 /proc/uptime)"
cd /tmp || exit 1
mkdir out

# The text (the host makes it too: tests/integration/stress.sh).
awk -f /stress/words.awk >words

# Source code to "compile": 1500 small C functions calling each other.
awk 'BEGIN {
	for (i = 0; i < 1500; i++)
		printf "static int f%d(int a) { return a < 2 ? a : a * %d + f%d(a - 1); }\n", i, i % 97, (i * 7) % 1500
}' >src.c

# up: seconds since the kernel started (for the times line; never in the
# digest).
up() { cut -d' ' -f1 /proc/uptime; }
# job NAME COMMAND: COMMAND in the background, its output in out/NAME, its
# exit status in out/NAME.status, its start and end in times/NAME.
mkdir times
job() {
	(
		t0=$(up)
		sh -c "$2" >"out/$1" 2>&1
		echo $? >"out/$1.status"
		echo "$1=$t0-$(up)" >"times/$1"
	) &
}
job words 'cat words'
job sorted 'sort words'
job freq "tr ' ' '\n' <words | sort | uniq -c | sort -k1,1nr -k2,2 | head -n 100"
job gzip 'gzip -9 -c <words | tee /tmp/words.gz | md5sum; gzip -d -c /tmp/words.gz | cmp - words && echo same'
job bzip2 'bzip2 -c <words | bzip2 -d -c | md5sum'
job sedawk "sed -e 's/\([aeiou]\)\([a-z]\)/\2\1/g' words | awk '{ for (i = 1; i <= NF; i++) n[\$i]++ } END { for (w in n) if (n[w] > 3) print w, n[w] }' | sort"
job tokens "tr -cs 'A-Za-z0-9_' '\n' <src.c | sort | uniq -c | sort -k1,1nr -k2,2 | head -n 200; wc -l -c <src.c"
job preprocess "sed -n 's/^static int \(f[0-9]*\)(int a).*f\([0-9]*\)(a - 1).*/\1 -> f\2/p' src.c | sort -t f -k2,2n | md5sum"
job shell 'i=0 s=0; while [ $i -lt 2000 ]; do s=$(((s * 31 + i) % 1000003)); i=$((i + 1)); done; echo $s'
job forks 'for i in $(seq 100); do echo "$i" | md5sum; done | md5sum'
job k-int 'kernels int 4'
job k-mem 'kernels mem 4'
job k-branch 'kernels branch 4'
job k-sort 'kernels sort 4'
job k-threads 'kernels threads 20'
job fp "fp 20000 | sed 's/ seconds=.*//'"
job bitmanip "bitmanip 20000 | sed 's/ seconds=.*//'"
wait
echo "STRESS-TIMES $(cat times/* | tr '\n' ' ')end=$(up)"

cd out || exit 1
md5sum * | sed 's/^/STRESS-SUM /' >../sums
cat ../sums
echo "STRESS-DIGEST $(md5sum <../sums | cut -d' ' -f1)"
echo STRESS-DONE
poweroff -f
