/* SPDX-License-Identifier: MIT */
/*
 * A hostile virtio driver (run with --memory 64M; with --disk of at least
 * 64 KiB for the virtio-blk part). It walks every virtio-mmio node of the
 * device tree and abuses every queue of every device, whatever its device
 * ID:
 *
 *   - setups: a queue size of zero, not a power of two, above QueueNumMax
 *     or beyond 16 bits; rings outside RAM, across its end, over the
 *     device's own registers, misaligned, a used ring over the descriptor
 *     table or the available ring (memory the device must not write);
 *     each must leave the queue not ready and set DEVICE_NEEDS_RESET;
 *   - notifies on queues that are not ready or do not exist: ignored;
 *   - chains: loops (direct and indirect), a chain through every
 *     descriptor (longer than the queue), a next index beyond the table,
 *     buffers outside RAM or across its end, writable buffers over the
 *     queue's own rings, lengths near 2^32 (one buffer, or a sum), nested
 *     and malformed indirect tables; each must fail that request (a used
 *     entry of length 0) or set DEVICE_NEEDS_RESET;
 *   - rings: a head beyond the table, an available index far ahead:
 *     DEVICE_NEEDS_RESET.
 *
 * A queue the device takes buffers from only when it has something to put
 * in them (a receive queue) shows no reaction to a chain: after the first
 * chain finds none within CHAIN_WAIT, the test says so and leaves that
 * queue's chain and ring checks out. virtio-blk (device ID 2) takes every
 * request at once, so there the test is strict, and after each chain a good
 * read of sector 0 must work.
 *
 * Roles (for the runner's check that other VMs keep running): with
 * "virtio_hostile=wait" in /chosen/bootargs the test waits for one byte on
 * the console first: 'h' runs the tests, 'b' makes it a bystander, which
 * reads sector 0 of its disk over and over (each read checked) until it
 * gets 'q', then passes.
 *
 * Check codes: 1xx probing, 2xx queue setup, 3xx chains, 4xx rings, 5xx
 * notifies, 6xx the bystander.
 */
#include "fdt.h"
#include "lib.h"

TEST_NAME("virtio_hostile");

#define RAM_BASE   0x80000000ul
#define RAM_END	   (RAM_BASE + 64ul * 1024 * 1024)
#define QSIZE	   16
#define MAX_DEVS   8  /* virtio-mmio nodes looked at */
#define MAX_QUEUES 16 /* probed: QueueNumMax 0 means no such queue */
#define IND_MAX	   128

#define VIRTIO_ID_BLOCK 2
#define VIRTIO_MAGIC	0x74726976u

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
#define S_FEATURES_OK 8
#define S_DRIVER_OK   4
#define S_NEEDS_RESET 64

#define F_NEXT	   1
#define F_WRITE	   2
#define F_INDIRECT 4

/* Feature bits a driver of any device may take (transport features). */
#define FEAT_LO_TRANSPORT (3u << 28) /* INDIRECT_DESC, RING_EVENT_IDX */
#define FEAT_HI_VERSION_1 1u

#define SECONDS(s)  ((uint64_t)(s)*TIMEBASE_HZ)
#define CHAIN_WAIT  SECONDS(2) /* a queue's first chain */
#define STRICT_WAIT SECONDS(5) /* an eager queue's answer */

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

