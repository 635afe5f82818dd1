/* SPDX-License-Identifier: MIT */
/*
 * /chosen/bootargs from a flattened device tree, written from the
 * Devicetree Specification v0.4, chapter 5 ("Flattened Devicetree (DTB)
 * Format"): a big-endian header, then a structure block of 32-bit tokens.
 */
#include "bootargs.h"

#define FDT_MAGIC      0xd00dfeedu
#define FDT_BEGIN_NODE 1
#define FDT_END_NODE   2
#define FDT_PROP       3
#define FDT_NOP	       4
#define FDT_END	       9

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static bool str_eq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

static size_t str_len(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

const char *bootargs_find(uint64_t dtb)
{
	const uint8_t *fdt = (const uint8_t *)dtb;
	const uint8_t *p, *end;
	const char *strings;
	int depth = 0;
	bool in_chosen = false;

	if (!fdt || be32(fdt) != FDT_MAGIC)
		return "";
	p = fdt + be32(fdt + 8);
	end = p + be32(fdt + 36);
	strings = (const char *)fdt + be32(fdt + 12);
	while (p + 4 <= end) {
		uint32_t tok = be32(p);

		p += 4;
		if (tok == FDT_BEGIN_NODE) {
			const char *name = (const char *)p;
			size_t n = str_len(name);

			depth++;
			/* /chosen is a child of the root (depth 1, "") */
			if (depth == 2)
				in_chosen = str_eq(name, "chosen");
			p += (n + 1 + 3) & ~(size_t)3;
		} else if (tok == FDT_END_NODE) {
			if (depth == 2)
				in_chosen = false;
			depth--;
		} else if (tok == FDT_PROP) {
			uint32_t len, nameoff;

			if (p + 8 > end)
				return "";
			len = be32(p);
			nameoff = be32(p + 4);
			p += 8;
			if (p + len > end)
				return "";
			if (in_chosen && depth == 2 && len > 0 &&
			    p[len - 1] == 0 &&
			    str_eq(strings + nameoff, "bootargs"))
				return (const char *)p;
			p += (len + 3) & ~(uint32_t)3;
		} else if (tok == FDT_NOP) {
			continue;
		} else {
			break; /* FDT_END, or not a token */
		}
	}
	return "";
}

bool bootargs_get(const char *args, const char *key, const char **val,
		  size_t *len)
{
	const char *w = args;

	while (*w) {
		const char *k = key, *e;

		while (*w == ' ')
			w++;
		e = w;
		while (*e && *e != ' ')
			e++;
		while (*k && w < e && *w == *k) {
			w++;
			k++;
		}
		if (!*k && (w == e || *w == '=')) {
			if (w < e)
				w++;
			*val = w;
			*len = (size_t)(e - w);
			return true;
		}
		w = e;
	}
	return false;
}

uint64_t bootargs_num(const char *args, const char *key, uint64_t def)
{
	const char *v;
	size_t len, i;
	uint64_t n = 0;

	if (!bootargs_get(args, key, &v, &len) || len == 0)
		return def;
	for (i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return def;
		n = n * 10 + (uint64_t)(v[i] - '0');
	}
	return n;
}
