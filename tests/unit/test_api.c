/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for api/: the control socket, driven through a real Unix
 * socket against a real hypervisor running a tiny bare-metal guest.
 *
 * The guest (written below as RV64I words, in an ELF made here) prints
 * 'R', then echoes its console input back, and shuts down on 'q':
 *
 *	li a7, 1; li a0, 'R'; ecall		  legacy putchar
 *   1: li a7, 2; ecall; bltz a0, 1b		  legacy getchar, -1: none
 *	li t0, 'q'; beq a0, t0, 2f
 *	li a7, 1; ecall; j 1b			  echo it
 *   2: li a7, 8; ecall				  legacy shutdown
 *   3: j 3b
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "api/api.h"
#include "dev/console.h"
#include "mem/frame.h"
#include "vmm/hv.h"
#include "vmm/vm.h"

#define GUEST_RAM     (8ull << 20)
#define HOST_MEMORY   (64ull << 20)
#define REPLY_TIMEOUT 10000 /* ms */
#define WAIT_NS	      (5ull * 1000000000ull)

static const uint32_t guest_code[] = {
    0x00100893, /* li a7, 1 */
    0x05200513, /* li a0, 82 ('R') */
    0x00000073, /* ecall */
    0x00200893, /* 1: li a7, 2 */
    0x00000073, /* ecall */
    0xfe054ce3, /* bltz a0, 1b */
    0x07100293, /* li t0, 113 ('q') */
    0x00550863, /* beq a0, t0, 2f */
    0x00100893, /* li a7, 1 */
    0x00000073, /* ecall */
    0xfe5ff06f, /* j 1b */
    0x00800893, /* 2: li a7, 8 */
    0x00000073, /* ecall */
    0x0000006f, /* 3: j 3b */
};

struct fixture {
	char dir[64];
	char elf[PATH_MAX];
	char sock[PATH_MAX];
	struct hv *hv;
	struct console *con;
	unsigned vm; /* the first VM's id */
	struct api *api;
};

/* ---- setting up ---- */

static void write_guest_elf(const char *path)
{
	struct {
		Elf64_Ehdr eh;
		Elf64_Phdr ph;
		uint32_t code[sizeof(guest_code) / sizeof(guest_code[0])];
	} f;
	FILE *out;

	memset(&f, 0, sizeof(f));
	memcpy(f.eh.e_ident, ELFMAG, SELFMAG);
	f.eh.e_ident[EI_CLASS] = ELFCLASS64;
	f.eh.e_ident[EI_DATA] = ELFDATA2LSB;
	f.eh.e_ident[EI_VERSION] = EV_CURRENT;
	f.eh.e_type = ET_EXEC;
	f.eh.e_machine = EM_RISCV;
	f.eh.e_version = EV_CURRENT;
	f.eh.e_entry = VM_RAM_BASE;
	f.eh.e_phoff = offsetof(__typeof__(f), ph);
	f.eh.e_ehsize = sizeof(Elf64_Ehdr);
	f.eh.e_phentsize = sizeof(Elf64_Phdr);
	f.eh.e_phnum = 1;
	f.ph.p_type = PT_LOAD;
	f.ph.p_flags = PF_R | PF_X;
	f.ph.p_offset = offsetof(__typeof__(f), code);
	f.ph.p_vaddr = f.ph.p_paddr = VM_RAM_BASE;
	f.ph.p_filesz = f.ph.p_memsz = sizeof(guest_code);
	f.ph.p_align = 4;
	memcpy(f.code, guest_code, sizeof(guest_code));

	out = fopen(path, "wb");
	assert_non_null(out);
	assert_int_equal(fwrite(&f, sizeof(f), 1, out), 1);
	assert_int_equal(fclose(out), 0);
}

