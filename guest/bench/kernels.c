/*
 * kernels.c — CPU-bound kernels for a Linux guest (bench/cpu-linux.sh, and
 * the stress test tests/integration/stress.sh), one per run:
 *
 *   kernels NAME [PERCENT]
 *
 *   int      64-bit mixing: multiplies, rotates, shifts and a division in
 *            eight, in registers
 *   mem      memory-bound: a pointer chase through a random cycle over a
 *            32 MiB array (a TLB and cache miss a step), then streaming
 *            passes over it
 *   branch   a byte-code interpreter (a switch: indirect jumps) running a
 *            Collatz-style program whose branches follow the data
 *   sort     glibc's qsort of a million 64-bit keys (calls through a
 *            function pointer, loads and stores)
 *   threads  four threads adding into one atomic counter and, under a
 *            mutex, into a shared sum (LR/SC or AMOs, futexes)
 *
 * PERCENT sizes the work against the benchmark's (default 100; the stress
 * test runs smaller ones). Prints one line whose check value depends only
 * on NAME and PERCENT, the same on every correct machine (the host too):
 *
 *   KERNEL NAME percent=P check=C
 *
 * and exits 0, or prints a reason and exits 1. Timing is the caller's
 * (guest/bench/timeit.c).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t percent = 100;

/* size: N, the benchmark's amount of something, scaled to PERCENT. */
static uint64_t size(uint64_t n)
{
	uint64_t s = n * percent / 100;

	return s ? s : 1;
}

