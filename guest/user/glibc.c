/*
 * glibc.c — /init of the glibc guest: Debian's riscv64 glibc (rv64gc, lp64d,
 * static) doing what ordinary programs do with floating point and threads,
 * printing results whose every bit is fixed by IEEE 754 and glibc's own
 * algorithms. tests/integration/glibc.sh runs it under QEMU (the oracle) and
 * under memvisor with the same kernel and compares the text exactly.
 *
 * Output, between two marker lines:
 *
 *   GLIBC-TEST-BEGIN
 *   <section> ...            one line per result; doubles also in %a, so a
 *                            one-ulp difference shows
 *   GLIBC-TEST-END failures=N
 *
 * N counts the self-checks that failed (results IEEE 754 or C fixes
 * exactly: a mutex-protected counter, strtod of exact values, rounding of
 * divisions in each mode, exception flags); each failure also prints a line
 * "FAIL: ...". The comparison with QEMU covers everything else.
 *
 * As /init it mounts nothing: the kernel opens /dev/console (a node in the
 * archive, see guest/init/pack) as stdin/stdout/stderr. Everything is
 * printed through one fully buffered stdout and written at the end, so
 * kernel messages cannot land in the middle of a line. Then it powers off.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fenv.h>
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <unistd.h>

static int failures;

static void check(int ok, const char *what)
{
	if (!ok) {
		printf("FAIL: %s\n", what);
		failures++;
	}
}

static uint64_t bits(double d)
{
	uint64_t u;

	memcpy(&u, &d, sizeof(u));
	return u;
}

static double from_bits(uint64_t u)
{
	double d;

	memcpy(&d, &u, sizeof(d));
	return d;
}

/* Values with every kind of edge printf and libm have. */
/* clang-format off */
static const double special[] = {
	0.0, -0.0, 1.0, -1.0, 0.1, 0.5, 1.5, 2.5, -2.5, 1.0 / 3.0, 2.0 / 3.0,
	9.995, 0.000123456, 123456789.125, 1e21, 1e22, 1e-300, 1e300,
	DBL_MIN, DBL_TRUE_MIN, 3 * DBL_TRUE_MIN, DBL_MIN - DBL_TRUE_MIN,
	DBL_MAX, DBL_EPSILON, 4503599627370496.5, 9007199254740993.0,
	INFINITY, -INFINITY, NAN, -NAN,
};
/* clang-format on */
#define N_SPECIAL (sizeof(special) / sizeof(special[0]))

/* ---- printf ---------------------------------------------------------- */

static void test_printf(void)
{
	/* clang-format off */
	static const char *const formats[] = {
		"%f", "%.0f", "%.1f", "%.20f", "%e", "%.0e", "%.3e", "%.17e",
		"%g", "%.1g", "%.10g", "%.17g", "%#g", "%a", "%.0a", "%.3a",
		"%+015.4f", "%-14.2e|", "% .5g", "%A",
	};
	/* clang-format on */

	for (size_t i = 0; i < N_SPECIAL; i++) {
		printf("printf %zu bits=%016llx:", i,
		       (unsigned long long)bits(special[i]));
		for (size_t f = 0; f < sizeof(formats) / sizeof(formats[0]);
		     f++) {
			char buf[400];

			snprintf(buf, sizeof(buf), formats[f], special[i]);
			printf(" [%s]", buf);
		}
		printf("\n");
	}
	/* Huge precision and long double (binary128, in software). */
	printf("printf big %.60f %.40e\n", 0.1, DBL_TRUE_MIN);
	printf("printf long double %.30Lf %La %Lg\n", 1.0L / 3.0L, 0.1L,
	       (long double)DBL_MAX * 1e10L);
	printf("printf float %f %a %.9g\n", (double)(1.0f / 3.0f),
	       (double)FLT_MIN, (double)FLT_TRUE_MIN);
}

/* ---- libm ------------------------------------------------------------ */

static void print_result(const char *name, double x, double r)
{
	printf("libm %s(%.17g) = %.17g %a\n", name, x, r, r);
}

