/* SPDX-License-Identifier: MIT */
/*
 * The guest's command line: /chosen/bootargs of the device tree the
 * firmware (OpenSBI under QEMU, -append) or memvisor (--cmdline) passes
 * in a1, and its "key=value" words.
 */
#ifndef DIFF_BOOTARGS_H
#define DIFF_BOOTARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The value of /chosen/bootargs in the flattened device tree at dtb, a
 * NUL-terminated string inside the tree; "" when the tree has none, or
 * is not a device tree (bad magic), or the property runs past the
 * structure block. The tree is the caller's and must stay mapped.
 */
const char *bootargs_find(uint64_t dtb);

/*
 * Look for the word "key=value" in args (words are separated by spaces).
 * Returns true and sets *val and *len to the value (not NUL-terminated)
 * when it is there; a bare "key" gives a value of length 0.
 */
bool bootargs_get(const char *args, const char *key, const char **val,
		  size_t *len);

/* As bootargs_get, for a decimal value; def when key is absent or the
 * value is not a number. */
uint64_t bootargs_num(const char *args, const char *key, uint64_t def);

#endif