static int setup_with(void **state, uint64_t host_memory)
{
	struct vm_config cfg = {.ram_size = GUEST_RAM, .ncpus = 1};
	struct fixture *fx = calloc(1, sizeof(*fx));
	char why[VM_WHY_LEN] = "";
	struct vm *vm;
	int id;

	if (!fx)
		return -1;
	strcpy(fx->dir, "/tmp/memvisor-test-api-XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	snprintf(fx->elf, sizeof(fx->elf), "%s/echo.elf", fx->dir);
	snprintf(fx->sock, sizeof(fx->sock), "%s/api.sock", fx->dir);
	write_guest_elf(fx->elf);
	cfg.kernel = fx->elf;

	if (hv_create(host_memory, 1, &fx->hv) || console_create(0, &fx->con) ||
	    console_capture(fx->con, 64u << 10))
		return -1;
	if (vm_create(&cfg, hv_pool(fx->hv), fx->con, &vm, why, sizeof(why))) {
		fprintf(stderr, "vm_create: %s\n", why);
		return -1;
	}
	id = hv_add(fx->hv, vm);
	if (id <= 0)
		return -1;
	fx->vm = (unsigned)id;
	if (api_start(fx->hv, fx->sock, &fx->api))
		return -1;
	*state = fx;
	return 0;
}

static int setup(void **state)
{
	return setup_with(state, HOST_MEMORY);
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	api_stop(fx->api);
	hv_destroy(fx->hv);
	console_destroy(fx->con);
	unlink(fx->elf);
	unlink(fx->sock);
	rmdir(fx->dir);
	free(fx);
	return 0;
}

/* ---- a client ---- */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static int connect_to(const char *path)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

static int client(struct fixture *fx)
{
	int fd = connect_to(fx->sock);

	assert_true(fd >= 0);
	return fd;
}

/* Send all of buf[0..len); the server may have closed: no SIGPIPE. */
static ssize_t send_bytes(int fd, const void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = send(fd, (const char *)buf + done, len - done,
				 MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return done ? (ssize_t)done : -errno;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

/*
 * Read one reply line (a byte at a time, so nothing after it is taken).
 * Returns it (malloc'd, without the newline), or NULL at EOF, an error or
 * REPLY_TIMEOUT.
 */
static char *recv_line(int fd)
{
	size_t len = 0, cap = 256;
	char *buf = malloc(cap);

	assert_non_null(buf);
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (poll(&p, 1, REPLY_TIMEOUT) != 1)
			break;
		n = recv(fd, buf + len, 1, 0);
		if (n <= 0)
			break;
		if (buf[len] == '\n') {
			buf[len] = 0;
			return buf;
		}
		if (++len == cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
	}
	free(buf);
	return NULL;
}

/* Parse a reply line: an object with a boolean "ok". */
static json_t *parse_reply(char *line)
{
	json_error_t err;
	json_t *r;

	assert_non_null(line);
	r = json_loads(line, 0, &err);
	if (!r)
		fail_msg("reply is not JSON (%s): %s", err.text, line);
	assert_true(json_is_object(r));
	assert_true(json_is_boolean(json_object_get(r, "ok")));
	free(line);
	return r;
}

/* Send one request line (a newline is added) and return the reply. */
static json_t *call_on(int fd, const char *req)
{
	size_t len = strlen(req);

	assert_int_equal(send_bytes(fd, req, len), (ssize_t)len);
	assert_int_equal(send_bytes(fd, "\n", 1), 1);
	return parse_reply(recv_line(fd));
}

/* printf-style request on a connection of its own. */
static json_t *call(struct fixture *fx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static json_t *call(struct fixture *fx, const char *fmt, ...)
{
	char req[1024];
	va_list ap;
	json_t *r;
	int fd = client(fx);

	va_start(ap, fmt);
	vsnprintf(req, sizeof(req), fmt, ap);
	va_end(ap);
	r = call_on(fd, req);
	close(fd);
	return r;
}

static void assert_ok(json_t *r)
{
	if (!json_is_true(json_object_get(r, "ok")))
		fail_msg("expected ok, got error: %s",
			 json_string_value(json_object_get(r, "error")));
}

/* assert_ok(), and drop r. */
static void expect_ok(json_t *r)
{
	assert_ok(r);
	json_decref(r);
}

/* r is an error reply whose message contains want. Consumes r. */
static void assert_error(json_t *r, const char *want)
{
	const char *e = json_string_value(json_object_get(r, "error"));

	assert_true(json_is_false(json_object_get(r, "ok")));
	assert_non_null(e);
	if (!strstr(e, want))
		fail_msg("error \"%s\" does not say \"%s\"", e, want);
	json_decref(r);
}

static long long get_int(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v))
		fail_msg("\"%s\" is not an integer", key);
	return json_integer_value(v);
}

static const char *get_str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_string(v))
		fail_msg("\"%s\" is not a string", key);
	return json_string_value(v);
}

/* The "list" entry of VM id, or NULL; the reply is kept in *keep. */
static json_t *list_entry(struct fixture *fx, unsigned id, json_t **keep)
{
	json_t *r = call(fx, "{\"cmd\":\"list\"}"), *vm;
	size_t i;

	assert_ok(r);
	assert_true(json_is_array(json_object_get(r, "vms")));
	*keep = r;
	json_array_foreach(json_object_get(r, "vms"), i, vm)
	{
		if (get_int(vm, "id") == id)
			return vm;
	}
	return NULL;
}

static long long stat_of(struct fixture *fx, unsigned id, const char *key)
{
	json_t *r = call(fx, "{\"cmd\":\"stats\",\"vm\":%u}", id);
	long long v;

	assert_ok(r);
	v = get_int(r, key);
	json_decref(r);
	return v;
}

/*
 * Wait until VM id's console output is exactly want (the guest runs on
 * its own time). Fails after WAIT_NS.
 */
static void wait_output(struct fixture *fx, unsigned id, const char *want)
{
	uint64_t end = now_ns() + WAIT_NS;
	char last[256] = "";

	while (now_ns() < end) {
		json_t *r = call(fx, "{\"cmd\":\"console\",\"vm\":%u}", id);

		assert_ok(r);
		assert_int_equal(get_int(r, "queued"), 0);
		snprintf(last, sizeof(last), "%s", get_str(r, "output"));
		json_decref(r);
		if (!strcmp(last, want))
			return;
		sleep_ms(5);
	}
	fail_msg("VM %u's output is \"%s\", expected \"%s\"", id, last, want);
}

