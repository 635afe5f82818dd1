/* SPDX-License-Identifier: MIT */
#include "cpu/isa.h"

#include <errno.h>
#include <string.h>

static const char *const isa_names[ISA_EXT_COUNT] = {
    [ISA_I] = "i",
    [ISA_M] = "m",
    [ISA_A] = "a",
    [ISA_F] = "f",
    [ISA_D] = "d",
    [ISA_C] = "c",
    [ISA_ZICBOM] = "zicbom",
    [ISA_ZICBOP] = "zicbop",
    [ISA_ZICBOZ] = "zicboz",
    [ISA_ZICNTR] = "zicntr",
    [ISA_ZICOND] = "zicond",
    [ISA_ZICSR] = "zicsr",
    [ISA_ZIFENCEI] = "zifencei",
    [ISA_ZIHINTNTL] = "zihintntl",
    [ISA_ZIHINTPAUSE] = "zihintpause",
    [ISA_ZIHPM] = "zihpm",
    [ISA_ZBA] = "zba",
    [ISA_ZBB] = "zbb",
    [ISA_ZBC] = "zbc",
    [ISA_ZBS] = "zbs",
    [ISA_SSTC] = "sstc",
    [ISA_SVPBMT] = "svpbmt",
};

const char *isa_ext_name(enum isa_ext e)
{
	return (unsigned)e < ISA_EXT_COUNT ? isa_names[e] : NULL;
}

int isa_ext_lookup(const char *name)
{
	for (int e = 0; e < ISA_EXT_COUNT; e++)
		if (!strcmp(isa_names[e], name))
			return e;
	return -1;
}

/* Append s (n bytes) at *len; false when it does not fit. */
static bool isa_append(char *buf, size_t size, size_t *len, const char *s,
		       size_t n)
{
	if (*len + n >= size)
		return false;
	memcpy(buf + *len, s, n);
	*len += n;
	buf[*len] = '\0';
	return true;
}

int isa_string(isa_set set, char *buf, size_t size)
{
	size_t len = 0;

	if (!isa_append(buf, size, &len, "rv64", 4))
		return -ENOSPC;
	for (int pass = 0; pass < 2; pass++) {
		for (int e = 0; e < ISA_EXT_COUNT; e++) {
			const char *n = isa_names[e];
			bool single = n[1] == '\0';

			if (!(set & ISA_BIT(e)) || single != (pass == 0))
				continue;
			if (pass == 1 && !isa_append(buf, size, &len, "_", 1))
				return -ENOSPC;
			if (!isa_append(buf, size, &len, n, strlen(n)))
				return -ENOSPC;
		}
	}
	return (int)len;
}

int isa_stringlist(isa_set set, char *buf, size_t size)
{
	size_t len = 0;

	for (int e = 0; e < ISA_EXT_COUNT; e++) {
		if (!(set & ISA_BIT(e)))
			continue;
		if (!isa_append(buf, size, &len, isa_names[e],
				strlen(isa_names[e]) + 1))
			return -ENOSPC;
	}
	return (int)len;
}
