/* SPDX-License-Identifier: MIT */
/*
 * CPU-bound kernels for comparing CPU tiers (bench/tiers.sh): integer
 * mixing, memory passes, unpredictable branches, calls and returns, a
 * sort, and floating point (an n-body step in double, a matrix multiply
 * in single precision: fmadd.s). Each times itself with the time CSR
 * (10 MHz on memvisor and on QEMU's virt) and prints one line
 *   BENCH <name> ticks=<time units> check=<checksum>
 * so that the runner can check every tier computed the same thing. Then
 * "BENCH-DONE". Output through the SBI legacy console putchar.
 */
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static void sbi_putchar(int c)
{
	register long a0 __asm__("a0") = c;
	register long a7 __asm__("a7") = 1; /* legacy console_putchar */

	__asm__ volatile("ecall" : "+r"(a0) : "r"(a7) : "memory");
}

static void puts_(const char *s)
{
	while (*s)
		sbi_putchar(*s++);
}

static void putu(uint64_t v)
{
	char buf[24];
	int n = 0;

	do {
		buf[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		sbi_putchar(buf[--n]);
}

static uint64_t rdtime(void)
{
	uint64_t t;

	__asm__ volatile("rdtime %0" : "=r"(t));
	return t;
}

/* Integer mixing: xorshift and multiply, no memory. */
static uint64_t k_int(void)
{
	uint64_t x = 88172645463325252ull, acc = 0;

	for (uint32_t i = 0; i < 20000000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		acc += (x * 0x9e3779b97f4a7c15ull) >> (i & 31);
		acc ^= (uint32_t)acc << 3;
	}
	return acc;
}

static uint32_t arr[16384];

/* Memory: passes over a 64 KiB array, each element from its neighbour. */
static uint64_t k_mem(void)
{
	uint64_t sum = 0;

	for (uint32_t i = 0; i < ARRAY_SIZE(arr); i++)
		arr[i] = i * 2654435761u;
	for (int pass = 0; pass < 200; pass++) {
		for (uint32_t i = 1; i < ARRAY_SIZE(arr); i++)
			arr[i] = arr[i] * 3 + (arr[i - 1] >> 2);
		sum += arr[pass * 61 % ARRAY_SIZE(arr)];
	}
	return sum;
}

/* Branches: Collatz lengths, taken or not as the numbers go. */
static uint64_t k_branch(void)
{
	uint64_t total = 0;

	for (uint64_t n = 1; n < 300000; n++) {
		uint64_t v = n;

		while (v != 1) {
			if (v & 1)
				v = 3 * v + 1;
			else
				v >>= 1;
			total++;
		}
	}
	return total;
}

/* Calls and returns: naive Fibonacci (noinline: real calls). */
__attribute__((noinline)) static uint64_t fib(uint32_t n)
{
	return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

static uint64_t k_call(void)
{
	return fib(30);
}

static uint32_t sorted[32768];

static void quicksort(uint32_t *a, int lo, int hi)
{
	while (lo < hi) {
		uint32_t p = a[(lo + hi) / 2];
		int i = lo, j = hi;

		while (i <= j) {
			while (a[i] < p)
				i++;
			while (a[j] > p)
				j--;
			if (i <= j) {
				uint32_t t = a[i];

				a[i++] = a[j];
				a[j--] = t;
			}
		}
		if (j - lo < hi - i) {
			quicksort(a, lo, j);
			lo = i;
		} else {
			quicksort(a, i, hi);
			hi = j;
		}
	}
}

/* A sort: loads, stores, compares, recursion. */
static uint64_t k_sort(void)
{
	uint64_t check = 0;
	uint32_t x = 12345;

	for (int round = 0; round < 8; round++) {
		for (uint32_t i = 0; i < ARRAY_SIZE(sorted); i++) {
			x = x * 1103515245u + 12345u;
			sorted[i] = x >> 3;
		}
		quicksort(sorted, 0, ARRAY_SIZE(sorted) - 1);
		for (uint32_t i = 0; i < ARRAY_SIZE(sorted); i += 1024)
			check = check * 31 + sorted[i];
	}
	return check;
}

/* The bits of a double, for a checksum every tier must reproduce. */
static uint64_t bits_d(double d)
{
	uint64_t u;

	__builtin_memcpy(&u, &d, sizeof(u));
	return u;
}

static double sqrt_d(double v)
{
	double r;

	__asm__("fsqrt.d %0, %1" : "=f"(r) : "f"(v));
	return r;
}

/* Double precision: a five-body gravity simulation (mul, add, div, sqrt). */
static uint64_t k_nbody(void)
{
	enum { N = 5 };
	double x[N], y[N], z[N], vx[N], vy[N], vz[N], m[N];
	uint64_t check = 0;

	for (int i = 0; i < N; i++) {
		x[i] = 1.5 * i - 3.0;
		y[i] = 0.25 * i * i - 1.0;
		z[i] = 0.5 - 0.125 * i;
		vx[i] = 0.01 * (N - i);
		vy[i] = -0.02 * i;
		vz[i] = 0.005 * i;
		m[i] = 1.0 + 0.1 * i;
	}
	for (int step = 0; step < 30000; step++) {
		for (int i = 0; i < N; i++)
			for (int j = i + 1; j < N; j++) {
				double dx = x[i] - x[j], dy = y[i] - y[j];
				double dz = z[i] - z[j];
				double d2 = dx * dx + dy * dy + dz * dz + 0.01;
				double mag = 0.001 / (d2 * sqrt_d(d2));

				vx[i] -= dx * m[j] * mag;
				vy[i] -= dy * m[j] * mag;
				vz[i] -= dz * m[j] * mag;
				vx[j] += dx * m[i] * mag;
				vy[j] += dy * m[i] * mag;
				vz[j] += dz * m[i] * mag;
			}
		for (int i = 0; i < N; i++) {
			x[i] += 0.001 * vx[i];
			y[i] += 0.001 * vy[i];
			z[i] += 0.001 * vz[i];
		}
	}
	for (int i = 0; i < N; i++)
		check = check * 31 + bits_d(x[i]) + bits_d(vy[i]);
	return check;
}

static float ma[48][48], mb[48][48], mc[48][48];

/* Single precision: 48x48 matrix products, one element of each row of
 * the left factor changed between rounds (fmadd.s, NaN-boxed loads and
 * stores). */
static uint64_t k_matmul(void)
{
	uint64_t check = 0;

	for (int i = 0; i < 48; i++)
		for (int j = 0; j < 48; j++) {
			ma[i][j] =
			    (float)((i * 7 + j * 3) % 17) * 0.125f - 1.0f;
			mb[i][j] =
			    (float)((i * 5 + j * 11) % 13) * 0.25f - 1.5f;
		}
	for (int round = 0; round < 60; round++) {
		for (int i = 0; i < 48; i++)
			for (int j = 0; j < 48; j++) {
				float s = 0.0f;

				for (int k = 0; k < 48; k++)
					s += ma[i][k] * mb[k][j];
				mc[i][j] = s;
			}
		for (int i = 0; i < 48; i++) {
			check = check * 31 + bits_d((double)mc[i][i]);
			ma[i][(i + round) % 48] += 0.0625f;
		}
	}
	return check;
}

static const struct {
	const char *name;
	uint64_t (*fn)(void);
} kernels[] = {
    {"int", k_int},	  {"mem", k_mem},   {"branch", k_branch},
    {"call", k_call},	  {"sort", k_sort}, {"nbody", k_nbody},
    {"matmul", k_matmul},
};

int main(void)
{
	for (unsigned i = 0; i < ARRAY_SIZE(kernels); i++) {
		uint64_t t0 = rdtime(), check = kernels[i].fn();
		uint64_t t1 = rdtime();

		puts_("BENCH ");
		puts_(kernels[i].name);
		puts_(" ticks=");
		putu(t1 - t0);
		puts_(" check=");
		putu(check);
		puts_("\n");
	}
	puts_("BENCH-DONE\n");
	return 0;
}
