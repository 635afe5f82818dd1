#!/bin/sh
# guest/bench/linux.sh — init (init=/bench/init) of the busybox system on
# the stock kernel for bench/cpu-linux.sh: the CPU-bound work, timed, one
# after the other, in the same order under every VMM. bench/cpu-linux.sh
# writes it into a copy of the root file system as /bench/init, beside
# guest/bench/timeit and kernels, fp and bitmanip, and /bench/input (a fixed
# slice of a Debian source tarball).
#
# Prints, in order:
#   BENCH-INIT                      its first line (boot to init ends here)
#   BENCH-MD5 NAME SUM              the md5sum of the input and of what the
#                                   compressors made (the same under every
#                                   VMM, or the runs did not do the same)
#   BENCH NAME seconds=S            one per piece of work (guest/bench/timeit)
#   KERNEL NAME percent=P check=C   the kernels' results
#   BENCH-DONE failed=N
# then waits for a line on the console (the host reads the VMM's counters
# meanwhile) and powers off.
echo BENCH-INIT
PATH=/bench:/sbin:/bin:/usr/sbin:/usr/bin
export PATH
mount -t proc proc /proc
mount -t tmpfs -o size=256M tmpfs /tmp
cd /tmp || exit 1

failed=0
# run NAME PROGRAM [ARG...]: timeit, counting failures.
run() { timeit "$@" || failed=$((failed + 1)); }
md5() { echo "BENCH-MD5 $1 $(md5sum <"$2" | cut -d' ' -f1)"; }

# The input in tmpfs first, so that no timed work reads the disk.
cat /bench/input >in
md5 input in

run gzip gzip -c <in >in.gz
run gunzip gzip -d -c <in.gz >out.gz
md5 gzip in.gz
cmp -s in out.gz || { echo "BENCH gunzip: not the input"; failed=$((failed + 1)); }
run bzip2 bzip2 -c <in >in.bz2
run bunzip2 bzip2 -d -c <in.bz2 >out.bz2
md5 bzip2 in.bz2
cmp -s in out.bz2 || { echo "BENCH bunzip2: not the input"; failed=$((failed + 1)); }
# busybox sort on the input's lines: string compares, memory.
run sort sort -o sorted in
md5 sort sorted
rm -f in.gz out.gz in.bz2 out.bz2 sorted

for k in int mem branch sort; do
	run "k-$k" kernels "$k"
done
run fp fp
run bitmanip bitmanip

echo "BENCH-DONE failed=$failed"
read -r _
poweroff -f