/* ---- requests ---- */

static void test_list(void **state)
{
	struct fixture *fx = *state;
	json_t *keep, *vm = list_entry(fx, fx->vm, &keep);

	assert_non_null(vm);
	assert_int_equal(json_array_size(json_object_get(keep, "vms")), 1);
	assert_true(json_is_null(json_object_get(vm, "parent")));
	assert_int_equal(get_int(vm, "cpus"), 1);
	assert_int_equal(get_int(vm, "memory"), GUEST_RAM);
	assert_string_equal(get_str(vm, "state"), "running");
	assert_null(json_object_get(vm, "exit_status"));
	json_decref(keep);
}

static void test_pause_resume(void **state)
{
	struct fixture *fx = *state;
	long long a, b;
	uint64_t end;
	json_t *keep;

	expect_ok(call(fx, "{\"cmd\":\"pause\",\"vm\":%u}", fx->vm));
	assert_string_equal(get_str(list_entry(fx, fx->vm, &keep), "state"),
			    "paused");
	json_decref(keep);

	/* Paused means no instruction retires. */
	a = stat_of(fx, fx->vm, "instret");
	sleep_ms(50);
	b = stat_of(fx, fx->vm, "instret");
	assert_int_equal(a, b);
	assert_error(call(fx, "{\"cmd\":\"pause\",\"vm\":%u}", fx->vm),
		     "already paused");

	expect_ok(call(fx, "{\"cmd\":\"resume\",\"vm\":%u}", fx->vm));
	assert_string_equal(get_str(list_entry(fx, fx->vm, &keep), "state"),
			    "running");
	json_decref(keep);
	end = now_ns() + WAIT_NS;
	while (stat_of(fx, fx->vm, "instret") == b && now_ns() < end)
		sleep_ms(5);
	assert_true(stat_of(fx, fx->vm, "instret") > b);
	assert_error(call(fx, "{\"cmd\":\"resume\",\"vm\":%u}", fx->vm),
		     "not paused");
	/* A VM made without --balloon has none to set. */
	assert_error(call(fx,
			  "{\"cmd\":\"balloon\",\"vm\":%u,"
			  "\"target_mib\":1}",
			  fx->vm),
		     "has no balloon");
	assert_error(call(fx, "{\"cmd\":\"balloon\",\"vm\":%u}", fx->vm),
		     "target_mib");
}

static void test_console(void **state)
{
	struct fixture *fx = *state;
	json_t *r;

	wait_output(fx, fx->vm, "R");
	r = call(fx, "{\"cmd\":\"console\",\"vm\":%u,\"input\":\"hi\\n\"}",
		 fx->vm);
	assert_ok(r);
	assert_int_equal(get_int(r, "queued"), 3);
	json_decref(r);
	/* The guest echoes what it reads: the input reached it. */
	wait_output(fx, fx->vm, "Rhi\n");

	/* Output that is not UTF-8 (bytes JSON cannot carry from a client,
	 * so queued here directly) comes back as U+FFFD, in valid JSON. */
	assert_int_equal(hv_console_input(fx->hv, fx->vm, "\xff\xc3", 2), 2);
	wait_output(fx, fx->vm, "Rhi\n\xef\xbf\xbd\xef\xbf\xbd");
	assert_int_equal(hv_console_input(fx->hv, fx->vm, "\xa9", 1), 1);
	wait_output(fx, fx->vm, "Rhi\n\xef\xbf\xbd\xc3\xa9");
}

static void test_console_not_captured(void **state)
{
	struct fixture *fx = *state;
	int devnull = open("/dev/null", O_WRONLY);
	json_t *r;

	assert_true(devnull >= 0);
	assert_int_equal(console_set_output_fd(fx->con, devnull), 0);
	r = call(fx, "{\"cmd\":\"console\",\"vm\":%u,\"input\":\"x\"}", fx->vm);
	assert_ok(r);
	assert_int_equal(get_int(r, "queued"), 1);
	assert_true(json_is_null(json_object_get(r, "output")));
	json_decref(r);
	/* Back to a capture before devnull closes. */
	assert_int_equal(console_capture(fx->con, 4096), 0);
	close(devnull);
}

