/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for dev/virtio/net: a driver's setup of both queues in real
 * guest memory through the registers, the MAC address and link status in
 * the configuration space, and frames each way through a fake backend:
 * the header stripped on transmit and written (num_buffers 1) on
 * receive, frames held until the driver posts buffers, and drops counted.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dev/virtio/mmio.h"
#include "dev/virtio/net.h"
#include "mem/gmem.h"

#define MIB	 (1024ull * 1024)
#define RAM_BASE 0x80000000ull
#define RAM_SIZE (1 * MIB)
#define QSIZE	 16

/* Queue q's rings: 16 KiB apart. */
#define RING(q)	 (RAM_BASE + 0x4000ull * (q))
#define DESC(q)	 (RING(q) + 0x0000)
#define AVAIL(q) (RING(q) + 0x1000)
#define USED(q)	 (RING(q) + 0x2000)
#define DATA	 (RAM_BASE + 0x10000)

static const uint8_t test_mac[VIRTIO_NET_MAC_LEN] = {0x02, 0x6d, 0x76,
						     0x12, 0x34, 0x56};

struct fake_irq {
	struct irq_chip chip;
	_Atomic unsigned raises;
	_Atomic bool level;
};

static void fake_set_level(struct irq_chip *chip, unsigned line, bool level)
{
	struct fake_irq *f = (struct fake_irq *)chip;

	(void)line;
	if (level && !f->level)
		f->raises++;
	f->level = level;
}

/* The fake backend: keeps the last frame sent, or refuses. */
struct fake_backend {
	uint8_t frame[2048];
	_Atomic size_t len;
	_Atomic unsigned sent;
	bool refuse;
};

static int fake_send(void *be, const void *frame, size_t len)
{
	struct fake_backend *f = be;

	if (f->refuse)
		return -ENOBUFS;
	if (len > sizeof(f->frame))
		return -EMSGSIZE;
	memcpy(f->frame, frame, len);
	f->len = len;
	f->sent++;
	return 0;
}

static const struct virtio_net_backend_ops fake_backend_ops = {
    .send = fake_send,
};

struct fixture {
	struct frame_pool *pool;
	struct gstage gs;
	struct fake_irq irq;
	struct fake_backend be;
	struct virtio_net *net;
	struct virtio_mmio *t;
	uint16_t avail_idx[2];
};

static uint32_t rd(struct virtio_mmio *t, uint64_t off, unsigned size)
{
	uint64_t v = 0;

	assert_int_equal(virtio_mmio_ops.read(t, off, size, &v), 0);
	return (uint32_t)v;
}

static void wr(struct virtio_mmio *t, uint64_t off, uint32_t v)
{
	assert_int_equal(virtio_mmio_ops.write(t, off, 4, v), 0);
}

static void put16(struct fixture *fx, uint64_t gpa, uint16_t v)
{
	assert_int_equal(gmem_write(&fx->gs, gpa, &v, 2), 0);
}

static uint16_t get16(struct fixture *fx, uint64_t gpa)
{
	uint16_t v;

	assert_int_equal(gmem_read(&fx->gs, gpa, &v, 2), 0);
	return v;
}

static void set_desc(struct fixture *fx, unsigned q, unsigned i, uint64_t addr,
		     uint32_t len, uint16_t flags, uint16_t next)
{
	struct {
		uint64_t addr;
		uint32_t len;
		uint16_t flags, next;
	} d = {addr, len, flags, next};

	assert_int_equal(gmem_write(&fx->gs, DESC(q) + 16 * i, &d, 16), 0);
}

/* Make the chain at head available on queue q and notify. */
static void offer(struct fixture *fx, unsigned q, uint16_t head)
{
	put16(fx, AVAIL(q) + 4 + 2 * (fx->avail_idx[q] % QSIZE), head);
	fx->avail_idx[q]++;
	put16(fx, AVAIL(q) + 2, fx->avail_idx[q]);
	wr(fx->t, VIRTIO_MMIO_QUEUE_NOTIFY, q);
}

