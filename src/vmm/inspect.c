/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE /* asprintf() */
#include "vmm/inspect.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef MEMVISOR_SOURCE_DIR
#error "the Makefile defines MEMVISOR_SOURCE_DIR: where guest/vmi lives"
#endif

struct inspect {
	_Atomic unsigned refs;
	char *kernel, *symbols;
	char *cache_dir, *tree, *config, *interface_dir, *include_dir;
	bool quiet;

	pthread_mutex_t lock; /* held while the profile is built */
	bool built;
	struct vmi_profile profile;
};

static char *inspect_strdup(const char *s, bool *failed)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*failed = true;
	return d;
}

/* symbols given, else System.map, else vmlinux, beside the kernel. */
static char *inspect_symbols_path(const char *kernel, const char *symbols)
{
	static const char *const names[] = {"System.map", "vmlinux"};
	char *real, *path = NULL;
	const char *slash, *dir;
	int dirlen;

	if (symbols)
		return strdup(symbols);
	/* Beside the file itself, not beside a symbolic link to it. */
	real = realpath(kernel, NULL);
	if (real)
		kernel = real;
	slash = strrchr(kernel, '/');
	dirlen = slash ? (int)(slash - kernel) : 1;
	dir = slash ? kernel : ".";
	for (size_t i = 0; i < 2; i++) {
		free(path);
		if (asprintf(&path, "%.*s/%s", dirlen, dir, names[i]) < 0) {
			path = NULL;
			break;
		}
		if (!access(path, R_OK))
			break;
	}
	free(real);
	return path; /* the last guess: its absence is reported later */
}

void inspect_default_config(struct vmi_profile_config *cfg)
{
	static char cache[4096];
	const char *env = getenv("MEMVISOR_CACHE"), *home = getenv("HOME");

	if (env && *env)
		snprintf(cache, sizeof(cache), "%s/vmi", env);
	else
		snprintf(cache, sizeof(cache), "%s/.cache/memvisor/vmi",
			 home && *home ? home : "/tmp");
	memset(cfg, 0, sizeof(*cfg));
	cfg->cache_dir = cache;
	cfg->interface_dir = MEMVISOR_SOURCE_DIR "/guest/vmi";
	cfg->include_dir = MEMVISOR_SOURCE_DIR "/include";
}

int inspect_create(const char *kernel, const char *symbols,
		   const struct vmi_profile_config *cfg, struct inspect **out)
{
	struct vmi_profile_config def;
	struct inspect *in = calloc(1, sizeof(*in));
	bool failed = false;

	if (!in)
		return -ENOMEM;
	if (!cfg) {
		inspect_default_config(&def);
		cfg = &def;
	}
	atomic_init(&in->refs, 1);
	pthread_mutex_init(&in->lock, NULL);
	in->kernel = inspect_strdup(kernel, &failed);
	in->symbols = inspect_symbols_path(kernel, symbols);
	in->cache_dir = inspect_strdup(cfg->cache_dir, &failed);
	in->tree = inspect_strdup(cfg->tree, &failed);
	in->config = inspect_strdup(cfg->config, &failed);
	in->interface_dir = inspect_strdup(cfg->interface_dir, &failed);
	in->include_dir = inspect_strdup(cfg->include_dir, &failed);
	in->quiet = cfg->quiet;
	if (failed || !in->symbols) {
		inspect_put(in);
		return -ENOMEM;
	}
	*out = in;
	return 0;
}

struct inspect *inspect_get(struct inspect *in)
{
	if (in)
		atomic_fetch_add(&in->refs, 1);
	return in;
}

void inspect_put(struct inspect *in)
{
	if (!in || atomic_fetch_sub(&in->refs, 1) != 1)
		return;
	if (in->built)
		vmi_profile_free(&in->profile);
	pthread_mutex_destroy(&in->lock);
	free(in->kernel);
	free(in->symbols);
	free(in->cache_dir);
	free(in->tree);
	free(in->config);
	free(in->interface_dir);
	free(in->include_dir);
	free(in);
}

int inspect_profile(struct inspect *in, const struct vmi_profile **p, char *why,
		    size_t whylen)
{
	struct vmi_profile_config cfg = {
	    .cache_dir = in->cache_dir,
	    .tree = in->tree,
	    .config = in->config,
	    .interface_dir = in->interface_dir,
	    .include_dir = in->include_dir,
	    .quiet = in->quiet,
	};
	int r = 0;

	pthread_mutex_lock(&in->lock);
	if (!in->built) {
		r = vmi_profile_get(&cfg, in->kernel, in->symbols, &in->profile,
				    why, whylen);
		in->built = r == 0;
	}
	if (!r)
		*p = &in->profile;
	pthread_mutex_unlock(&in->lock);
	return r;
}
