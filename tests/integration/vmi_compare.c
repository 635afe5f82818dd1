/* SPDX-License-Identifier: MIT */
/*
 * vmi_compare MAP CONSOLE — hold memvisor's page map of a guest (the file
 * of `memvisor ctl inspect --map`) against the guest kernel's own account
 * of the same moment (guest/init/vmi.c's console output: VMI-RUN lines
 * from /proc/kpageflags, VMI-BUDDYINFO from /proc/buddyinfo).
 *
 * Passes (exit 0) when, over the frames of the map, per-frame agreement on
 * the classes is at least 99.9% and memvisor's free pages (heads x 2^order)
 * are within 0.1% of buddyinfo's. Prints the figures and, on failure, what
 * disagreed.
 *
 * vmi_compare --exact MAP CONSOLE — the same, but every frame must agree
 * and the free pages must be buddyinfo's exactly.
 *
 * vmi_compare --free-only MAP FREE_MAP — FREE_MAP is a map of the same
 * moment taken with `inspect --free-only`: it must hold exactly MAP's free
 * blocks and holes, and "other" for every frame MAP says is in use.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <memvisor/vmi.h>

#define MIN_AGREEMENT 0.999
#define MAX_FREE_DIFF 0.001

/* The kernel's letters (guest/init/vmi.c) for memvisor's classes. */
static char letter_of(uint8_t byte)
{
	switch (MEMVISOR_VMI_CLASS(byte)) {
	case MEMVISOR_PAGE_FREE:
	case MEMVISOR_PAGE_FREE_TAIL:
		return 'F';
	case MEMVISOR_PAGE_SLAB:
		return 'S';
	case MEMVISOR_PAGE_PGTABLE:
		return 'T';
	case MEMVISOR_PAGE_ANON:
		return 'A';
	case MEMVISOR_PAGE_FILE:
		return 'L';
	case MEMVISOR_PAGE_KERNEL:
		return 'K';
	default:
		return 'O';
	}
}

static const char letters[] = "FSTALKO";

static int index_of(char c)
{
	const char *p = strchr(letters, c);

	return p && c ? (int)(p - letters) : -1;
}

/* The page map file at path: its header into *head, its bytes returned
 * (malloc'd), or NULL after saying what was wrong. */
static uint8_t *read_map(const char *path, struct memvisor_page_map_file *head)
{
	FILE *f = fopen(path, "rb");
	uint8_t *map;

	if (!f || fread(head, sizeof(*head), 1, f) != 1 ||
	    memcmp(head->magic, MEMVISOR_PAGE_MAP_MAGIC, sizeof(head->magic))) {
		fprintf(stderr, "vmi_compare: %s is not a page map\n", path);
		return NULL;
	}
	map = malloc(head->frames);
	if (!map || fread(map, 1, head->frames, f) != head->frames) {
		fprintf(stderr, "vmi_compare: %s is short\n", path);
		free(map);
		map = NULL;
	}
	fclose(f);
	return map;
}

static bool is_free_or_hole(uint8_t byte)
{
	unsigned c = MEMVISOR_VMI_CLASS(byte);

	return c == MEMVISOR_PAGE_FREE || c == MEMVISOR_PAGE_FREE_TAIL ||
	       c == MEMVISOR_PAGE_HOLE;
}