static void test_libm(void)
{
	/* clang-format off */
	static const double inputs[] = {
		0.0, -0.0, 1e-310, 1e-8, 0.5, 1.0, 1.5, 2.0, 3.0, 10.0, 100.0,
		-0.75, -3.5, 1e6, 1e22, 710.0, -745.5, 6.283185307179586,
		1.5707963267948966, 0.1, INFINITY, -INFINITY, NAN,
	};
	/* clang-format on */

	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		double x = inputs[i];
		int sign = 0;
		double lg;

		print_result("sin", x, sin(x));
		print_result("cos", x, cos(x));
		print_result("exp", x, exp(x));
		print_result("log", x, log(x));
		print_result("sqrt", x, sqrt(x));
		print_result("cbrt", x, cbrt(x));
		print_result("tan", x, tan(x));
		print_result("atan", x, atan(x));
		print_result("expm1", x, expm1(x));
		print_result("log1p", x, log1p(x));
		print_result("sinh", x, sinh(x));
		print_result("erf", x, erf(x));
		lg = lgamma_r(x, &sign);
		printf("libm lgamma(%.17g) = %.17g %a sign=%d\n", x, lg, lg,
		       sign);
		print_result("tgamma", x, tgamma(x));
		print_result("pow(x,1.5)", x, pow(x, 1.5));
		print_result("pow(1.5,x)", x, pow(1.5, x));
		print_result("pow(x,-2)", x, pow(x, -2.0));
		print_result("hypot(x,3)", x, hypot(x, 3.0));
		print_result("fma(x,x,-1)", x, fma(x, x, -1.0));
		print_result("atan2(x,-2)", x, atan2(x, -2.0));
		print_result("fmod(x,0.7)", x, fmod(x, 0.7));
		print_result("sinf", x, (double)sinf((float)x));
		print_result("expf", x, (double)expf((float)x));
		print_result("sqrtf", x, (double)sqrtf((float)x));
		print_result("fmaf(x,x,-1)", x,
			     (double)fmaf((float)x, (float)x, -1.0f));
	}
	/* Results fixed exactly by IEEE 754 (correctly rounded operations). */
	check(sqrt(2.0) == from_bits(0x3ff6a09e667f3bcdULL), "sqrt(2)");
	check(fma(0x1p-30 + 1, 0x1p-30 + 1, -1) == 0x1p-29 + 0x1p-60,
	      "fma keeps the low product bits");
	check(hypot(3.0, 4.0) == 5.0, "hypot(3,4)");
	check(cbrt(27.0) == 3.0, "cbrt(27)");
	check(pow(2.0, -1074) == DBL_TRUE_MIN, "pow(2,-1074)");
	check(signbit(sqrt(-0.0)), "sqrt(-0) is -0");
	check(isnan(sqrt(-1.0)), "sqrt(-1) is nan");
}

/* ---- qsort ----------------------------------------------------------- */

/* Total order: by value, -0 before +0, NaN last. */
static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	if (isnan(x) || isnan(y))
		return isnan(x) - isnan(y);
	if (x < y)
		return -1;
	if (x > y)
		return 1;
	return signbit(y) - signbit(x);
}

struct record {
	double score;
	int id;
	char name[12];
};