static void test_stats(void **state)
{
	static const char *const keys[] = {
	    "id",
	    "parent",
	    "nvcpus",
	    "ram_size",
	    "paused",
	    "stopped",
	    "exit_status",
	    "tables",
	    "pages",
	    "frames_owned",
	    "frames_shared",
	    "replications",
	    "cow_breaks",
	    "populated",
	    "instret",
	    "exits",
	    "host_rss",
	    "state",
	    "cpu_us",
	    "dlh_entries",
	    "dlh_drains",
	    "dlh_notifies",
	    "dlh_sync_calls",
	    "dlh_malformed_rings",
	    "dlh_hinted_pages",
	    "dlh_us",
	    "dlh_counter",
	};
	struct fixture *fx = *state;
	long long size, resident;
	json_t *r;
	FILE *f;

	wait_output(fx, fx->vm, "R"); /* it has run and made a call */
	/* Its host time is counted at the end of each time slice. */
	for (uint64_t end = now_ns() + WAIT_NS;; sleep_ms(5)) {
		r = call(fx, "{\"cmd\":\"stats\",\"vm\":%u}", fx->vm);
		assert_ok(r);
		if (get_int(r, "cpu_us") > 0)
			break;
		json_decref(r);
		if (now_ns() >= end)
			fail_msg("VM %u ran, but its cpu_us stays 0", fx->vm);
	}
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!json_object_get(r, keys[i]))
			fail_msg("stats has no \"%s\"", keys[i]);
	assert_int_equal(get_int(r, "id"), fx->vm);
	assert_true(json_is_null(json_object_get(r, "parent")));
	assert_int_equal(get_int(r, "nvcpus"), 1);
	assert_int_equal(get_int(r, "ram_size"), GUEST_RAM);
	/* It posted no deferred call. */
	assert_int_equal(get_int(r, "dlh_entries"), 0);
	assert_int_equal(get_int(r, "dlh_us"), 0);
	assert_int_equal(get_int(r, "dlh_counter"), 0);
	assert_true(json_is_false(json_object_get(r, "paused")));
	assert_true(json_is_false(json_object_get(r, "stopped")));
	assert_string_equal(get_str(r, "state"), "running");
	assert_true(get_int(r, "tables") >= 4); /* at least the root */
	assert_true(get_int(r, "pages") >= 1);	/* the code page */
	assert_true(get_int(r, "instret") > 0);
	assert_true(get_int(r, "exits") > 0);

	/* host_rss is this process's resident size, in bytes. */
	f = fopen("/proc/self/statm", "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%lld %lld", &size, &resident), 2);
	fclose(f);
	resident *= sysconf(_SC_PAGESIZE);
	assert_true(get_int(r, "host_rss") > resident / 2);
	assert_true(get_int(r, "host_rss") < resident * 2);
	json_decref(r);
}

static void test_clone(void **state)
{
	struct fixture *fx = *state;
	unsigned ids[3];
	json_t *r, *keep, *vm;

	wait_output(fx, fx->vm, "R");
	r = call(fx, "{\"cmd\":\"clone\",\"vm\":%u,\"count\":3}", fx->vm);
	assert_ok(r);
	assert_int_equal(get_int(r, "made"), 3);
	assert_int_equal(json_array_size(json_object_get(r, "ids")), 3);
	assert_true(get_int(r, "latency_us") >= 0);
	for (unsigned i = 0; i < 3; i++) {
		ids[i] = (unsigned)json_integer_value(
		    json_array_get(json_object_get(r, "ids"), i));
		assert_true(ids[i] != fx->vm);
		assert_true(!i || ids[i] > ids[i - 1]);
	}
	json_decref(r);

	for (unsigned i = 0; i < 3; i++) {
		vm = list_entry(fx, ids[i], &keep);
		assert_non_null(vm);
		assert_int_equal(get_int(vm, "parent"), fx->vm);
		assert_int_equal(get_int(vm, "memory"), GUEST_RAM);
		assert_string_equal(get_str(vm, "state"), "running");
		json_decref(keep);
		assert_int_equal(stat_of(fx, ids[i], "parent"), fx->vm);
	}
	/* The source runs again after the clone. */
	vm = list_entry(fx, fx->vm, &keep);
	assert_string_equal(get_str(vm, "state"), "running");
	json_decref(keep);

	/* A clone has a console of its own: it echoes its input, and the
	 * parent's output does not change. */
	wait_output(fx, ids[1], "");
	r = call(fx, "{\"cmd\":\"console\",\"vm\":%u,\"input\":\"zz\"}",
		 ids[1]);
	assert_ok(r);
	assert_int_equal(get_int(r, "queued"), 2);
	json_decref(r);
	wait_output(fx, ids[1], "zz");
	wait_output(fx, ids[0], "");
	wait_output(fx, fx->vm, "R");

	/* A clone of a clone, eagerly copied. */
	r = call(fx, "{\"cmd\":\"clone\",\"vm\":%u,\"eager_levels\":4}",
		 ids[2]);
	assert_ok(r);
	assert_int_equal(get_int(r, "made"), 1);
	assert_int_equal(stat_of(fx,
				 (unsigned)json_integer_value(json_array_get(
				     json_object_get(r, "ids"), 0)),
				 "parent"),
			 ids[2]);
	json_decref(r);
}

static void test_destroy(void **state)
{
	struct fixture *fx = *state;
	unsigned id;
	json_t *r, *keep;

	r = call(fx, "{\"cmd\":\"clone\",\"vm\":%u}", fx->vm);
	assert_ok(r);
	id = (unsigned)json_integer_value(
	    json_array_get(json_object_get(r, "ids"), 0));
	json_decref(r);

	expect_ok(call(fx, "{\"cmd\":\"destroy\",\"vm\":%u}", id));
	assert_null(list_entry(fx, id, &keep));
	assert_int_equal(json_array_size(json_object_get(keep, "vms")), 1);
	json_decref(keep);

	/* Every request on the destroyed id says so. */
	assert_error(call(fx, "{\"cmd\":\"destroy\",\"vm\":%u}", id),
		     "no VM with id");
	assert_error(call(fx, "{\"cmd\":\"stats\",\"vm\":%u}", id),
		     "no VM with id");
	assert_error(call(fx, "{\"cmd\":\"pause\",\"vm\":%u}", id),
		     "no VM with id");
	assert_error(call(fx, "{\"cmd\":\"resume\",\"vm\":%u}", id),
		     "no VM with id");
	assert_error(call(fx, "{\"cmd\":\"clone\",\"vm\":%u}", id),
		     "no VM with id");
	assert_error(
	    call(fx, "{\"cmd\":\"console\",\"vm\":%u,\"input\":\"a\"}", id),
	    "no VM with id");
	/* Its parent is unaffected. */
	assert_string_equal(get_str(list_entry(fx, fx->vm, &keep), "state"),
			    "running");
	json_decref(keep);
}

