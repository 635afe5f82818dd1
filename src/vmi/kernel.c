/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE /* memmem */
#include "vmi/kernel.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define BANNER_PREFIX "Linux version "
#define IKCFG_START   "IKCFG_ST"
#define IKCFG_END     "IKCFG_ED"

int vmi_banner_find(const void *buf, size_t len, char *banner, size_t size)
{
	const char *p = buf, *end = p + len;
	size_t plen = strlen(BANNER_PREFIX);

	while ((p = memmem(p, (size_t)(end - p), BANNER_PREFIX, plen))) {
		const char *s = p, *e = p + plen;

		p += plen;
		if (e >= end || *e < '0' || *e > '9')
			continue; /* a format string, not the banner */
		while (e < end && *e != '\n' && *e != '\0')
			e++;
		if ((size_t)(e - s) >= size)
			return -ENAMETOOLONG;
		memcpy(banner, s, (size_t)(e - s));
		banner[e - s] = '\0';
		return 0;
	}
	return -ENOENT;
}

int vmi_banner_parse(struct vmi_kernel *k)
{
	const char *r = k->banner + strlen(BANNER_PREFIX);
	size_t n = strcspn(r, " ");

	if (strncmp(k->banner, BANNER_PREFIX, strlen(BANNER_PREFIX)) || !n ||
	    n >= sizeof(k->release))
		return -EINVAL;
	memcpy(k->release, r, n);
	k->release[n] = '\0';
	k->sublevel = 0;
	if (sscanf(k->release, "%u.%u.%u", &k->version, &k->patchlevel,
		   &k->sublevel) < 2)
		return -EINVAL;
	return 0;
}

int vmi_ikconfig_extract(const void *buf, size_t len, struct vmi_kernel *k)
{
	const char *st = memmem(buf, len, IKCFG_START, strlen(IKCFG_START));
	const char *gz, *ed;
	z_stream z = {0};
	size_t cap = 1 << 16, used = 0;
	char *out;
	int r;

	if (!st)
		return -ENOENT;
	gz = st + strlen(IKCFG_START);
	ed = memmem(gz, len - (size_t)(gz - (const char *)buf), IKCFG_END,
		    strlen(IKCFG_END));
	if (!ed)
		return -EBADMSG;
	out = malloc(cap);
	if (!out)
		return -ENOMEM;
	/* 16 + MAX_WBITS: a gzip stream, as scripts/extract-ikconfig finds. */
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
		free(out);
		return -ENOMEM;
	}
	z.next_in = (Bytef *)gz;
	z.avail_in = (uInt)(ed - gz);
	do {
		if (cap - used < 4096) {
			char *bigger = realloc(out, cap * 2);
			if (!bigger) {
				r = -ENOMEM;
				goto err;
			}
			out = bigger;
			cap *= 2;
		}
		z.next_out = (Bytef *)out + used;
		z.avail_out = (uInt)(cap - used - 1);
		r = inflate(&z, Z_NO_FLUSH);
		used = cap - 1 - z.avail_out;
	} while (r == Z_OK);
	if (r != Z_STREAM_END) {
		r = r == Z_MEM_ERROR ? -ENOMEM : -EBADMSG;
		goto err;
	}
	inflateEnd(&z);
	out[used] = '\0';
	k->config = out;
	k->config_len = used;
	return 0;

err:
	inflateEnd(&z);
	free(out);
	return r;
}

int vmi_kernel_read(const char *path, struct vmi_kernel *k)
{
	struct stat st;
	void *map;
	int fd, r;

	memset(k, 0, sizeof(*k));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out_close;
	}
	if (st.st_size == 0) {
		r = -ENOMSG;
		goto out_close;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		r = -errno;
		goto out_close;
	}
	r = vmi_banner_find(map, (size_t)st.st_size, k->banner,
			    sizeof(k->banner));
	if (!r)
		r = vmi_banner_parse(k) ? -ENOMSG : 0;
	else if (r == -ENOENT)
		r = -ENOMSG;
	if (!r) {
		int c = vmi_ikconfig_extract(map, (size_t)st.st_size, k);
		if (c && c != -ENOENT)
			r = c;
	}
	munmap(map, (size_t)st.st_size);
out_close:
	close(fd);
	if (r)
		vmi_kernel_free(k);
	return r;
}

void vmi_kernel_free(struct vmi_kernel *k)
{
	free(k->config);
	k->config = NULL;
	k->config_len = 0;
}
