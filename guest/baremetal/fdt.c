/* SPDX-License-Identifier: MIT */
/*
 * The device-tree walk (fdt.h), after the Devicetree Specification's
 * "Flattened Devicetree (DTB) Format": a header, then a structure block
 * of 32-bit tokens with node names and property values inline, property
 * names in the strings block.
 */
#include "fdt.h"

#include "lib.h"

#define FDT_BEGIN_NODE 1
#define FDT_END_NODE   2
#define FDT_PROP       3
#define FDT_NOP	       4
#define FDT_END	       9
#define FDT_MAX_DEPTH  16

uint32_t fdt_be32(const void *p)
{
	const uint8_t *b = p;

	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	       (uint32_t)b[2] << 8 | b[3];
}

size_t fdt_strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

bool fdt_streq(const char *a, const char *b)
{
	size_t n = fdt_strlen(a);

	return n == fdt_strlen(b) && !memcmp(a, b, n);
}

int fdt_walk(unsigned long dtb, fdt_prop_fn *fn, void *arg)
{
	const uint8_t *fdt = (const uint8_t *)dtb;
	const char *names[FDT_MAX_DEPTH + 1];
	const uint8_t *p, *end, *strings;
	int depth = 0;

	if (fdt_be32(fdt) != FDT_MAGIC)
		return -1;
	p = fdt + fdt_be32(fdt + 8);
	strings = fdt + fdt_be32(fdt + 12);
	end = fdt + fdt_be32(fdt + 4);
	while (p < end) {
		uint32_t tok = fdt_be32(p);

		p += 4;
		if (tok == FDT_BEGIN_NODE) {
			const char *name = (const char *)p;

			if (++depth > FDT_MAX_DEPTH)
				return -2;
			names[depth] = name;
			p += (fdt_strlen(name) + 1 + 3) & ~3ul;
		} else if (tok == FDT_END_NODE) {
			if (depth < 1)
				return -2;
			if (!fn(arg, depth, names[depth], NULL, NULL, 0))
				return 0;
			depth--;
		} else if (tok == FDT_PROP) {
			uint32_t len = fdt_be32(p);
			const char *name =
			    (const char *)strings + fdt_be32(p + 4);

			p += 8;
			if (depth < 1)
				return -2;
			if (!fn(arg, depth, names[depth], name, p, len))
				return 0;
			p += (len + 3) & ~3ul;
		} else if (tok == FDT_END) {
			return 0;
		} else if (tok != FDT_NOP) {
			return -2;
		}
	}
	return 0;
}