static uint64_t rotl(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

/* splitmix64's finaliser: a well-mixed 64-bit value per counter. */
static uint64_t mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t k_int(void)
{
	uint64_t a = 1, b = 0x9e3779b97f4a7c15ull, n = size(24000000);

	for (uint64_t i = 0; i < n; i++) {
		a = rotl(a ^ mix(i + b), 23) + b;
		b = b * 6364136223846793005ull + (a >> 7);
		if ((i & 7) == 0)
			a += b / ((a | 1) & 0xffffffff);
	}
	return a ^ b;
}

static uint64_t k_mem(void)
{
	uint32_t words = (uint32_t)size(8 << 20) | 1; /* 32 MiB at 100% */
	uint32_t *next = malloc(words * sizeof(*next)), p = 0;
	uint64_t x = 42, sum = 0, steps = size(4000000);

	if (!next) {
		perror("kernels mem: malloc");
		exit(1);
	}
	/* Sattolo's shuffle: one cycle through every element. */
	for (uint32_t i = 0; i < words; i++)
		next[i] = i;
	for (uint32_t i = words - 1; i > 0; i--) {
		uint32_t j, t;

		x = mix(x);
		j = (uint32_t)(x % i);
		t = next[i];
		next[i] = next[j];
		next[j] = t;
	}
	for (uint64_t s = 0; s < steps; s++) {
		p = next[p];
		sum += p;
	}
	for (uint32_t pass = 0; pass < 4; pass++)
		for (uint32_t i = 0; i < words; i++)
			sum += next[i] ^ pass;
	free(next);
	return sum;
}

/* The byte code of k_branch: r[a] = r[b] OP r[c] or OP c, or a jump to a. */
enum op { ADD, ADDI, SHR1, AND1, MUL3, JZ, JNZ, JLT, DEC, HALT };
struct insn {
	enum op op;
	int a, b, c;
};

static uint64_t interpret(const struct insn *prog, uint64_t *r)
{
	uint64_t steps = 0;

	for (int pc = 0;; steps++) {
		const struct insn *i = &prog[pc++];

		switch (i->op) {
		case ADD:
			r[i->a] = r[i->b] + r[i->c];
			break;
		case ADDI:
			r[i->a] = r[i->b] + (uint64_t)i->c;
			break;
		case SHR1:
			r[i->a] = r[i->b] >> 1;
			break;
		case AND1:
			r[i->a] = r[i->b] & 1;
			break;
		case MUL3:
			r[i->a] = r[i->b] * 3 + 1;
			break;
		case JZ:
			if (!r[i->b])
				pc = i->a;
			break;
		case JNZ:
			if (r[i->b])
				pc = i->a;
			break;
		case JLT:
			if (r[i->b] < r[i->c])
				pc = i->a;
			break;
		case DEC:
			r[i->a]--;
			break;
		case HALT:
			return steps;
		}
	}
}

static uint64_t k_branch(void)
{
	/*
	 * r0 = 0, r1 = n (1 to r4), r2 = v, r3 = steps in all: for each n,
	 * while (v != 1) v = v odd ? 3v + 1 : v / 2.
	 */
	static const struct insn prog[] = {
	    {ADDI, 1, 0, 1}, /* 0: n = 1 */
	    {ADD, 2, 1, 0},  /* 1: v = n */
	    {ADDI, 6, 2, 0}, /* 2: the loop: r6 = v - 1 */
	    {DEC, 6, 0, 0},  /* 3 */
	    {JZ, 10, 6, 0},  /* 4: v == 1: the next n */
	    {ADDI, 3, 3, 1}, /* 5: a step */
	    {AND1, 5, 2, 0}, /* 6 */
	    {JZ, 13, 5, 0},  /* 7: even */
	    {MUL3, 2, 2, 0}, /* 8: v = 3v + 1 */
	    {JZ, 2, 0, 0},   /* 9: the loop */
	    {ADDI, 1, 1, 1}, /* 10: n++ */
	    {JLT, 1, 1, 4},  /* 11: n < limit: v = n */
	    {HALT, 0, 0, 0}, /* 12 */
	    {SHR1, 2, 2, 0}, /* 13: v /= 2 */
	    {JZ, 2, 0, 0},   /* 14: the loop */
	};
	uint64_t r[8] = {0};

	r[4] = size(60000) + 1;
	return interpret(prog, r) * 31 + r[3];
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static uint64_t k_sort(void)
{
	uint64_t n = size(1 << 20), check = 0;
	uint64_t *keys = malloc(n * sizeof(*keys));

	if (!keys) {
		perror("kernels sort: malloc");
		exit(1);
	}
	for (uint64_t i = 0; i < n; i++)
		keys[i] = mix(i);
	qsort(keys, n, sizeof(*keys), cmp_u64);
	for (uint64_t i = 1; i < n; i++)
		if (keys[i - 1] > keys[i]) {
			fprintf(stderr, "kernels sort: not sorted at %lu\n",
				(unsigned long)i);
			exit(1);
		}
	for (uint64_t i = 0; i < n; i += 1024)
		check = check * 31 + keys[i];
	free(keys);
	return check;
}

enum { THREADS = 4 };
static atomic_ulong counter;
static pthread_mutex_t sum_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t shared_sum;

static void *worker(void *arg)
{
	uint64_t id = (uint64_t)(uintptr_t)arg, local = 0, n = size(200000);

	for (uint64_t i = 0; i < n; i++) {
		local += mix(id << 40 | i);
		atomic_fetch_add_explicit(&counter, 1, memory_order_relaxed);
		if ((i & 255) == 0) {
			pthread_mutex_lock(&sum_lock);
			shared_sum +=
			    local; /* a sum: the order does not matter */
			pthread_mutex_unlock(&sum_lock);
			local = 0;
		}
	}
	pthread_mutex_lock(&sum_lock);
	shared_sum += local;
	pthread_mutex_unlock(&sum_lock);
	return NULL;
}

static uint64_t k_threads(void)
{
	unsigned long want = THREADS * size(200000);
	pthread_t t[THREADS];

	for (uintptr_t i = 0; i < THREADS; i++)
		if (pthread_create(&t[i], NULL, worker, (void *)i)) {
			fprintf(stderr,
				"kernels threads: pthread_create failed\n");
			exit(1);
		}
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	if (atomic_load(&counter) != want) {
		fprintf(stderr, "kernels threads: counter %lu, not %lu\n",
			(unsigned long)atomic_load(&counter), want);
		exit(1);
	}
	return shared_sum ^ want;
}

static const struct {
	const char *name;
	uint64_t (*fn)(void);
} kernels[] = {
    {"int", k_int},   {"mem", k_mem},	      {"branch", k_branch},
    {"sort", k_sort}, {"threads", k_threads},
};

int main(int argc, char **argv)
{
	long pct = argc > 2 ? atol(argv[2]) : 100;

	if (argc < 2 || pct < 1) {
		fprintf(stderr, "usage: kernels int|mem|branch|sort|threads "
				"[PERCENT >= 1]\n");
		return 2;
	}
	percent = (uint64_t)pct;
	for (size_t i = 0; i < sizeof(kernels) / sizeof(kernels[0]); i++)
		if (!strcmp(argv[1], kernels[i].name)) {
			uint64_t check = kernels[i].fn();

			printf("KERNEL %s percent=%ld check=%llu\n", argv[1],
			       pct, (unsigned long long)check);
			return 0;
		}
	fprintf(stderr, "kernels: no kernel %s\n", argv[1]);
	return 2;
}