/* Wait until queue q's used index reaches idx (the worker's thread). */
static void wait_used(struct fixture *fx, unsigned q, uint16_t idx)
{
	for (int i = 0; i < 5000 && get16(fx, USED(q) + 2) != idx; i++)
		usleep(1000);
	assert_int_equal(get16(fx, USED(q) + 2), idx);
}

/* The used ring's entry i of queue q: id and len. */
static void used_entry(struct fixture *fx, unsigned q, unsigned i, uint32_t *id,
		       uint32_t *len)
{
	uint32_t e[2];

	assert_int_equal(
	    gmem_read(&fx->gs, USED(q) + 4 + 8 * (i % QSIZE), e, sizeof(e)), 0);
	*id = e[0];
	*len = e[1];
}

/* What a driver does: features (VERSION_1, MAC, STATUS), both queues. */
static void driver_probe(struct fixture *fx)
{
	struct virtio_mmio *t = fx->t;
	const uint32_t ok = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
			    VIRTIO_STATUS_FEATURES_OK;

	wr(t, VIRTIO_MMIO_STATUS,
	   VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(t, VIRTIO_MMIO_DRIVER_FEATURES,
	   (1u << VIRTIO_NET_F_MAC) | (1u << VIRTIO_NET_F_STATUS));
	wr(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(t, VIRTIO_MMIO_DRIVER_FEATURES, 1); /* VIRTIO_F_VERSION_1 */
	wr(t, VIRTIO_MMIO_STATUS, ok);
	assert_int_equal(rd(t, VIRTIO_MMIO_STATUS, 4), ok);
	for (unsigned q = 0; q < 2; q++) {
		wr(t, VIRTIO_MMIO_QUEUE_SEL, q);
		assert_int_equal(rd(t, VIRTIO_MMIO_QUEUE_NUM_MAX, 4),
				 VIRTIO_NET_QUEUE_SIZE);
		wr(t, VIRTIO_MMIO_QUEUE_NUM, QSIZE);
		wr(t, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)DESC(q));
		wr(t, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(DESC(q) >> 32));
		wr(t, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)AVAIL(q));
		wr(t, VIRTIO_MMIO_QUEUE_DRIVER_HIGH,
		   (uint32_t)(AVAIL(q) >> 32));
		wr(t, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)USED(q));
		wr(t, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(USED(q) >> 32));
		wr(t, VIRTIO_MMIO_QUEUE_READY, 1);
		assert_int_equal(rd(t, VIRTIO_MMIO_QUEUE_READY, 4), 1);
	}
	wr(t, VIRTIO_MMIO_STATUS, ok | VIRTIO_STATUS_DRIVER_OK);
}

static int fixture_setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx || frame_pool_create(16 * MIB, &fx->pool))
		return -1;
	if (gstage_init(&fx->gs, fx->pool, GSTAGE_SV48X4) ||
	    gstage_set_ram(&fx->gs, RAM_BASE, RAM_SIZE))
		return -1;
	fx->irq.chip.set_level = fake_set_level;
	if (virtio_net_create(test_mac, &fx->gs, &fx->irq.chip, 2, &fx->net))
		return -1;
	fx->t = virtio_net_transport(fx->net);
	virtio_net_attach(fx->net, &fake_backend_ops, &fx->be);
	*state = fx;
	return 0;
}

static int fixture_teardown(void **state)
{
	struct fixture *fx = *state;

	virtio_net_attach(fx->net, NULL, NULL);
	virtio_net_destroy(fx->net);
	gstage_destroy(&fx->gs);
	frame_pool_destroy(fx->pool);
	free(fx);
	return 0;
}

/* A frame of len bytes: broadcast destination, our source, a pattern. */
static void make_frame(uint8_t *f, size_t len, uint8_t seed)
{
	memset(f, 0xff, 6);
	memcpy(f + 6, test_mac, 6);
	f[12] = 0x08;
	f[13] = 0x00;
	for (size_t i = 14; i < len; i++)
		f[i] = (uint8_t)(seed + i * 7);
}