static void test_stopped(void **state)
{
	struct fixture *fx = *state;
	uint64_t end = now_ns() + WAIT_NS;
	json_t *keep, *vm = NULL, *r;

	expect_ok(call(fx, "{\"cmd\":\"console\",\"vm\":%u,\"input\":\"q\"}",
		       fx->vm));
	while (now_ns() < end) {
		vm = list_entry(fx, fx->vm, &keep);
		assert_non_null(vm);
		if (!strcmp(get_str(vm, "state"), "stopped"))
			break;
		json_decref(keep);
		vm = NULL;
		sleep_ms(5);
	}
	assert_non_null(vm);
	assert_int_equal(get_int(vm, "exit_status"), VM_EXIT_SHUTDOWN);
	json_decref(keep);
	r = call(fx, "{\"cmd\":\"stats\",\"vm\":%u}", fx->vm);
	assert_true(json_is_true(json_object_get(r, "stopped")));
	assert_int_equal(get_int(r, "exit_status"), VM_EXIT_SHUTDOWN);
	assert_string_equal(get_str(r, "state"), "stopped");
	json_decref(r);
	assert_error(call(fx, "{\"cmd\":\"pause\",\"vm\":%u}", fx->vm),
		     "has stopped");
	assert_error(call(fx, "{\"cmd\":\"clone\",\"vm\":%u}", fx->vm),
		     "has stopped");
	expect_ok(call(fx, "{\"cmd\":\"destroy\",\"vm\":%u}", fx->vm));
}

/* inspect of a guest that is not Linux, or not there: a clear error, and
 * the VM runs on. (The Linux cases are tests/integration/vmi.sh.) */
static void test_inspect_errors(void **state)
{
	struct fixture *fx = *state;
	json_t *r;

	assert_error(call(fx, "{\"cmd\":\"inspect\",\"vm\":%u}", fx->vm),
		     "is not a Linux kernel");
	/* Sharing needs the page map: refused the same way, nothing done. */
	assert_error(call(fx, "{\"cmd\":\"share\",\"vm\":%u}", fx->vm),
		     "is not a Linux kernel");
	r = call(fx, "{\"cmd\":\"stats\",\"vm\":%u}", fx->vm);
	assert_ok(r);
	assert_int_equal(get_int(r, "zero_pages"), 0);
	assert_int_equal(get_int(r, "shared_pages"), 0);
	json_decref(r);
	assert_error(call(fx, "{\"cmd\":\"inspect\",\"vm\":%u}", fx->vm + 7),
		     "does not exist");
	assert_error(
	    call(fx, "{\"cmd\":\"inspect\",\"vm\":%u,\"map\":2}", fx->vm),
	    "map");
	r = call(fx, "{\"cmd\":\"stats\",\"vm\":%u}", fx->vm);
	assert_ok(r);
	assert_string_equal(get_str(r, "state"), "running");
	json_decref(r);
}

static void test_help(void **state)
{
	static const char *const names[] = {
	    "list",    "pause",	  "resume", "clone",   "balloon",
	    "destroy", "console", "stats",  "inspect", "share",
	    "dedup",   "check",	  "help"};
	struct fixture *fx = *state;
	json_t *r = call(fx, "{\"cmd\":\"help\"}");
	json_t *rq;
	size_t i;

	assert_ok(r);
	assert_int_equal(json_array_size(json_object_get(r, "requests")),
			 sizeof(names) / sizeof(names[0]));
	json_array_foreach(json_object_get(r, "requests"), i, rq)
	{
		assert_string_equal(get_str(rq, "name"), names[i]);
		assert_true(json_is_array(json_object_get(rq, "args")));
	}
	json_decref(r);
}

/* ---- bad input ---- */

