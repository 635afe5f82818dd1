# guest/stress/words.awk — the stress test's text: 6000 lines of 8
# three-letter words from a linear congruential generator of its own (exact
# in awk's doubles: every product stays below 2^53), so that busybox's awk
# in the guest and the host's awk make the same bytes.
BEGIN {
	x = 1
	for (i = 0; i < 6000; i++) {
		line = ""
		for (w = 0; w < 8; w++) {
			x = (x * 69069 + 1) % 4294967296
			y = int(x / 65536)
			line = line (w ? " " : "") sprintf("%c%c%c", 97 + y % 26, 97 + int(y / 26) % 26, 97 + int(y / 676) % 26)
		}
		print line
	}
}