static int cmp_record(const void *a, const void *b)
{
	const struct record *r = a, *s = b;

	if (r->score != s->score)
		return r->score < s->score ? 1 : -1; /* descending */
	if (strcmp(r->name, s->name))
		return strcmp(r->name, s->name);
	return r->id - s->id;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

/* splitmix64: the same sequence everywhere. */
static uint64_t rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void test_qsort(void)
{
	enum { N = 2000, M = 300 };
	static double v[N];
	static struct record recs[M];
	uint64_t hash = 0;
	int sorted = 1;

	for (int i = 0; i < N; i++) {
		/* A mix of magnitudes, signs and specials. */
		int64_t r = (int64_t)rng();

		v[i] = (double)(r >> 11) * pow(2.0, (double)(i % 61) - 30.0);
		if (i % 97 == 0)
			v[i] = special[(size_t)i % N_SPECIAL];
	}
	qsort(v, N, sizeof(v[0]), cmp_double);
	for (int i = 0; i < N; i++) {
		hash = (hash ^ bits(v[i])) * 0x100000001b3ULL;
		if (i && cmp_double(&v[i - 1], &v[i]) > 0)
			sorted = 0;
	}
	check(sorted, "qsort of doubles is sorted");
	printf("qsort doubles first=%a second=%a median=%a last-finite=%a "
	       "hash=%016llx\n",
	       v[0], v[1], v[N / 2], v[N - 1 - N / 97],
	       (unsigned long long)hash);

	for (int i = 0; i < M; i++) {
		recs[i].score = (double)(rng() % 50) / 4.0;
		recs[i].id = i;
		snprintf(recs[i].name, sizeof(recs[i].name), "n%03d",
			 (int)(rng() % 100));
	}
	qsort(recs, M, sizeof(recs[0]), cmp_record);
	hash = 0;
	for (int i = 0; i < M; i++)
		hash = (hash ^ (uint64_t)recs[i].id) * 0x100000001b3ULL;
	printf("qsort records first=%g/%s/%d last=%g/%s/%d hash=%016llx\n",
	       recs[0].score, recs[0].name, recs[0].id, recs[M - 1].score,
	       recs[M - 1].name, recs[M - 1].id, (unsigned long long)hash);
}

/* ---- strtod ---------------------------------------------------------- */

static void test_strtod(void)
{
	static const struct {
		const char *text;
		uint64_t want; /* bits of the correctly rounded result */
	} cases[] = {
	    {"0.1", 0x3fb999999999999aULL},
	    {"2.2250738585072011e-308", 0x000fffffffffffffULL},
	    {"2.2250738585072012e-308", 0x0010000000000000ULL},
	    {"4.9406564584124654e-324", 0x0000000000000001ULL},
	    {"2.4703282292062327e-324", 0x0000000000000000ULL},
	    {"2.4703282292062328e-324", 0x0000000000000001ULL},
	    {"1.7976931348623157e308", 0x7fefffffffffffffULL},
	    {"1.7976931348623159e308", 0x7ff0000000000000ULL},
	    {"9007199254740993", 0x4340000000000000ULL},
	    {"9007199254740995", 0x4340000000000002ULL},
	    {"0x1.fffffffffffff8p1023", 0x7ff0000000000000ULL},
	    {"0x1p-1074", 0x0000000000000001ULL},
	    {"0x1.8p-1075", 0x0000000000000001ULL},
	    {"-0", 0x8000000000000000ULL},
	    {"1e400", 0x7ff0000000000000ULL},
	    {"-1e-400", 0x8000000000000000ULL},
	    {"123456789012345678901234567890", 0x45f8ee90ff6c373eULL},
	    {"0.30000000000000004", 0x3fd3333333333334ULL},
	    {"   +.5e1xyz", 0x4014000000000000ULL},
	    {"inFinity", 0x7ff0000000000000ULL},
	    {"1.00000000000000011102230246251565404236316680908203125",
	     0x3ff0000000000000ULL},
	    {"1.00000000000000011102230246251565404236316680908203126",
	     0x3ff0000000000001ULL},
	};
	static const char *const loose[] = {
	    "nan", "-nan(123)", "nan(0x7)", "1e", "0x", ".", "e5", "1.5e+"};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *end;
		double d;
		int err;
		char what[120];

		errno = 0;
		d = strtod(cases[i].text, &end);
		err = errno;
		printf("strtod \"%s\" = %a %.17g errno=%d used=%d\n",
		       cases[i].text, d, d, err, (int)(end - cases[i].text));
		snprintf(what, sizeof(what), "strtod \"%s\" rounds correctly",
			 cases[i].text);
		check(bits(d) == cases[i].want, what);
	}
	for (size_t i = 0; i < sizeof(loose) / sizeof(loose[0]); i++) {
		char *end;
		double d = strtod(loose[i], &end);

		printf("strtod \"%s\" = %a signbit=%d used=%d\n", loose[i], d,
		       signbit(d) != 0, (int)(end - loose[i]));
	}
	printf("strtof \"1.17549435e-38\" = %a, \"3.4028236e38\" = %a\n",
	       (double)strtof("1.17549435e-38", NULL),
	       (double)strtof("3.4028236e38", NULL));
}

/* ---- fenv ------------------------------------------------------------ */

/* volatile: the divisions happen at run time, in the current mode; results
 * that only raise flags go to sink. */
