/*
 * fp.c — the FP-heavy CPU benchmark guest program: the classic five-body
 * simulation (Sun, Jupiter, Saturn, Uranus, Neptune) in double precision,
 * STEPS steps of symplectic Euler: sqrt, division, multiply-add.
 *
 * Prints the energy before and after (fixed by IEEE 754 arithmetic, so the
 * same on every correct machine) and its own wall time:
 *
 *   BENCH fp steps=N energy=-0.169075164 -> -0.169083134 seconds=S
 *
 * An optional argument overrides the number of steps.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bench.h"

enum { BODIES = 5, STEPS = 300000 };

static const double PI = 3.141592653589793;
static const double DAYS_PER_YEAR = 365.24;

struct body {
	double x[3], v[3], mass;
};

/* clang-format off */
static struct body bodies[BODIES] = {
	{{0, 0, 0}, {0, 0, 0}, 0}, /* the Sun; mass set in init() */
	{{4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01},
	 {1.66007664274403694e-03, 7.69901118419740425e-03, -6.90460016972063023e-05},
	 9.54791938424326609e-04},
	{{8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01},
	 {-2.76742510726862411e-03, 4.99852801234917238e-03, 2.30417297573763929e-05},
	 2.85885980666130812e-04},
	{{1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01},
	 {2.96460137564761618e-03, 2.37847173959480950e-03, -2.96589568540237556e-05},
	 4.36624404335156298e-05},
	{{1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01},
	 {2.68067772490389322e-03, 1.62824170038242295e-03, -9.51592254519715870e-05},
	 5.15138902046611451e-05},
};
/* clang-format on */

static void init(void)
{
	const double solar_mass = 4 * PI * PI;
	double p[3] = {0, 0, 0};

	for (int i = 1; i < BODIES; i++) {
		for (int k = 0; k < 3; k++)
			bodies[i].v[k] *= DAYS_PER_YEAR;
		bodies[i].mass *= solar_mass;
	}
	bodies[0].mass = solar_mass;
	for (int i = 0; i < BODIES; i++)
		for (int k = 0; k < 3; k++)
			p[k] += bodies[i].v[k] * bodies[i].mass;
	for (int k = 0; k < 3; k++)
		bodies[0].v[k] = -p[k] / solar_mass;
}

static double energy(void)
{
	double e = 0;

	for (int i = 0; i < BODIES; i++) {
		struct body *b = &bodies[i];

		e +=
		    0.5 * b->mass *
		    (b->v[0] * b->v[0] + b->v[1] * b->v[1] + b->v[2] * b->v[2]);
		for (int j = i + 1; j < BODIES; j++) {
			double d[3], d2 = 0;

			for (int k = 0; k < 3; k++) {
				d[k] = b->x[k] - bodies[j].x[k];
				d2 += d[k] * d[k];
			}
			e -= b->mass * bodies[j].mass / sqrt(d2);
		}
	}
	return e;
}

static void advance(double dt)
{
	for (int i = 0; i < BODIES; i++) {
		struct body *b = &bodies[i];

		for (int j = i + 1; j < BODIES; j++) {
			struct body *c = &bodies[j];
			double d[3], d2 = 0, mag;

			for (int k = 0; k < 3; k++) {
				d[k] = b->x[k] - c->x[k];
				d2 += d[k] * d[k];
			}
			mag = dt / (d2 * sqrt(d2));
			for (int k = 0; k < 3; k++) {
				b->v[k] -= d[k] * c->mass * mag;
				c->v[k] += d[k] * b->mass * mag;
			}
		}
	}
	for (int i = 0; i < BODIES; i++)
		for (int k = 0; k < 3; k++)
			bodies[i].x[k] += dt * bodies[i].v[k];
}

int main(int argc, char **argv)
{
	long steps = argc > 1 ? atol(argv[1]) : STEPS;
	double t0, t1, e0, e1;

	init();
	t0 = seconds();
	e0 = energy();
	for (long s = 0; s < steps; s++)
		advance(0.01);
	e1 = energy();
	t1 = seconds();
	printf("BENCH fp steps=%ld energy=%.9f -> %.9f seconds=%.3f\n", steps,
	       e0, e1, t1 - t0);
	return 0;
}