static void test_bad_requests(void **state)
{
	static const struct {
		const char *req, *want;
	} bad[] = {
	    {"not json", "not JSON"},
	    {"{\"cmd\":\"list\"", "not JSON"},
	    {"{\"cmd\":\"list\"} x", "not JSON"},
	    {"{\"cmd\":\"li\xffst\"}", "not JSON"},
	    {"[1,2]", "not an array"},
	    {"42", "not 42"},
	    {"\"list\"", "not a string"},
	    {"{}", "\"cmd\" must name a request"},
	    {"{\"cmd\":5}", "\"cmd\" must name a request"},
	    {"{\"cmd\":\"nope\"}", "unknown cmd \"nope\""},
	    {"{\"cmd\":\"list\",\"cmd\":\"list\"}", "duplicate"},
	    {"{\"cmd\":\"pause\"}", "missing argument \"vm\""},
	    {"{\"cmd\":\"pause\",\"vm\":\"1\"}", "not a string"},
	    {"{\"cmd\":\"pause\",\"vm\":-1}", "not -1"},
	    {"{\"cmd\":\"pause\",\"vm\":0}", "not 0"},
	    {"{\"cmd\":\"pause\",\"vm\":1.5}", "not 1.5"},
	    {"{\"cmd\":\"pause\",\"vm\":1.0}", "not 1.0"},
	    {"{\"cmd\":\"pause\",\"vm\":null}", "not null"},
	    {"{\"cmd\":\"pause\",\"vm\":4294967296}", "not 4294967296"},
	    {"{\"cmd\":\"pause\",\"vm\":999}", "no VM with id 999"},
	    {"{\"cmd\":\"resume\",\"vm\":999}", "no VM with id 999"},
	    {"{\"cmd\":\"stats\",\"vm\":999}", "no VM with id 999"},
	    {"{\"cmd\":\"destroy\",\"vm\":999}", "no VM with id 999"},
	    {"{\"cmd\":\"console\",\"vm\":999}", "no VM with id 999"},
	    {"{\"cmd\":\"clone\",\"vm\":999}", "no VM with id 999"},
	    {"{\"cmd\":\"clone\",\"vm\":1,\"count\":0}", "\"count\""},
	    {"{\"cmd\":\"clone\",\"vm\":1,\"count\":10001}", "not 10001"},
	    {"{\"cmd\":\"clone\",\"vm\":1,\"eager_levels\":0}",
	     "\"eager_levels\""},
	    {"{\"cmd\":\"clone\",\"vm\":1,\"eager_levels\":5}", "from 1 to 4"},
	    {"{\"cmd\":\"clone\",\"vm\":1,\"cout\":2}",
	     "unknown argument \"cout\""},
	    {"{\"cmd\":\"list\",\"vm\":1}", "unknown argument \"vm\""},
	    {"{\"cmd\":\"console\",\"vm\":1,\"input\":5}", "must be a string"},
	    {"{\"cmd\":\"console\",\"vm\":1,\"input\":[\"a\"]}",
	     "not an array"},
	    {"{\"cmd\":\"inspect\",\"vm\":1,\"free_only\":2}",
	     "\"free_only\" must be an integer from 0 to 1, not 2"},
	    {"{\"cmd\":\"inspect\",\"vm\":1,\"free_only\":true}",
	     "\"free_only\""},
	};
	struct fixture *fx = *state;
	int fd = client(fx);
	json_t *r;

	/* All on one connection, which stays usable throughout. */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = call_on(fd, bad[i].req);
		if (!json_is_false(json_object_get(r, "ok")) ||
		    !strstr(get_str(r, "error"), bad[i].want))
			fail_msg("%s: got %s", bad[i].req,
				 json_dumps(r, JSON_COMPACT));
		json_decref(r);
	}
	/* Client text quoted in an error stays intact UTF-8. */
	r = call_on(fd, "{\"cmd\":\"pause\",\"vm\":1,\"x\\u00e9\":1}");
	assert_error(r, "unknown argument \"x\xc3\xa9\"");

	/* A blank line is skipped, not answered; CRLF is accepted. */
	assert_int_equal(send_bytes(fd, "\n\r\n", 3), 3);
	r = call_on(fd, "{\"cmd\":\"list\"}\r");
	assert_ok(r);
	assert_int_equal(json_array_size(json_object_get(r, "vms")), 1);
	json_decref(r);
	close(fd);
}

static void test_pipelined(void **state)
{
	struct fixture *fx = *state;
	const char *reqs = "{\"cmd\":\"list\"}\n{\"cmd\":\"nope\"}\n"
			   "{\"cmd\":\"stats\",\"vm\":1}\n";
	int fd = client(fx);
	json_t *r;

	/* Three requests in one write: three replies, in order. */
	assert_int_equal(send_bytes(fd, reqs, strlen(reqs)),
			 (ssize_t)strlen(reqs));
	r = parse_reply(recv_line(fd));
	assert_ok(r);
	assert_non_null(json_object_get(r, "vms"));
	json_decref(r);
	assert_error(parse_reply(recv_line(fd)), "unknown cmd");
	r = parse_reply(recv_line(fd));
	assert_ok(r);
	assert_int_equal(get_int(r, "id"), 1);
	json_decref(r);
	close(fd);
}