static int compare_free_only(const char *full_path, const char *free_path)
{
	struct memvisor_page_map_file fh, ph;
	uint8_t *full = read_map(full_path, &fh), *part;
	unsigned long long wrong = 0, free_frames = 0;

	part = read_map(free_path, &ph);
	if (!full || !part)
		return 2;
	if (fh.min_pfn != ph.min_pfn || fh.frames != ph.frames) {
		fprintf(stderr, "vmi_compare: the maps cover other frames\n");
		return 1;
	}
	for (unsigned long long i = 0; i < fh.frames; i++) {
		uint8_t want =
		    is_free_or_hole(full[i]) ? full[i] : MEMVISOR_PAGE_OTHER;

		free_frames +=
		    MEMVISOR_VMI_CLASS(want) == MEMVISOR_PAGE_FREE ||
		    MEMVISOR_VMI_CLASS(want) == MEMVISOR_PAGE_FREE_TAIL;
		if (part[i] != want && wrong++ < 5)
			printf("pfn 0x%llx: full map byte %u, free-only %u\n",
			       fh.min_pfn + i, full[i], part[i]);
	}
	printf("free-only map: %llu of %llu frames differ from the full "
	       "map's free set (%llu free frames)\n",
	       wrong, fh.frames, free_frames);
	free(full);
	free(part);
	return wrong || !free_frames ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct memvisor_page_map_file head;
	unsigned long long confusion[7][7] = {{0}};
	unsigned long long free_buddy = 0, free_map = 0, agree = 0, seen = 0;
	double min_agreement = MIN_AGREEMENT, max_free_diff = MAX_FREE_DIFF;
	uint8_t *map;
	char *kernel, line[256];
	FILE *f;
	int ok;

	if (argc == 4 && !strcmp(argv[1], "--free-only"))
		return compare_free_only(argv[2], argv[3]);
	if (argc == 4 && !strcmp(argv[1], "--exact")) {
		min_agreement = 1;
		max_free_diff = 0;
		argv++;
		argc--;
	}
	if (argc != 3) {
		fprintf(stderr,
			"usage: vmi_compare [--exact] MAP CONSOLE\n"
			"       vmi_compare --free-only MAP FREE_MAP\n");
		return 2;
	}
	map = read_map(argv[1], &head);
	kernel = calloc(head.frames, 1);
	if (!map || !kernel)
		return 2;

	f = fopen(argv[2], "r");
	if (!f) {
		perror(argv[2]);
		return 2;
	}
	while (fgets(line, sizeof(line), f)) {
		unsigned long long pfn, n;
		char c;

		if (sscanf(line, "VMI-BUDDYINFO free=%llu", &free_buddy) == 1)
			continue;
		if (sscanf(line, "VMI-RUN %llu %llu %c", &pfn, &n, &c) != 3)
			continue;
		for (unsigned long long p = pfn; p < pfn + n; p++)
			if (p >= head.min_pfn && p - head.min_pfn < head.frames)
				kernel[p - head.min_pfn] = c;
	}
	fclose(f);

	for (uint64_t i = 0; i < head.frames; i++) {
		int k = index_of(kernel[i]), m = index_of(letter_of(map[i]));

		if (MEMVISOR_VMI_CLASS(map[i]) == MEMVISOR_PAGE_FREE)
			free_map += 1ull << MEMVISOR_VMI_ORDER(map[i]);
		if (k < 0)
			continue; /* the kernel has no struct page there */
		seen++;
		agree += k == m;
		confusion[k][m]++;
	}

	double agreement = seen ? (double)agree / (double)seen : 0;
	double free_diff = free_buddy ? (double)(free_map > free_buddy
						     ? free_map - free_buddy
						     : free_buddy - free_map) /
					    (double)free_buddy
				      : 1;
	/* Exact is exact: counts, not a ratio rounded. */
	ok = seen > 0 &&
	     (min_agreement < 1 ? agreement >= min_agreement : agree == seen) &&
	     (max_free_diff > 0 ? free_diff <= max_free_diff
				: free_map == free_buddy && free_buddy > 0);
	printf("frames compared %llu, agreeing %llu: %.4f%% (need %.1f%%)\n",
	       seen, agree, 100 * agreement, 100 * min_agreement);
	printf("free pages: memvisor %llu, buddyinfo %llu: off by %.4f%% "
	       "(at most %.1f%%)\n",
	       free_map, free_buddy, 100 * free_diff, 100 * max_free_diff);
	printf("per class (kernel -> memvisor):");
	for (int k = 0; k < 7; k++)
		printf(" %c %llu/%llu", letters[k], confusion[k][k],
		       confusion[k][0] + confusion[k][1] + confusion[k][2] +
			   confusion[k][3] + confusion[k][4] + confusion[k][5] +
			   confusion[k][6]);
	printf("\n");
	for (int k = 0; k < 7; k++)
		for (int m = 0; m < 7; m++)
			if (k != m && confusion[k][m])
				printf(
				    "  kernel %c, memvisor %c: %llu frames\n",
				    letters[k], letters[m], confusion[k][m]);
	free(map);
	free(kernel);
	return ok ? 0 : 1;
}
