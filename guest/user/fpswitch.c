/*
 * fpswitch.c — /init of the FP context-switch guest: several processes keep
 * their own values in all 32 f registers and fcsr while the kernel preempts
 * them, moves them between CPUs and delivers signals whose handler
 * overwrites every FP register. A kernel (or a machine) that loses or mixes
 * FP state between tasks shows here.
 *
 * PROCS processes (this one and PROCS-1 forked children) each run for
 * SECONDS of wall time, in chunks. A chunk is one asm block: load a bit
 * pattern distinct per process and per register into f0-f31 and fcsr, spin
 * (timer interrupts preempt it here; every 8th chunk also calls sched_yield
 * from inside the block), then store f0-f31 and fcsr and compare them with
 * the pattern. Between chunks a process sometimes signals another; the
 * handler clobbers all f registers and fcsr, which sigreturn must undo.
 *
 * Output: an info line per process (counts vary from run to run), then one
 * marker line:
 *
 *   FPSWITCH-PASS procs=4                  every check held in every process
 *   FPSWITCH-FAIL <what>                   the first thing that went wrong
 *
 * A process that saw neither a context switch nor a signal fails too: then
 * the test tested nothing. Powers the machine off at the end when it is
 * /init (pid 1).
 */

#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { PROCS = 4, SPIN = 1 << 18, SIGNAL_EVERY_MS = 20 };
static const double SECONDS = 1.5;

/* The layout the asm blocks use: f0-f31 at 8*i, fcsr at 256. */
struct fpstate {
	uint64_t f[32];
	uint64_t fcsr;
};

static volatile sig_atomic_t signals_seen;

/* Writes one whole line with one write(), so processes do not interleave. */
static void say(const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	if (write(1, line, (size_t)n) < 0)
		_exit(3);
}

static uint64_t mix(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Process p's pattern: distinct in every register and between processes;
 * frm a valid rounding mode (0-4), fflags some set of flags. */
static void pattern(int p, struct fpstate *s)
{
	for (int i = 0; i < 32; i++)
		s->f[i] = mix((uint64_t)p * 64 + (uint64_t)i);
	s->fcsr = (uint64_t)(p % 5) << 5 | (uint64_t)((p * 7 + 3) & 0x1f);
}

/* clang-format off */
#define F32(X)                                                                 \
	X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12)   \
	X(13) X(14) X(15) X(16) X(17) X(18) X(19) X(20) X(21) X(22) X(23)     \
	X(24) X(25) X(26) X(27) X(28) X(29) X(30) X(31)
#define LOAD(i) "fld f" #i ", " #i "*8(%[in])\n\t"
#define STORE(i) "fsd f" #i ", " #i "*8(%[out])\n\t"
#define CLOBBER(i) "fmv.d.x f" #i ", t0\n\t"
#define CLOBBERS(i) "f" #i,
/* clang-format on */

/*
 * One chunk: f0-f31 and fcsr from *in, spin SPIN iterations (with a
 * sched_yield system call and SPIN more when yield is set), then f0-f31 and
 * fcsr to *out. Nothing between the load and the store touches an FP
 * register, so *out equals *in unless something outside this process
 * changed them.
 */
static void hold(const struct fpstate *in, struct fpstate *out, long yield)
{
	/* clang-format off */
	__asm__ volatile(
		F32(LOAD)
		"ld t0, 256(%[in])\n\t"
		"fscsr t0\n\t"
		"li t1, %[spin]\n"
		"1:\n\t"
		"addi t1, t1, -1\n\t"
		"bnez t1, 1b\n\t"
		"beqz %[yield], 2f\n\t"
		"li a7, 124\n\t" /* __NR_sched_yield */
		"ecall\n\t"
		"li t1, %[spin]\n"
		"3:\n\t"
		"addi t1, t1, -1\n\t"
		"bnez t1, 3b\n"
		"2:\n\t"
		"frcsr t0\n\t"
		"sd t0, 256(%[out])\n\t"
		F32(STORE)
		:
		: [in] "r"(in), [out] "r"(out), [yield] "r"(yield),
		  [spin] "i"(SPIN)
		: F32(CLOBBERS) "t0", "t1", "a0", "a7", "memory");
	/* clang-format on */
}