static void test_oversized_line(void **state)
{
	struct fixture *fx = *state;
	size_t big = API_MAX_LINE + 4096;
	char *buf = malloc(big + 1);
	char *line;
	int fd;
	json_t *r;

	assert_non_null(buf);

	/* Exactly API_MAX_LINE bytes: still a request, even when the server
	 * has read all of them before the newline comes. */
	memset(buf, ' ', API_MAX_LINE);
	memcpy(buf, "{\"cmd\":\"list\"}", 14);
	fd = client(fx);
	assert_int_equal(send_bytes(fd, buf, API_MAX_LINE), API_MAX_LINE);
	sleep_ms(50);
	assert_int_equal(send_bytes(fd, "\n", 1), 1);
	assert_ok(r = parse_reply(recv_line(fd)));
	json_decref(r);

	/* One byte more, no newline yet: an error, then the server closes. */
	memset(buf, 'a', big);
	send_bytes(fd, buf, big); /* may stop early: the server closed */
	assert_error(parse_reply(recv_line(fd)), "longer than 65536 bytes");
	line = recv_line(fd);
	assert_null(line);
	close(fd);
	free(buf);

	/* The server goes on serving. */
	r = call(fx, "{\"cmd\":\"list\"}");
	assert_ok(r);
	json_decref(r);
}

static void test_disconnects(void **state)
{
	struct fixture *fx = *state;
	json_t *r;
	int fd;

	/* Leave in the middle of a request line. */
	fd = client(fx);
	assert_int_equal(send_bytes(fd, "{\"cmd\":\"li", 10), 10);
	close(fd);
	/* Connect and leave without a word. */
	close(client(fx));
	/* Send a request and leave before the reply. */
	fd = client(fx);
	assert_int_equal(send_bytes(fd, "{\"cmd\":\"list\"}\n", 15), 15);
	close(fd);
	/* Half-close after a request: the reply still comes. */
	fd = client(fx);
	assert_int_equal(send_bytes(fd, "{\"cmd\":\"list\"}\n", 15), 15);
	assert_int_equal(shutdown(fd, SHUT_WR), 0);
	r = parse_reply(recv_line(fd));
	assert_ok(r);
	json_decref(r);
	assert_null(recv_line(fd));
	close(fd);

	r = call(fx, "{\"cmd\":\"list\"}");
	assert_ok(r);
	assert_int_equal(json_array_size(json_object_get(r, "vms")), 1);
	json_decref(r);
}

static void test_many_sequential_clients(void **state)
{
	struct fixture *fx = *state;

	/* Far more than API_MAX_CLIENTS: finished slots are reused. */
	for (int i = 0; i < 8 * API_MAX_CLIENTS; i++) {
		json_t *r = call(fx, "{\"cmd\":\"list\"}");

		assert_ok(r);
		json_decref(r);
	}
}

struct hammer {
	struct fixture *fx;
	int ok;
};

