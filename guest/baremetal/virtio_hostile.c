/* SPDX-License-Identifier: MIT */
/*
 * A hostile driver of the virtio-blk device in slot 0 (run with --disk of
 * at least 64 KiB and --memory 64M): malformed queue setups (sizes that
 * are zero, not a power of two or above QueueNumMax; rings outside RAM or
 * over a device's registers), malformed chains (loops, chains longer than
 * the queue, buffers outside RAM or over the used ring, lengths near
 * 2^32), an available index far ahead, notifies on queues that are not
 * ready. Each must fail that request (a used entry of length 0) or set
 * DEVICE_NEEDS_RESET, after which a reset and a good request work again.
 *
 * Check codes: 1xx probing, 2xx queue setup, 3xx chains, 4xx rings.
 */
#include "lib.h"

TEST_NAME("virtio_hostile");

#define MMIO	 0x10001000ul
#define RAM_BASE 0x80000000ul
#define RAM_END	 (RAM_BASE + 64ul * 1024 * 1024)
#define QSIZE	 16

#define R_MAGIC	       0x000
#define R_VERSION      0x004
#define R_DEVICE_ID    0x008
#define R_DEV_FEAT     0x010
#define R_DEV_FEAT_SEL 0x014
#define R_DRV_FEAT     0x020
#define R_DRV_FEAT_SEL 0x024
#define R_QUEUE_SEL    0x030
#define R_QUEUE_MAX    0x034
#define R_QUEUE_NUM    0x038
#define R_QUEUE_READY  0x044
#define R_NOTIFY       0x050
#define R_ISR	       0x060
#define R_ACK	       0x064
#define R_STATUS       0x070
#define R_DESC	       0x080
#define R_DRIVER       0x090
#define R_DEVICE       0x0a0

#define S_OK	      0xb /* ACKNOWLEDGE | DRIVER | FEATURES_OK */
#define S_DRIVER_OK   4
#define S_NEEDS_RESET 64

#define F_NEXT	   1
#define F_WRITE	   2
#define F_INDIRECT 4

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

static struct desc table[QSIZE] __attribute__((aligned(4096)));
static struct {
	uint16_t flags, idx, ring[QSIZE], used_event;
} avail __attribute__((aligned(4096)));
static struct {
	uint16_t flags, idx;
	struct {
		uint32_t id, len;
	} ring[QSIZE];
	uint16_t avail_event;
} used __attribute__((aligned(4096)));
static struct {
	uint32_t type, reserved;
	uint64_t sector;
} hdr;
static uint8_t data[4096] __attribute__((aligned(4096)));
static volatile uint8_t status;
static uint16_t avail_idx, used_seen;

static uint32_t rd(unsigned off)
{
	return *(volatile uint32_t *)(MMIO + off);
}

static void wr(unsigned off, uint32_t v)
{
	*(volatile uint32_t *)(MMIO + off) = v;
}

static void wr64(unsigned off, uint64_t v)
{
	wr(off, (uint32_t)v);
	wr(off + 4, (uint32_t)(v >> 32));
}

static void negotiate(void)
{
	wr(R_STATUS, 0);
	wr(R_STATUS, 3);
	wr(R_DRV_FEAT_SEL, 1);
	wr(R_DRV_FEAT, 1); /* VERSION_1 */
	wr(R_DRV_FEAT_SEL, 0);
	wr(R_DRV_FEAT, 3u << 28); /* INDIRECT_DESC, RING_EVENT_IDX */
	wr(R_STATUS, S_OK);
	avail_idx = used_seen = 0;
	memset(&avail, 0, sizeof(avail));
	memset(&used, 0, sizeof(used));
}

/* Set up queue 0; returns QueueReady. */
static uint32_t setup(uint32_t num, uint64_t d, uint64_t a, uint64_t u)
{
	wr(R_QUEUE_SEL, 0);
	wr(R_QUEUE_NUM, num);
	wr64(R_DESC, d);
	wr64(R_DRIVER, a);
	wr64(R_DEVICE, u);
	wr(R_QUEUE_READY, 1);
	return rd(R_QUEUE_READY);
}

static void good_setup(void)
{
	negotiate();
	CHECK_EQ(
	    setup(QSIZE, (uint64_t)table, (uint64_t)&avail, (uint64_t)&used), 1,
	    200);
	wr(R_STATUS, S_OK | S_DRIVER_OK);
}

static void offer(uint16_t head)
{
	avail.ring[avail_idx % QSIZE] = head;
	__sync_synchronize();
	avail.idx = ++avail_idx;
	__sync_synchronize();
	wr(R_NOTIFY, 0);
}

/* Wait for the next used entry (on the device's worker thread); its len. */
static uint32_t wait_used(unsigned code)
{
	uint64_t end = rdtime() + 50000000; /* 5 s at 10 MHz */
	uint32_t len;

	while (*(volatile uint16_t *)&used.idx == used_seen)
		if (rdtime() > end)
			fail(code, "no used entry within 5 s", used_seen, 0,
			     true);
	__sync_synchronize();
	len = used.ring[used_seen % QSIZE].len;
	used_seen++;
	wr(R_ACK, rd(R_ISR));
	return len;
}

/* A good read of sector 0: header, 512 bytes, status. */
static void good_request(unsigned code)
{
	hdr.type = 0;
	hdr.sector = 0;
	status = 0xee;
	table[0] = (struct desc){(uint64_t)&hdr, 16, F_NEXT, 1};
	table[1] = (struct desc){(uint64_t)data, 512, F_NEXT | F_WRITE, 2};
	table[2] = (struct desc){(uint64_t)&status, 1, F_WRITE, 0};
	offer(0);
	EXPECT_EQ(wait_used(code), 513, code);
	EXPECT_EQ(status, 0, code + 1);
	EXPECT_EQ(rd(R_STATUS) & S_NEEDS_RESET, 0, code + 2);
}