/*
 * The signal handler's work: every f register and fcsr get garbage. Plain
 * asm with no prologue, so nothing the compiler saves can put the
 * interrupted values back: only the kernel's sigreturn can.
 */
void fp_clobber(void);
/* clang-format off */
__asm__(".text\n"
	".globl fp_clobber\n"
	".type fp_clobber, @function\n"
	"fp_clobber:\n\t"
	"li t0, -1\n\t"
	"fscsr t0\n\t"
	"li t0, 0x7ff4dead5a5a5a5a\n\t"
	F32(CLOBBER)
	"ret\n"
	".size fp_clobber, .-fp_clobber\n");
/* clang-format on */

static void on_signal(int sig)
{
	(void)sig;
	signals_seen++;
	fp_clobber();
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/*
 * Process p's run: chunks for SECONDS, signalling victims[0..n) now and
 * then. Returns 0 when every chunk kept its values, 1 after printing the
 * first difference.
 */
static int run(int p, const pid_t *victims, int n_victims)
{
	struct fpstate want, got;
	double start = now(), last_signal = start;
	long chunks = 0;
	struct rusage ru;

	pattern(p, &want);
	while (now() - start < SECONDS) {
		memset(&got, 0, sizeof(got));
		hold(&want, &got, chunks % 8 == 7);
		for (int i = 0; i < 33; i++) {
			uint64_t w = i < 32 ? want.f[i] : want.fcsr;
			uint64_t g = i < 32 ? got.f[i] : got.fcsr;

			if (w != g) {
				say("FPSWITCH-FAIL proc=%d %s%d after %ld "
				    "chunks: want %016" PRIx64
				    " got %016" PRIx64,
				    p, i < 32 ? "f" : "fcsr", i < 32 ? i : 0,
				    chunks, w, g);
				return 1;
			}
		}
		chunks++;
		if ((now() - last_signal) * 1000 >= SIGNAL_EVERY_MS) {
			for (int v = 0; v < n_victims; v++)
				kill(victims[v], SIGUSR1);
			last_signal = now();
		}
	}
	getrusage(RUSAGE_SELF, &ru);
	say("fpswitch: proc=%d chunks=%ld involuntary-switches=%ld "
	    "voluntary-switches=%ld signals=%d",
	    p, chunks, ru.ru_nivcsw, ru.ru_nvcsw, (int)signals_seen);
	if (ru.ru_nivcsw + ru.ru_nvcsw == 0 && signals_seen == 0) {
		say("FPSWITCH-FAIL proc=%d was never switched out nor "
		    "signalled: nothing was tested",
		    p);
		return 1;
	}
	return 0;
}

static void power_off(void)
{
	if (getpid() != 1)
		return;
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}

int main(void)
{
	struct sigaction sa;
	pid_t children[PROCS - 1];
	pid_t parent = getpid();
	int n_children = 0, failed = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL) < 0) {
		say("FPSWITCH-FAIL sigaction: %s", strerror(errno));
		power_off();
		return 1;
	}
	for (int c = 0; c < PROCS - 1; c++) {
		pid_t pid = fork();

		if (pid < 0) {
			say("FPSWITCH-FAIL fork: %s", strerror(errno));
			failed = 1;
			break;
		}
		if (pid == 0) /* child c+1 signals the parent */
			_exit(run(c + 1, &parent, c == 0 ? 1 : 0));
		children[n_children++] = pid;
	}
	if (!failed)
		failed = run(0, children, n_children);
	for (int c = 0; c < n_children; c++) {
		int status;

		if (waitpid(children[c], &status, 0) < 0) {
			say("FPSWITCH-FAIL waitpid: %s", strerror(errno));
			failed = 1;
		} else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			if (WIFSIGNALED(status))
				say("FPSWITCH-FAIL proc=%d died of signal %d",
				    c + 1, WTERMSIG(status));
			failed = 1;
		}
	}
	if (!failed)
		say("FPSWITCH-PASS procs=%d", PROCS);
	power_off();
	return failed;
}
