/* SPDX-License-Identifier: MIT */
#include "cpu/jit/perfmap.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

static pthread_mutex_t perfmap_lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *perfmap_file;
static int perfmap_bin = -1;
static bool perfmap_tried;

void perfmap_note(const void *code, size_t size, uintptr_t host, unsigned ninsn,
		  const char *name, const void *bytes, size_t off)
{
	pthread_mutex_lock(&perfmap_lock);
	if (!perfmap_tried) {
		char path[64];

		perfmap_tried = true;
		if (getenv("MEMVISOR_PERF_MAP")) {
			snprintf(path, sizeof(path), "/tmp/perf-%d.map",
				 (int)getpid());
			perfmap_file = fopen(path, "a");
			if (!perfmap_file)
				perror(path);
			snprintf(path, sizeof(path), "/tmp/perf-%d.bin",
				 (int)getpid());
			perfmap_bin = open(path, O_WRONLY | O_CREAT, 0644);
			if (perfmap_bin < 0)
				perror(path);
		}
	}
	if (perfmap_file) {
		if (name)
			fprintf(perfmap_file, "%lx %zx %s\n",
				(unsigned long)(uintptr_t)code, size, name);
		else
			fprintf(perfmap_file, "%lx %zx rv:%lx+%u\n",
				(unsigned long)(uintptr_t)code, size,
				(unsigned long)host, ninsn);
		fflush(perfmap_file);
	}
	if (perfmap_bin >= 0 &&
	    pwrite(perfmap_bin, bytes, size, (off_t)off) != (ssize_t)size)
		perror("perf map code");
	pthread_mutex_unlock(&perfmap_lock);
}