/* One device, and the queue under test. */
struct dev {
	uint64_t base;
	uint32_t id;
	unsigned nqueues; /* queues 0 .. nqueues - 1 probed */
	unsigned q;	  /* the queue under test */
	uint16_t qsize;	  /* its size in the good setups */
	uint16_t qmax;	  /* its QueueNumMax */
	bool eager;	  /* answers every chain at once (virtio-blk) */
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
static struct desc ind[IND_MAX] __attribute__((aligned(16)));
static struct {
	uint32_t type, reserved;
	uint64_t sector;
} hdr;
static uint8_t data[4096] __attribute__((aligned(4096)));
static volatile uint8_t status;
static uint16_t avail_idx, used_seen;

/* ---- registers ---- */

static uint32_t rd(const struct dev *d, unsigned off)
{
	return *(volatile uint32_t *)(d->base + off);
}

static void wr(const struct dev *d, unsigned off, uint32_t v)
{
	*(volatile uint32_t *)(d->base + off) = v;
}

static void wr64(const struct dev *d, unsigned off, uint64_t v)
{
	wr(d, off, (uint32_t)v);
	wr(d, off + 4, (uint32_t)(v >> 32));
}

static bool needs_reset(const struct dev *d)
{
	return rd(d, R_STATUS) & S_NEEDS_RESET;
}

/* Print "virtio_hostile: <what> (device <id> at <base>, queue <q>)". */
static void say(const struct dev *d, const char *what)
{
	puts("virtio_hostile: ");
	puts(what);
	puts(" (device ");
	put_dec(d->id);
	puts(" at ");
	put_hex(d->base);
	puts(", queue ");
	put_dec(d->q);
	puts(")\n");
}

/* Reset, then accept VERSION_1 and the transport's ring features. */
static void negotiate(const struct dev *d)
{
	uint32_t lo, hi;

	wr(d, R_STATUS, 0);
	CHECK_EQ(rd(d, R_STATUS), 0, 110);
	wr(d, R_STATUS, 3);
	wr(d, R_DEV_FEAT_SEL, 0);
	lo = rd(d, R_DEV_FEAT);
	wr(d, R_DEV_FEAT_SEL, 1);
	hi = rd(d, R_DEV_FEAT);
	wr(d, R_DRV_FEAT_SEL, 1);
	wr(d, R_DRV_FEAT, hi & FEAT_HI_VERSION_1);
	wr(d, R_DRV_FEAT_SEL, 0);
	wr(d, R_DRV_FEAT, lo & FEAT_LO_TRANSPORT);
	wr(d, R_STATUS, S_OK);
	CHECK_EQ(rd(d, R_STATUS), S_OK, 111);
	avail_idx = used_seen = 0;
	memset(&avail, 0, sizeof(avail));
	memset(&used, 0, sizeof(used));
}

/* Set up queue d->q; returns QueueReady. */
static uint32_t setup(const struct dev *d, uint32_t num, uint64_t dt,
		      uint64_t a, uint64_t u)
{
	wr(d, R_QUEUE_SEL, d->q);
	wr(d, R_QUEUE_NUM, num);
	wr64(d, R_DESC, dt);
	wr64(d, R_DRIVER, a);
	wr64(d, R_DEVICE, u);
	wr(d, R_QUEUE_READY, 1);
	return rd(d, R_QUEUE_READY);
}

static void good_setup(const struct dev *d)
{
	negotiate(d);
	CHECK_EQ(setup(d, d->qsize, (uint64_t)table, (uint64_t)&avail,
		       (uint64_t)&used),
		 1, 200);
	wr(d, R_STATUS, S_OK | S_DRIVER_OK);
}

static void offer(const struct dev *d, uint16_t head)
{
	avail.ring[avail_idx % d->qsize] = head;
	__sync_synchronize();
	avail.idx = ++avail_idx;
	__sync_synchronize();
	wr(d, R_NOTIFY, d->q);
}

enum answer { ANSWER_NONE, ANSWER_USED, ANSWER_RESET };

/* Wait up to ticks for a used entry (its length in *len) or NEEDS_RESET. */
static enum answer wait_answer(const struct dev *d, uint64_t ticks,
			       uint32_t *len)
{
	uint64_t end = rdtime() + ticks;

	for (;;) {
		if (*(volatile uint16_t *)&used.idx != used_seen) {
			__sync_synchronize();
			*len = used.ring[used_seen % d->qsize].len;
			used_seen++;
			wr(d, R_ACK, rd(d, R_ISR));
			return ANSWER_USED;
		}
		if (needs_reset(d))
			return ANSWER_RESET;
		if (rdtime() > end)
			return ANSWER_NONE;
	}
}

/* ---- virtio-blk: a request the device must carry out ---- */

/* A good read of sector 0: header, 512 bytes, status. */
static void blk_good_request(const struct dev *d, unsigned code)
{
	uint32_t len = 0;

	hdr.type = 0;
	hdr.sector = 0;
	status = 0xee;
	table[0] = (struct desc){(uint64_t)&hdr, 16, F_NEXT, 1};
	table[1] = (struct desc){(uint64_t)data, 512, F_NEXT | F_WRITE, 2};
	table[2] = (struct desc){(uint64_t)&status, 1, F_WRITE, 0};
	offer(d, 0);
	EXPECT_EQ(wait_answer(d, STRICT_WAIT, &len), ANSWER_USED, code);
	EXPECT_EQ(len, 513, code + 1);
	EXPECT_EQ(status, 0, code + 2);
	EXPECT(!needs_reset(d), code + 3);
}

/* ---- 2xx: setups the device must refuse ---- */

/* Not ready, DEVICE_NEEDS_RESET; a notify on it is ignored. */
static void bad_setup(const struct dev *d, uint32_t num, uint64_t dt,
		      uint64_t a, uint64_t u, unsigned code)
{
	negotiate(d);
	EXPECT_EQ(setup(d, num, dt, a, u), 0, code);
	EXPECT(needs_reset(d), code + 1);
	wr(d, R_NOTIFY, d->q);
}

static void abuse_setups(const struct dev *d)
{
	uint64_t t = (uint64_t)table, a = (uint64_t)&avail, u = (uint64_t)&used;
	unsigned n = d->qsize;

	bad_setup(d, 0, t, a, u, 210);
	bad_setup(d, 3, t, a, u, 213);
	bad_setup(d, n + 1, t, a, u, 216);
	if (d->qmax <= 0x4000)
		bad_setup(d, 2u * d->qmax, t, a, u, 219);
	bad_setup(d, 0x10000u | n, t, a, u, 222);
	bad_setup(d, n, 0x1000, a, u, 225);
	bad_setup(d, n, t, 0x1000, u, 228);
	bad_setup(d, n, t, a, 0x1000, 231);
	bad_setup(d, n, d->base, a, u, 234);
	bad_setup(d, n, t, a, d->base, 237);
	bad_setup(d, n, t, a, RAM_END - 8, 240);
	bad_setup(d, n, RAM_END - 16 * n / 2, a, u, 243);
	bad_setup(d, n, t, a, ~0ul & ~0xffful, 246);
	bad_setup(d, n, t, a, t, 249);
	bad_setup(d, n, t, a, a, 252);
	bad_setup(d, n, t + 8, a, u, 255);
	bad_setup(d, n, t, a + 1, u, 258);
	bad_setup(d, n, t, a, u + 2, 261);
}

/* ---- 3xx: chains the device must fail ---- */

/* The header and status around a bad middle part, as virtio-blk reads
 * them, so that only the bad part can make the request fail. The status
 * is table[2]: every queue tested has at least 4 entries. */
static void frame(uint16_t next_of_hdr)
{
	hdr.type = 0;
	hdr.sector = 0;
	table[0] = (struct desc){(uint64_t)&hdr, 16, F_NEXT, next_of_hdr};
	table[2] = (struct desc){(uint64_t)&status, 1, F_WRITE, 0};
}

/* table[1] is the middle part, then the status. */
static void middle(uint64_t addr, uint32_t len, uint16_t flags)
{
	frame(1);
	table[1] = (struct desc){addr, len, flags | F_NEXT, 2};
}

static void chain_loop(void)
{
	frame(1);
	table[1] = (struct desc){(uint64_t)data, 16, F_NEXT, 0};
}

static void chain_self_loop(void)
{
	frame(0);
}

/* The size of the queue the chains are built for. */
static unsigned chain_qsize;

static void chain_through_all(void)
{
	for (unsigned i = 0; i < chain_qsize; i++)
		table[i] = (struct desc){(uint64_t)data, 16, F_NEXT,
					 (uint16_t)((i + 1) % chain_qsize)};
}

static void chain_next_beyond(void)
{
	frame(QSIZE + 5);
}

static void chain_read_outside(void)
{
	middle(0x1000, 512, 0);
}

static void chain_write_outside(void)
{
	middle(0x1000, 512, F_WRITE);
}

static void chain_across_end(void)
{
	middle(RAM_END - 256, 512, F_WRITE);
}

static void chain_over_desc(void)
{
	middle((uint64_t)table, 512, F_WRITE);
}

static void chain_over_avail(void)
{
	middle((uint64_t)&avail + 2, 2, F_WRITE);
}

static void chain_over_used(void)
{
	middle((uint64_t)&used, 512, F_WRITE);
}

static void chain_len_4g(void)
{
	middle((uint64_t)data, 0xffffffffu, F_WRITE);
}

/* Readable buffers inside RAM whose lengths add up past 2^32. */
static void chain_len_sum(void)
{
	const unsigned n = 72; /* x 60 MiB > 4 GiB */

	for (unsigned i = 0; i < n; i++)
		ind[i] = (struct desc){RAM_BASE, 60u << 20, F_NEXT,
				       (uint16_t)(i + 1)};
	ind[n - 1].flags = 0;
	frame(1);
	table[1] = (struct desc){(uint64_t)ind, 16 * n, F_INDIRECT, 0};
}

static void chain_ind_nested(void)
{
	ind[0] = (struct desc){(uint64_t)ind, 32, F_INDIRECT, 0};
	table[0] = (struct desc){(uint64_t)ind, 32, F_INDIRECT, 0};
}

static void chain_ind_loop(void)
{
	ind[0] = (struct desc){(uint64_t)&hdr, 16, F_NEXT, 1};
	ind[1] = (struct desc){(uint64_t)data, 16, F_NEXT, 2};
	ind[2] = (struct desc){(uint64_t)data, 16, F_NEXT, 1};
	table[0] = (struct desc){(uint64_t)ind, 48, F_INDIRECT, 0};
}

static void chain_ind_outside(void)
{
	table[0] = (struct desc){0x1000, 48, F_INDIRECT, 0};
}

static void chain_ind_odd_len(void)
{
	ind[0] = (struct desc){(uint64_t)&hdr, 16, F_NEXT, 1};
	ind[1] = (struct desc){(uint64_t)&status, 1, F_WRITE, 0};
	table[0] = (struct desc){(uint64_t)ind, 24, F_INDIRECT, 0};
}

static void chain_ind_huge(void)
{
	table[0] = (struct desc){(uint64_t)ind, 0xfffffff0u, F_INDIRECT, 0};
}

static void chain_ind_with_next(void)
{
	ind[0] = (struct desc){(uint64_t)&status, 1, F_WRITE, 0};
	frame(1);
	table[1] = (struct desc){(uint64_t)ind, 16, F_INDIRECT | F_NEXT, 2};
}

static const struct {
	void (*build)(void);
	const char *what;
} bad_chains[] = {
    {chain_loop, "a loop"},
    {chain_self_loop, "a descriptor naming itself"},
    {chain_through_all, "a chain through every descriptor"},
    {chain_next_beyond, "a next index beyond the table"},
    {chain_read_outside, "a readable buffer outside RAM"},
    {chain_write_outside, "a writable buffer outside RAM"},
    {chain_across_end, "a buffer across the end of RAM"},
    {chain_over_desc, "a writable buffer over the descriptor table"},
    {chain_over_avail, "a writable buffer over the available ring"},
    {chain_over_used, "a writable buffer over the used ring"},
    {chain_len_4g, "a buffer of 4 GiB - 1"},
    {chain_len_sum, "buffers adding up past 4 GiB"},
    {chain_ind_nested, "an indirect table inside an indirect table"},
    {chain_ind_loop, "a loop inside an indirect table"},
    {chain_ind_outside, "an indirect table outside RAM"},
    {chain_ind_odd_len, "an indirect table of 24 bytes"},
    {chain_ind_huge, "an indirect table of 4 GiB"},
    {chain_ind_with_next, "an indirect descriptor with NEXT"},
};
#define NBAD_CHAINS (sizeof(bad_chains) / sizeof(bad_chains[0]))

/*
 * Offer each bad chain on d->q. Returns false when the queue showed no
 * reaction to the first (a lazy queue: the rest is left out).
 */
static bool abuse_chains(const struct dev *d)
{
	good_setup(d);
	for (unsigned i = 0; i < NBAD_CHAINS; i++) {
		unsigned code = 300 + 4 * i;
		uint32_t len = 0;
		enum answer a;

		memset(table, 0, sizeof(table));
		chain_qsize = d->qsize;
		bad_chains[i].build();
		offer(d, 0);
		a = wait_answer(d, i || d->eager ? STRICT_WAIT : CHAIN_WAIT,
				&len);
		if (a == ANSWER_NONE && !i && !d->eager) {
			say(d, "no answer to a chain: a queue that takes "
			       "buffers only when it has data; its chain and "
			       "ring checks are left out");
			return false;
		}
		if (a == ANSWER_NONE || (a == ANSWER_USED && len)) {
			say(d, bad_chains[i].what);
			EXPECT_EQ(a, ANSWER_USED, code);
			EXPECT_EQ(len, 0, code + 1);
		}
		if (a == ANSWER_RESET || a == ANSWER_NONE)
			good_setup(d);
		else
			EXPECT(!needs_reset(d), code + 2);
		if (d->id == VIRTIO_ID_BLOCK) {
			unsigned before = test_failures;

			blk_good_request(d, 390);
			if (test_failures != before)
				say(d, bad_chains[i].what);
		}
	}
	return true;
}

/* ---- 5xx: notifies the device must ignore ---- */

/*
 * A chain waits on d->q, not notified; notifies on every other queue (not
 * ready, or no such queue), and on numbers that name d->q only when
 * truncated, must not make the device take it. virtio-blk takes it when
 * d->q itself is notified.
 */
static void abuse_notifies(const struct dev *d)
{
	static const uint32_t odd[] = {MAX_QUEUES, 0xffff, ~0u};
	uint32_t len = 0;

	good_setup(d);
	memset(table, 0, sizeof(table));
	chain_loop();
	avail.ring[0] = 0;
	__sync_synchronize();
	avail.idx = ++avail_idx;
	__sync_synchronize();
	for (unsigned i = 0; i < MAX_QUEUES; i++)
		if (i != d->q)
			wr(d, R_NOTIFY, i);
	for (unsigned i = 0; i < sizeof(odd) / sizeof(odd[0]); i++)
		wr(d, R_NOTIFY, odd[i]);
	wr(d, R_NOTIFY, 0x10000u | d->q);
	delay_ticks(SECONDS(1) / 50);
	EXPECT(!needs_reset(d), 500);
	if (!d->eager)
		return;
	EXPECT_EQ(*(volatile uint16_t *)&used.idx, 0, 501);
	wr(d, R_NOTIFY, d->q);
	EXPECT_EQ(wait_answer(d, STRICT_WAIT, &len), ANSWER_USED, 502);
	EXPECT_EQ(len, 0, 503);
}

/* ---- 4xx: rings the device must give up on ---- */

static void expect_needs_reset(const struct dev *d, unsigned code)
{
	uint64_t end = rdtime() + STRICT_WAIT;

	while (!needs_reset(d) && rdtime() < end)
		;
	EXPECT(needs_reset(d), code);
}

static void abuse_rings(const struct dev *d)
{
	/* A head beyond the table. */
	good_setup(d);
	avail.ring[avail_idx % d->qsize] = QSIZE + 3;
	__sync_synchronize();
	avail.idx = ++avail_idx;
	wr(d, R_NOTIFY, d->q);
	expect_needs_reset(d, 400);
	/* An available index far ahead. */
	good_setup(d);
	avail.idx = (uint16_t)(avail_idx + 1000);
	__sync_synchronize();
	wr(d, R_NOTIFY, d->q);
	expect_needs_reset(d, 410);
	EXPECT(rd(d, R_ISR) & 2, 411); /* a configuration interrupt */
	/* After a reset the queue works again. */
	good_setup(d);
	if (d->id == VIRTIO_ID_BLOCK)
		blk_good_request(d, 420);
}

/* ---- 1xx: finding the devices ---- */

struct slots {
	uint64_t base[MAX_DEVS];
	unsigned n;
	unsigned addr_cells;
	bool virtio;  /* the current node is compatible "virtio,mmio" */
	uint64_t reg; /* its reg's address, 0: none */
	const char *bootargs;
};

/* Whether the string list val[0..len) holds s. */
static bool list_has(const uint8_t *val, uint32_t len, const char *s)
{
	for (uint32_t o = 0; o < len;
	     o += fdt_strlen((const char *)val + o) + 1)
		if (fdt_streq((const char *)val + o, s))
			return true;
	return false;
}

static bool slot_prop(void *arg, int depth, const char *node, const char *prop,
		      const uint8_t *val, uint32_t len)
{
	struct slots *s = arg;

	if (!prop) {
		if (s->virtio && s->reg && s->n < MAX_DEVS)
			s->base[s->n++] = s->reg;
		s->virtio = false;
		s->reg = 0;
		return true;
	}
	if (depth == 1 && fdt_streq(prop, "#address-cells") && len == 4)
		s->addr_cells = fdt_be32(val);
	if (fdt_streq(node, "chosen") && fdt_streq(prop, "bootargs"))
		s->bootargs = (const char *)val;
	if (fdt_streq(prop, "compatible"))
		s->virtio = list_has(val, len, "virtio,mmio");
	if (fdt_streq(prop, "reg") && len >= 4 * s->addr_cells)
		s->reg = s->addr_cells == 2
			     ? (uint64_t)fdt_be32(val) << 32 | fdt_be32(val + 4)
			     : fdt_be32(val);
	return true;
}

/* Probe the device at base; false when the slot holds none (ID 0). */
static bool probe(struct dev *d, uint64_t base)
{
	d->base = base;
	d->q = 0;
	CHECK_EQ(rd(d, R_MAGIC), VIRTIO_MAGIC, 100);
	CHECK_EQ(rd(d, R_VERSION), 2, 101);
	d->id = rd(d, R_DEVICE_ID);
	if (!d->id)
		return false;
	d->eager = d->id == VIRTIO_ID_BLOCK;
	d->nqueues = 0;
	for (unsigned q = 0; q < MAX_QUEUES; q++) {
		wr(d, R_QUEUE_SEL, q);
		if (rd(d, R_QUEUE_MAX))
			d->nqueues = q + 1;
	}
	CHECK(d->nqueues > 0, 102);
	wr(d, R_DEV_FEAT_SEL, 1);
	CHECK_EQ(rd(d, R_DEV_FEAT) & 1, 1, 103);
	/* Without VERSION_1, FEATURES_OK does not stick. */
	wr(d, R_STATUS, 0);
	wr(d, R_STATUS, 3);
	wr(d, R_STATUS, S_OK);
	EXPECT_EQ(rd(d, R_STATUS), 3, 104);
	/* Before any queue: notifies are ignored. */
	for (unsigned q = 0; q < MAX_QUEUES; q++)
		wr(d, R_NOTIFY, q);
	EXPECT(!needs_reset(d), 105);
	return true;
}

/* Everything, on every queue of the device at base. */
static void abuse_device(uint64_t base)
{
	struct dev d;

	if (!probe(&d, base))
		return;
	for (d.q = 0; d.q < d.nqueues; d.q++) {
		wr(&d, R_QUEUE_SEL, d.q);
		d.qmax = (uint16_t)rd(&d, R_QUEUE_MAX);
		if (!d.qmax)
			continue;
		d.qsize = QSIZE;
		while (d.qsize > d.qmax)
			d.qsize /= 2;
		if (d.qsize < 4) {
			say(&d, "QueueNumMax below 4: left out");
			continue;
		}
		say(&d, "abusing");
		abuse_setups(&d);
		abuse_notifies(&d);
		if (abuse_chains(&d))
			abuse_rings(&d);
	}
	d.q = 0;
	wr(&d, R_STATUS, 0);
	EXPECT_EQ(rd(&d, R_STATUS), 0, 106);
	EXPECT_EQ(rd(&d, R_MAGIC), VIRTIO_MAGIC, 107);
}

/* ---- 6xx: the bystander ---- */

static int getchar_nowait(void)
{
	return (int)SBI0(2, 0).error; /* legacy console_getchar: -1: none */
}

static void bystander(const struct slots *s)
{
	struct dev d = {0};
	unsigned i;

	for (i = 0; i < s->n; i++)
		if (probe(&d, s->base[i]) && d.id == VIRTIO_ID_BLOCK)
			break;
	CHECK(i < s->n, 600);
	d.qsize = QSIZE;
	d.eager = true;
	good_setup(&d);
	puts("virtio_hostile: bystander reading its disk\n");
	for (uint64_t n = 0;; n++) {
		blk_good_request(&d, 610);
		if (test_failures)
			fail(620, "a read failed", n, 0, true);
		if (getchar_nowait() == 'q') {
			puts("virtio_hostile: bystander made ");
			put_dec(n + 1);
			puts(" reads\n");
			return;
		}
	}
}

/* What the console says to do when bootargs ask to wait: 'h' or 'b'. */
static int wait_role(void)
{
	int c;

	puts("virtio_hostile: waiting for a role (h: hostile, b: "
	     "bystander)\n");
	while ((c = getchar_nowait()) != 'h' && c != 'b')
		delay_ticks(SECONDS(1) / 100);
	return c;
}

static bool args_have(const char *args, const char *word)
{
	size_t n = fdt_strlen(word);

	for (const char *p = args; p && *p;) {
		size_t k = 0;

		while (p[k] && p[k] != ' ')
			k++;
		if (k == n && !memcmp(p, word, n))
			return true;
		p += k;
		while (*p == ' ')
			p++;
	}
	return false;
}

void test_main(unsigned long hartid, unsigned long dtb)
{
	struct slots s = {.addr_cells = 2};

	(void)hartid;
	CHECK(fdt_walk(dtb, slot_prop, &s) == 0, 120);
	CHECK(s.n > 0, 121);
	if (args_have(s.bootargs, "virtio_hostile=wait") &&
	    wait_role() == 'b') {
		bystander(&s);
		pass();
	}
	for (unsigned i = 0; i < s.n; i++)
		abuse_device(s.base[i]);
	pass();
}