static void test_identity_and_config(void **state)
{
	struct fixture *fx = *state;
	struct virtio_mmio *t = fx->t;
	uint32_t lo;

	assert_int_equal(rd(t, VIRTIO_MMIO_MAGIC_VALUE, 4), VIRTIO_MMIO_MAGIC);
	assert_int_equal(rd(t, VIRTIO_MMIO_DEVICE_ID, 4), VIRTIO_ID_NET);
	wr(t, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	lo = rd(t, VIRTIO_MMIO_DEVICE_FEATURES, 4);
	assert_true(lo & (1u << VIRTIO_NET_F_MAC));
	assert_true(lo & (1u << VIRTIO_NET_F_STATUS));
	/* No offloads: CSUM (0), GUEST_CSUM (1), the TSO/UFO bits (7..14),
	 * MRG_RXBUF (15). */
	assert_int_equal(lo & 0xff83u, 0);
	wr(t, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	assert_true(rd(t, VIRTIO_MMIO_DEVICE_FEATURES, 4) & 1); /* VERSION_1 */
	/* The MAC byte by byte, as Linux reads it, then the status. */
	for (unsigned i = 0; i < VIRTIO_NET_MAC_LEN; i++)
		assert_int_equal(rd(t, VIRTIO_MMIO_CONFIG + i, 1), test_mac[i]);
	assert_int_equal(rd(t, VIRTIO_MMIO_CONFIG + 6, 2),
			 VIRTIO_NET_S_LINK_UP);
	/* A new address (a clone's) shows in the config. */
	{
		const uint8_t other[VIRTIO_NET_MAC_LEN] = {2, 0x6d, 0x76,
							   0, 0,    9};
		uint8_t got[VIRTIO_NET_MAC_LEN];

		virtio_net_set_mac(fx->net, other);
		assert_int_equal(rd(t, VIRTIO_MMIO_CONFIG + 5, 1), 9);
		virtio_net_mac(fx->net, got);
		assert_memory_equal(got, other, sizeof(got));
	}
}

static void test_transmit(void **state)
{
	struct fixture *fx = *state;
	struct virtio_net_hdr h = {.num_buffers = 0};
	struct virtio_net_stats st;
	uint8_t frame[98];
	uint32_t id, len;

	driver_probe(fx);
	make_frame(frame, sizeof(frame), 3);
	/* Header and frame in two descriptors, the frame split in two. */
	assert_int_equal(gmem_write(&fx->gs, DATA, &h, sizeof(h)), 0);
	assert_int_equal(gmem_write(&fx->gs, DATA + 0x100, frame, 40), 0);
	assert_int_equal(gmem_write(&fx->gs, DATA + 0x200, frame + 40, 58), 0);
	set_desc(fx, VIRTIO_NET_TXQ, 0, DATA, sizeof(h), VIRTQ_DESC_F_NEXT, 1);
	set_desc(fx, VIRTIO_NET_TXQ, 1, DATA + 0x100, 40, VIRTQ_DESC_F_NEXT, 2);
	set_desc(fx, VIRTIO_NET_TXQ, 2, DATA + 0x200, 58, 0, 0);
	offer(fx, VIRTIO_NET_TXQ, 0);
	wait_used(fx, VIRTIO_NET_TXQ, 1);
	used_entry(fx, VIRTIO_NET_TXQ, 0, &id, &len);
	assert_int_equal(id, 0);
	assert_int_equal(len, 0);
	assert_int_equal(fx->be.sent, 1);
	assert_int_equal(fx->be.len, sizeof(frame));
	assert_memory_equal(fx->be.frame, frame, sizeof(frame));
	assert_true(fx->irq.raises >= 1);
	virtio_net_get_stats(fx->net, &st);
	assert_int_equal(st.tx_packets, 1);
	assert_int_equal(st.tx_bytes, sizeof(frame));

	/* A packet with nothing after the header is malformed, not sent. */
	set_desc(fx, VIRTIO_NET_TXQ, 3, DATA, sizeof(h), 0, 0);
	offer(fx, VIRTIO_NET_TXQ, 3);
	wait_used(fx, VIRTIO_NET_TXQ, 2);
	assert_int_equal(fx->be.sent, 1);
	virtio_net_get_stats(fx->net, &st);
	assert_int_equal(st.malformed, 1);

	/* A backend that refuses: dropped and counted, still completed. */
	fx->be.refuse = true;
	offer(fx, VIRTIO_NET_TXQ, 0);
	wait_used(fx, VIRTIO_NET_TXQ, 3);
	virtio_net_get_stats(fx->net, &st);
	assert_int_equal(st.tx_dropped, 1);
	assert_int_equal(st.tx_packets, 1);
}

static void test_receive(void **state)
{
	struct fixture *fx = *state;
	struct virtio_net_hdr h;
	struct virtio_net_stats st;
	uint8_t frame[342], got[sizeof(frame)];
	uint32_t id, len;

	driver_probe(fx);
	make_frame(frame, sizeof(frame), 11);
	/* Before any buffer is posted: held, not lost. */
	assert_int_equal(virtio_net_receive(fx->net, frame, sizeof(frame)), 0);
	usleep(20000);
	assert_int_equal(get16(fx, USED(VIRTIO_NET_RXQ) + 2), 0);

	/* A receive buffer as Linux posts one: 12 + 1514 bytes, made of a
	 * short first descriptor and the rest. */
	memset(got, 0xaa, sizeof(got));
	set_desc(fx, VIRTIO_NET_RXQ, 5, DATA, 100,
		 VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 6);
	set_desc(fx, VIRTIO_NET_RXQ, 6, DATA + 0x1000, 1426, VIRTQ_DESC_F_WRITE,
		 0);
	offer(fx, VIRTIO_NET_RXQ, 5);
	wait_used(fx, VIRTIO_NET_RXQ, 1);
	used_entry(fx, VIRTIO_NET_RXQ, 0, &id, &len);
	assert_int_equal(id, 5);
	assert_int_equal(len, VIRTIO_NET_HDR_LEN + sizeof(frame));
	assert_int_equal(gmem_read(&fx->gs, DATA, &h, sizeof(h)), 0);
	assert_int_equal(h.num_buffers, 1);
	assert_int_equal(h.flags, 0);
	assert_int_equal(h.gso_type, 0);
	assert_int_equal(gmem_read(&fx->gs, DATA + sizeof(h), got, 88), 0);
	assert_int_equal(
	    gmem_read(&fx->gs, DATA + 0x1000, got + 88, sizeof(frame) - 88), 0);
	assert_memory_equal(got, frame, sizeof(frame));
	assert_true(fx->irq.raises >= 1);

	/* A buffer too small for the frame: dropped, the buffer returned
	 * empty. */
	set_desc(fx, VIRTIO_NET_RXQ, 7, DATA, 64, VIRTQ_DESC_F_WRITE, 0);
	offer(fx, VIRTIO_NET_RXQ, 7);
	assert_int_equal(virtio_net_receive(fx->net, frame, sizeof(frame)), 0);
	wait_used(fx, VIRTIO_NET_RXQ, 2);
	used_entry(fx, VIRTIO_NET_RXQ, 1, &id, &len);
	assert_int_equal(id, 7);
	assert_int_equal(len, 0);
	virtio_net_get_stats(fx->net, &st);
	assert_int_equal(st.rx_packets, 1);
	assert_int_equal(st.rx_bytes, sizeof(frame));
	assert_int_equal(st.rx_dropped, 1);

	/* Frames the backend cannot hand in at all. */
	assert_int_equal(virtio_net_receive(fx->net, frame, 0), -ENOBUFS);
}

/* With no buffers posted, at most VIRTIO_NET_RX_PENDING frames wait. */
static void test_receive_bounded(void **state)
{
	struct fixture *fx = *state;
	struct virtio_net_stats st;
	uint8_t frame[60];
	unsigned refused = 0;

	driver_probe(fx);
	make_frame(frame, sizeof(frame), 1);
	for (unsigned i = 0; i < VIRTIO_NET_RX_PENDING + 10; i++)
		if (virtio_net_receive(fx->net, frame, sizeof(frame)))
			refused++;
	assert_int_equal(refused, 10);
	virtio_net_get_stats(fx->net, &st);
	assert_int_equal(st.rx_dropped, 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_identity_and_config,
					    fixture_setup, fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_transmit, fixture_setup,
					    fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_receive, fixture_setup,
					    fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_receive_bounded, fixture_setup,
					    fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