static volatile double sink;
static volatile double vnum[] = {1.0, -1.0,	 2.0,  1e308,
				 1.0, 0x1p-1022, 10.0, -7.0};
static volatile double vden[] = {3.0, 3.0, 3.0, 0.1, 49.0, 3.0, 7.0, 1e300};

static void test_fenv(void)
{
	static const struct {
		int mode;
		const char *name;
	} modes[] = {
	    {FE_TONEAREST, "nearest"},
	    {FE_UPWARD, "upward"},
	    {FE_DOWNWARD, "downward"},
	    {FE_TOWARDZERO, "towardzero"},
	};
	volatile double one = 1.0, three = 3.0, zero = 0.0, big = DBL_MAX,
			tiny = DBL_MIN;
	volatile float fone = 1.0f, fthree = 3.0f;
	double third[4];

	for (size_t m = 0; m < 4; m++) {
		double q[sizeof(vnum) / sizeof(vnum[0])];
		volatile double x = 2.5, y = -2.5, s;
		float fq;
		long lx, ly;

		check(fesetround(modes[m].mode) == 0, "fesetround");
		check(fegetround() == modes[m].mode, "fegetround");
		for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++)
			q[i] = vnum[i] / vden[i];
		fq = fone / fthree;
		s = sqrt(three);
		lx = lrint(x);
		ly = lrint(y);
		third[m] = q[0];
		/* printf rounds in the current mode too. */
		printf("fenv %s: 1/3=%.3f -1/3=%.3f rint(2.5)=%g rint(-2.5)=%g "
		       "lrint=%ld,%ld\n",
		       modes[m].name, q[0], q[1], rint(x), rint(y), lx, ly);
		fesetround(FE_TONEAREST);
		printf("fenv %s: q=", modes[m].name);
		for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++)
			printf("%s%a", i ? "," : "", q[i]);
		printf(" 1f/3f=%a sqrt3=%a\n", (double)fq, s);
	}
	/* Directed rounding brackets 1/3 (0x1.5555...p-2: nearest rounds down).
	 */
	check(third[2] < third[1], "downward 1/3 < upward 1/3");
	check(third[3] == third[2], "towardzero 1/3 == downward 1/3");
	check(bits(third[1]) == bits(third[2]) + 1,
	      "1/3 up and down are one ulp apart");
	check(third[0] == third[2], "nearest 1/3 == downward 1/3");

	feclearexcept(FE_ALL_EXCEPT);
	check(fetestexcept(FE_ALL_EXCEPT) == 0, "flags clear");
	sink = one / three;
	check(fetestexcept(FE_ALL_EXCEPT) == FE_INEXACT, "1/3 is inexact only");
	feclearexcept(FE_ALL_EXCEPT);
	sink = one / zero;
	check(fetestexcept(FE_ALL_EXCEPT) == FE_DIVBYZERO,
	      "1/0 is divbyzero only");
	feclearexcept(FE_ALL_EXCEPT);
	sink = zero / zero;
	check(fetestexcept(FE_ALL_EXCEPT) == FE_INVALID, "0/0 is invalid only");
	feclearexcept(FE_ALL_EXCEPT);
	sink = big * three;
	check(fetestexcept(FE_ALL_EXCEPT) == (FE_OVERFLOW | FE_INEXACT),
	      "DBL_MAX*3 overflows");
	feclearexcept(FE_ALL_EXCEPT);
	sink = tiny / three;
	check(fetestexcept(FE_ALL_EXCEPT) == (FE_UNDERFLOW | FE_INEXACT),
	      "DBL_MIN/3 underflows");
	feclearexcept(FE_ALL_EXCEPT);
	sink = three * three;
	check(fetestexcept(FE_ALL_EXCEPT) == 0, "3*3 is exact");
	printf("fenv flags checked\n");
}

/* ---- instructions glibc does not reach: fcvt, fmin/fmax, fclass -------- */

