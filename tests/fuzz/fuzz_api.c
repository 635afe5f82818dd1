/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the control API's request handler
 * (api/api_requests.c): the input is one request line, as a client sends
 * it without its newline. api_handle() runs it on a real hypervisor that
 * holds one tiny guest, VM 1, so the requests about a VM reach their
 * handlers and hv_*() and not only the argument checks.
 *
 * Every request returns quickly on that setup: the guest is a Linux Image
 * in name only (no version banner), so inspect and share are refused
 * before any profile is built; the host-memory limit allows a handful of
 * clones, so a clone of 10000 stops early with -ENOMEM; dedup and check
 * walk a few pages. After each input the harness puts the setup back:
 * clones destroyed, VM 1 resumed, periodic sharing off, and, when VM 1
 * itself was destroyed, a new hypervisor made (so that VM 1 exists again).
 *
 * The reply must be what api.c sends: an object with a boolean "ok", a
 * string "error" when ok is false, printable as one line. With
 * FUZZ_API_VERBOSE set, each reply is printed (to see what a corpus
 * entry reaches).
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "api/api_requests.h"
#include "dev/console.h"
#include "vmm/hv.h"
#include "vmm/vm.h"

#define FUZZ_GUEST_RAM	(8ull << 20)
#define FUZZ_HOST_MEM	(512ull << 10)
#define FUZZ_IMAGE_SIZE 4096u
#define FUZZ_BASE_VM	1u

/*
 * The guest, as a RISC-V Linux Image: code0 jumps over the 64-byte
 * header; then it prints 'R' (legacy putchar) and waits for interrupts
 * forever, taking no host CPU.
 */
static const uint32_t fuzz_code[] = {
    0x00100893, /* li a7, 1 */
    0x05200513, /* li a0, 'R' */
    0x00000073, /* ecall */
    0x10500073, /* 1: wfi */
    0xffdff06f, /* j 1b */
};

static struct hv *hv;
static struct console *con;
static char image_dir[] = "/tmp/memvisor-fuzz-api-XXXXXX";
static char image_path[PATH_MAX];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A violated invariant: say which, then crash for libFuzzer. */
#define check(ok)                                                              \
	do {                                                                   \
		if (!(ok)) {                                                   \
			fprintf(stderr, "fuzz_api: %s:%d: %s\n", __FILE__,     \
				__LINE__, #ok);                                \
			abort();                                               \
		}                                                              \
	} while (0)

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* At exit (libFuzzer ends with exit()): the guest's file goes. */
static void remove_image(void)
{
	unlink(image_path);
	rmdir(image_dir);
}

static void write_image(void)
{
	uint8_t img[FUZZ_IMAGE_SIZE] = {0};
	FILE *f;

	check(mkdtemp(image_dir));
	snprintf(image_path, sizeof(image_path), "%s/Image", image_dir);
	atexit(remove_image);
	put_le32(img + 0, 0x0400006f);	     /* j 64 */
	put_le32(img + 16, FUZZ_IMAGE_SIZE); /* image_size (low half) */
	put_le32(img + 32, 2);		     /* version 0.2 */
	memcpy(img + 48, "RISCV\0\0\0", 8);
	memcpy(img + 56, "RSC\x05", 4);
	for (size_t i = 0; i < sizeof(fuzz_code) / sizeof(fuzz_code[0]); i++)
		put_le32(img + 64 + 4 * i, fuzz_code[i]);
	f = fopen(image_path, "wb");
	check(f && fwrite(img, sizeof(img), 1, f) == 1 && !fclose(f));
}

/* A new hypervisor holding only VM 1 (any old one destroyed first). */
static void make_hv(void)
{
	struct vm_config cfg = {
	    .kernel = image_path, .ram_size = FUZZ_GUEST_RAM, .ncpus = 1};
	char why[VM_WHY_LEN] = "";
	struct vm *vm;

	if (hv)
		hv_destroy(hv);
	if (con)
		console_destroy(con);
	check(!hv_create(FUZZ_HOST_MEM, 1, &hv));
	check(!console_create(256, &con) && !console_capture(con, 4096));
	if (vm_create(&cfg, hv_pool(hv), con, &vm, why, sizeof(why))) {
		fprintf(stderr, "fuzz_api: vm_create: %s\n", why);
		abort();
	}
	check(hv_add(hv, vm) == (int)FUZZ_BASE_VM);
}

/* Back to the setup every input starts from. */
static void reset(void)
{
	struct hv_vm_info in;
	unsigned ids[64];
	size_t n;

	if (hv_info(hv, FUZZ_BASE_VM, &in) || in.stopped) {
		make_hv();
		return;
	}
	do {
		n = hv_list(hv, ids, 64);
		for (size_t i = 0; i < n && i < 64; i++)
			if (ids[i] != FUZZ_BASE_VM)
				check(!hv_destroy_vm(hv, ids[i]));
	} while (n > 1);
	if (in.paused)
		check(!hv_resume(hv, FUZZ_BASE_VM));
	check(!hv_share_interval(hv, 0, 0));
}

/* What every reply must be. */
static void check_reply(json_t *reply)
{
	json_t *ok, *error;
	char *text;

	check(reply);
	check(json_is_object(reply));
	ok = json_object_get(reply, "ok");
	check(json_is_boolean(ok));
	error = json_object_get(reply, "error");
	if (json_is_false(ok))
		check(json_is_string(error) && json_string_length(error));
	else
		check(!error);
	text = json_dumps(reply, JSON_COMPACT);
	check(text && !strchr(text, '\n'));
	if (getenv("FUZZ_API_VERBOSE"))
		fprintf(stderr, "fuzz_api: %.300s\n", text);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *reply;

	if (!hv) {
		write_image();
		make_hv();
	}
	reply = api_handle(hv, (const char *)data, size);
	check_reply(reply);
	json_decref(reply);
	reset();
	return 0;
}