static void *hammer_main(void *arg)
{
	struct hammer *h = arg;
	int fd = connect_to(h->fx->sock);

	for (int i = 0; fd >= 0 && i < 50; i++) {
		const char *req = i % 2 ? "{\"cmd\":\"stats\",\"vm\":1}\n"
					: "{\"cmd\":\"list\"}\n";
		char *line;
		json_t *r;

		if (send_bytes(fd, req, strlen(req)) != (ssize_t)strlen(req))
			break;
		line = recv_line(fd);
		r = line ? json_loads(line, 0, NULL) : NULL;
		free(line);
		if (json_is_true(json_object_get(r, "ok")))
			h->ok++;
		json_decref(r);
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

static void test_concurrent_clients(void **state)
{
	struct fixture *fx = *state;
	struct hammer h[8];
	pthread_t t[8];
	int a = client(fx), b = client(fx);
	json_t *r;

	/* A is in the middle of a line; B is served meanwhile. */
	assert_int_equal(send_bytes(a, "{\"cmd\":", 7), 7);
	r = call_on(b, "{\"cmd\":\"list\"}");
	assert_ok(r);
	json_decref(r);
	assert_int_equal(send_bytes(a, "\"list\"}\n", 8), 8);
	r = parse_reply(recv_line(a));
	assert_ok(r);
	json_decref(r);
	close(a);
	close(b);

	/* Eight clients at once, fifty requests each. */
	for (int i = 0; i < 8; i++) {
		h[i] = (struct hammer){.fx = fx};
		assert_int_equal(
		    pthread_create(&t[i], NULL, hammer_main, &h[i]), 0);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(h[i].ok, 50);
	}
}

static void test_too_many_clients(void **state)
{
	struct fixture *fx = *state;
	int fds[API_MAX_CLIENTS], extra = -1;
	uint64_t end;
	json_t *r;

	/* Fill every slot (a reply proves each is being served). */
	for (int i = 0; i < API_MAX_CLIENTS; i++) {
		fds[i] = client(fx);
		r = call_on(fds[i], "{\"cmd\":\"list\"}");
		assert_ok(r);
		json_decref(r);
	}
	extra = client(fx);
	assert_error(parse_reply(recv_line(extra)), "too many");
	assert_null(recv_line(extra));
	close(extra);

	/* A slot frees when its client leaves. */
	close(fds[0]);
	end = now_ns() + WAIT_NS;
	for (;;) {
		char *line;

		extra = client(fx);
		/* A refused client may find the socket closed (EPIPE) before
		 * it sends: the refusal is waiting for it all the same. */
		send_bytes(extra, "{\"cmd\":\"list\"}\n", 15);
		line = recv_line(extra);
		assert_non_null(line);
		r = parse_reply(line);
		close(extra);
		if (json_is_true(json_object_get(r, "ok")))
			break;
		assert_error(r, "too many");
		assert_true(now_ns() < end);
		sleep_ms(5);
	}
	json_decref(r);
	/* The others are still served. */
	r = call_on(fds[1], "{\"cmd\":\"list\"}");
	assert_ok(r);
	json_decref(r);
	for (int i = 1; i < API_MAX_CLIENTS; i++)
		close(fds[i]);
}

/* ---- the host-memory limit ---- */

/* Enough for the guest and a handful of clones, not for a hundred. */
#define SMALL_HOST_MEMORY (512u << 10)

static int setup_small(void **state)
{
	return setup_with(state, SMALL_HOST_MEMORY);
}

static void test_clone_memory_limit(void **state)
{
	struct fixture *fx = *state;
	unsigned ids[100];
	long long made;
	json_t *r, *keep;

	wait_output(fx, fx->vm, "R");
	r = call(fx, "{\"cmd\":\"clone\",\"vm\":%u,\"count\":100}", fx->vm);
	assert_true(json_is_false(json_object_get(r, "ok")));
	assert_non_null(strstr(get_str(r, "error"), "host memory"));
	made = get_int(r, "made");
	assert_true(made >= 1 && made < 100);
	assert_int_equal(json_array_size(json_object_get(r, "ids")), made);
	for (long long i = 0; i < made; i++)
		ids[i] = (unsigned)json_integer_value(
		    json_array_get(json_object_get(r, "ids"), (size_t)i));
	json_decref(r);

	/* The clones made are real VMs. */
	r = call(fx, "{\"cmd\":\"list\"}");
	assert_ok(r);
	assert_int_equal(json_array_size(json_object_get(r, "vms")), made + 1);
	json_decref(r);
	for (long long i = 0; i < made; i++) {
		assert_non_null(list_entry(fx, ids[i], &keep));
		json_decref(keep);
		assert_int_equal(stat_of(fx, ids[i], "parent"), fx->vm);
	}
	/* The source survives, and destroying the clones gives memory
	 * back: a clone works again. */
	expect_ok(call(fx, "{\"cmd\":\"pause\",\"vm\":%u}", fx->vm));
	expect_ok(call(fx, "{\"cmd\":\"resume\",\"vm\":%u}", fx->vm));
	for (long long i = 0; i < made; i++)
		expect_ok(call(fx, "{\"cmd\":\"destroy\",\"vm\":%u}", ids[i]));
	r = call(fx, "{\"cmd\":\"clone\",\"vm\":%u}", fx->vm);
	assert_ok(r);
	assert_int_equal(get_int(r, "made"), 1);
	json_decref(r);
}

/* ---- the socket file ---- */

static void test_socket_file(void **state)
{
	struct fixture *fx = *state;
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	char path[PATH_MAX], longpath[sizeof(addr.sun_path) + 8];
	struct api *api = NULL;
	struct stat st;
	FILE *f;
	int fd;

	/* A server is listening there already. */
	assert_int_equal(api_start(fx->hv, fx->sock, &api), -EADDRINUSE);

	/* A regular file is never clobbered. */
	snprintf(path, sizeof(path), "%s/file", fx->dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("keep me", f);
	fclose(f);
	assert_int_equal(api_start(fx->hv, path, &api), -EEXIST);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 7);
	unlink(path);

	/* A stale socket (its server gone) is replaced. */
	snprintf(path, sizeof(path), "%s/stale.sock", fx->dir);
	assert_true(strlen(path) < sizeof(addr.sun_path));
	memcpy(addr.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	close(fd);
	assert_int_equal(api_start(fx->hv, path, &api), 0);
	fd = connect_to(path);
	assert_true(fd >= 0);
	{
		json_t *r = call_on(fd, "{\"cmd\":\"list\"}");

		assert_ok(r);
		json_decref(r);
	}
	/* api_stop() closes connections and removes the socket. */
	api_stop(api);
	assert_null(recv_line(fd));
	close(fd);
	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(errno, ENOENT);

	memset(longpath, 'x', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = 0;
	assert_int_equal(api_start(fx->hv, longpath, &api), -ENAMETOOLONG);
}

static void test_stop_with_clients(void **state)
{
	struct fixture *fx = *state;
	int a = client(fx), b = client(fx);

	/* One mid-line, one idle: api_stop() waits for neither. */
	assert_int_equal(send_bytes(a, "{\"cmd\":", 7), 7);
	api_stop(fx->api);
	fx->api = NULL;
	assert_null(recv_line(a));
	assert_null(recv_line(b));
	close(a);
	close(b);
	assert_true(connect_to(fx->sock) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_list, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pause_resume, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_console, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_console_not_captured, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_stats, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_clone, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_destroy, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stopped, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_help, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_inspect_errors, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_bad_requests, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pipelined, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_oversized_line, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_disconnects, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_many_sequential_clients, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_concurrent_clients, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_too_many_clients, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_clone_memory_limit,
					    setup_small, teardown),
	    cmocka_unit_test_setup_teardown(test_socket_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stop_with_clients, setup,
					    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