/* A chain the device must fail: used length 0 and the queue goes on. */
static void bad_chain(unsigned code)
{
	offer(0);
	EXPECT_EQ(wait_used(code), 0, code);
	EXPECT_EQ(rd(R_STATUS) & S_NEEDS_RESET, 0, code + 1);
	good_request(code + 2);
}

/* A setup the device must refuse: not ready, DEVICE_NEEDS_RESET. */
static void bad_setup(uint32_t num, uint64_t d, uint64_t a, uint64_t u,
		      unsigned code)
{
	negotiate();
	EXPECT_EQ(setup(num, d, a, u), 0, code);
	EXPECT_EQ(rd(R_STATUS) & S_NEEDS_RESET, S_NEEDS_RESET, code + 1);
	wr(R_NOTIFY, 0); /* on a queue that is not ready: ignored */
}

void test_main(unsigned long hartid, unsigned long dtb)
{
	(void)hartid;
	(void)dtb;
	CHECK_EQ(rd(R_MAGIC), 0x74726976, 100);
	CHECK_EQ(rd(R_VERSION), 2, 101);
	CHECK_EQ(rd(R_DEVICE_ID), 2, 102);
	wr(R_DEV_FEAT_SEL, 1);
	CHECK_EQ(rd(R_DEV_FEAT) & 1, 1, 103);
	/* Without VERSION_1, FEATURES_OK does not stick. */
	wr(R_STATUS, 0);
	wr(R_STATUS, 3);
	wr(R_STATUS, S_OK);
	EXPECT_EQ(rd(R_STATUS), 3, 104);
	wr(R_NOTIFY, 0); /* before any queue: ignored */
	wr(R_NOTIFY, 7);

	bad_setup(0, (uint64_t)table, (uint64_t)&avail, (uint64_t)&used, 210);
	bad_setup(3, (uint64_t)table, (uint64_t)&avail, (uint64_t)&used, 212);
	bad_setup(1024, (uint64_t)table, (uint64_t)&avail, (uint64_t)&used,
		  214);
	bad_setup(QSIZE, 0x1000, (uint64_t)&avail, (uint64_t)&used, 216);
	bad_setup(QSIZE, (uint64_t)table, (uint64_t)&avail, MMIO, 218);
	bad_setup(QSIZE, (uint64_t)table, (uint64_t)&avail, RAM_END - 8, 220);
	bad_setup(QSIZE, (uint64_t)table, (uint64_t)&avail, (uint64_t)table,
		  222);

	good_setup();
	good_request(300);
	/* A loop, a self-loop, a chain through every descriptor. */
	table[0] = (struct desc){(uint64_t)&hdr, 16, F_NEXT, 1};
	table[1] = (struct desc){(uint64_t)data, 16, F_NEXT, 0};
	bad_chain(310);
	table[0] = (struct desc){(uint64_t)&hdr, 16, F_NEXT, 0};
	bad_chain(320);
	for (unsigned i = 0; i < QSIZE; i++)
		table[i] = (struct desc){(uint64_t)data, 16, F_NEXT,
					 (uint16_t)((i + 1) % QSIZE)};
	bad_chain(330);
	/* Buffers outside RAM, over the used ring, of 4 GiB - 1. */
	table[0] = (struct desc){(uint64_t)&hdr, 16, F_NEXT, 1};
	table[1] = (struct desc){0x1000, 512, F_NEXT | F_WRITE, 2};
	table[2] = (struct desc){(uint64_t)&status, 1, F_WRITE, 0};
	bad_chain(340);
	table[1] = (struct desc){(uint64_t)&used, 512, F_NEXT | F_WRITE, 2};
	bad_chain(350);
	table[1] =
	    (struct desc){(uint64_t)data, 0xffffffffu, F_NEXT | F_WRITE, 2};
	bad_chain(360);
	table[1] = (struct desc){RAM_END - 256, 512, F_NEXT | F_WRITE, 2};
	bad_chain(370);
	/* Indirect inside indirect. */
	static struct desc ind[2] __attribute__((aligned(16)));
	ind[0] = (struct desc){(uint64_t)ind, 32, F_INDIRECT, 0};
	table[0] = (struct desc){(uint64_t)ind, 32, F_INDIRECT, 0};
	bad_chain(380);
	/* A head beyond the table. */
	avail.ring[avail_idx % QSIZE] = QSIZE + 3;
	__sync_synchronize();
	avail.idx = ++avail_idx;
	wr(R_NOTIFY, 0);
	{
		uint64_t end = rdtime() + 50000000;

		while (!(rd(R_STATUS) & S_NEEDS_RESET) && rdtime() < end)
			;
	}
	EXPECT_EQ(rd(R_STATUS) & S_NEEDS_RESET, S_NEEDS_RESET, 400);
	good_setup();
	good_request(410);
	/* An available index far ahead. */
	avail.idx = (uint16_t)(avail_idx + 1000);
	__sync_synchronize();
	wr(R_NOTIFY, 0);
	{
		uint64_t end = rdtime() + 50000000;

		while (!(rd(R_STATUS) & S_NEEDS_RESET) && rdtime() < end)
			;
	}
	EXPECT_EQ(rd(R_STATUS) & S_NEEDS_RESET, S_NEEDS_RESET, 420);
	EXPECT(rd(R_ISR) & 2, 421); /* a configuration interrupt */
	good_setup();
	good_request(430);
	pass();
}