static void test_insns(void)
{
	/* clang-format off */
	static const double in[] = {0.0,       -0.0,       2.5,       -2.5,
				    1e10,      -1e10,      1e20,      -1e20,
				    4294967295.5, INFINITY, -INFINITY, NAN};
	/* clang-format on */

	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		double x = in[i];
		long w, wu, l, lu, rtz;
		unsigned long cls;
		double mn, mx;

		__asm__ volatile("fcvt.w.d %0, %1" : "=r"(w) : "f"(x));
		__asm__ volatile("fcvt.wu.d %0, %1" : "=r"(wu) : "f"(x));
		__asm__ volatile("fcvt.l.d %0, %1" : "=r"(l) : "f"(x));
		__asm__ volatile("fcvt.lu.d %0, %1" : "=r"(lu) : "f"(x));
		__asm__ volatile("fcvt.l.d %0, %1, rtz" : "=r"(rtz) : "f"(x));
		__asm__ volatile("fclass.d %0, %1" : "=r"(cls) : "f"(x));
		__asm__ volatile("fmin.d %0, %1, %2"
				 : "=f"(mn)
				 : "f"(x), "f"(-0.0));
		__asm__ volatile("fmax.d %0, %1, %2"
				 : "=f"(mx)
				 : "f"(x), "f"(0.0));
		printf("insn x=%a w=%lx wu=%lx l=%lx lu=%lx rtz=%ld class=%lx "
		       "min=%a max=%a\n",
		       x, w, wu, l, lu, rtz, cls, mn, mx);
	}
	/* A single-precision NaN box: a double register read as a float. */
	{
		float f;
		uint32_t u;
		double boxed = from_bits(0xffffffff3fc00000ULL),
		       unboxed = from_bits(0x000000003fc00000ULL);

		__asm__ volatile("fadd.s %0, %1, %1" : "=f"(f) : "f"(boxed));
		memcpy(&u, &f, sizeof(u));
		printf("insn nan-boxed 1.5f+1.5f=%08x\n", u);
		__asm__ volatile("fadd.s %0, %1, %1" : "=f"(f) : "f"(unboxed));
		memcpy(&u, &f, sizeof(u));
		printf("insn unboxed +=%08x\n", u);
		check(u == 0x7fc00000,
		      "an improperly boxed float reads as the canonical NaN");
	}
}

/* ---- threads --------------------------------------------------------- */

enum { THREADS = 4, ROUNDS = 20000 };

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static double shared_sum;

struct work {
	int index;
	double result;
};

/* Each thread computes with FP while the others do too, and adds to the
 * shared counter under the mutex. */
static void *worker(void *arg)
{
	struct work *w = arg;
	double acc = 0.0;

	for (int i = 0; i < ROUNDS; i++) {
		acc += sin((double)(i + w->index)) / (1.0 + i);
		pthread_mutex_lock(&lock);
		counter++;
		if (i % 1000 == 0)
			shared_sum +=
			    (double)w->index; /* exact: small integers */
		pthread_mutex_unlock(&lock);
		if (i % 5000 == 0)
			sched_yield();
	}
	w->result = acc;
	return NULL;
}

static void test_threads(void)
{
	pthread_t t[THREADS];
	struct work w[THREADS];

	for (int i = 0; i < THREADS; i++) {
		w[i].index = i;
		w[i].result = 0.0;
		check(pthread_create(&t[i], NULL, worker, &w[i]) == 0,
		      "pthread_create");
	}
	for (int i = 0; i < THREADS; i++) {
		check(pthread_join(t[i], NULL) == 0, "pthread_join");
		printf("thread %d result=%.17g %a\n", i, w[i].result,
		       w[i].result);
	}
	printf("threads counter=%ld shared_sum=%g\n", counter, shared_sum);
	check(counter == (long)THREADS * ROUNDS, "mutex-protected counter");
	check(shared_sum == 20.0 * (0 + 1 + 2 + 3), "mutex-protected sum");
}

int main(void)
{
	static char outbuf[1 << 20];

	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	printf("GLIBC-TEST-BEGIN\n");
	test_printf();
	test_libm();
	test_qsort();
	test_strtod();
	test_fenv();
	test_insns();
	test_threads();
	printf("GLIBC-TEST-END failures=%d\n", failures);
	fflush(stdout);
	if (getpid() == 1) {
		reboot(RB_POWER_OFF);
		for (;;)
			pause();
	}
	return failures ? 1 : 0;
}
