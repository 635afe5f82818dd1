/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for dev/virtio/net: a driver's setup of both queues in real
 * guest memory through the registers, the MAC address and link status in
 * the configuration space, and frames each way through a fake backend:
 * the header stripped on transmit and written (num_buffers 1) on
 * receive, frames held until the driver posts buffers, and drops counted.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dev/virtio/net.h"
#include "virtio_driver.h"

static const uint8_t test_mac[VIRTIO_NET_MAC_LEN] = {0x02, 0x6d, 0x76,
						     0x12, 0x34, 0x56};

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
	struct vdrv d;
	struct fake_backend be;
	struct virtio_net *net;
};

/* What a driver does: features (VERSION_1, MAC, STATUS), both queues. */
static void driver_probe(struct fixture *fx)
{
	vdrv_probe(&fx->d,
		   (1u << VIRTIO_NET_F_MAC) | (1u << VIRTIO_NET_F_STATUS), 2);
}

static int fixture_setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx || vdrv_init(&fx->d))
		return -1;
	if (virtio_net_create(test_mac, &fx->d.gs, &fx->d.irq.chip, 2,
			      &fx->net))
		return -1;
	fx->d.t = virtio_net_transport(fx->net);
	virtio_net_attach(fx->net, &fake_backend_ops, &fx->be);
	*state = fx;
	return 0;
}

static int fixture_teardown(void **state)
{
	struct fixture *fx = *state;

	virtio_net_attach(fx->net, NULL, NULL);
	virtio_net_destroy(fx->net);
	vdrv_fini(&fx->d);
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
	uint32_t lo;

	assert_int_equal(vdrv_rd(&fx->d, VIRTIO_MMIO_MAGIC_VALUE, 4),
			 VIRTIO_MMIO_MAGIC);
	assert_int_equal(vdrv_rd(&fx->d, VIRTIO_MMIO_DEVICE_ID, 4),
			 VIRTIO_ID_NET);
	for (unsigned q = 0; q < 2; q++) {
		vdrv_wr(&fx->d, VIRTIO_MMIO_QUEUE_SEL, 4, q);
		assert_int_equal(vdrv_rd(&fx->d, VIRTIO_MMIO_QUEUE_NUM_MAX, 4),
				 VIRTIO_NET_QUEUE_SIZE);
	}
	vdrv_wr(&fx->d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 4, 0);
	lo = vdrv_rd(&fx->d, VIRTIO_MMIO_DEVICE_FEATURES, 4);
	assert_true(lo & (1u << VIRTIO_NET_F_MAC));
	assert_true(lo & (1u << VIRTIO_NET_F_STATUS));
	/* No offloads: CSUM (0), GUEST_CSUM (1), the TSO/UFO bits (7..14),
	 * MRG_RXBUF (15). */
	assert_int_equal(lo & 0xff83u, 0);
	vdrv_wr(&fx->d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 4, 1);
	assert_true(vdrv_rd(&fx->d, VIRTIO_MMIO_DEVICE_FEATURES, 4) &
		    1); /* VERSION_1 */
	/* The MAC byte by byte, as Linux reads it, then the status. */
	for (unsigned i = 0; i < VIRTIO_NET_MAC_LEN; i++)
		assert_int_equal(vdrv_rd(&fx->d, VIRTIO_MMIO_CONFIG + i, 1),
				 test_mac[i]);
	assert_int_equal(vdrv_rd(&fx->d, VIRTIO_MMIO_CONFIG + 6, 2),
			 VIRTIO_NET_S_LINK_UP);
	/* A new address (a clone's) shows in the config. */
	{
		const uint8_t other[VIRTIO_NET_MAC_LEN] = {2, 0x6d, 0x76,
							   0, 0,    9};
		uint8_t got[VIRTIO_NET_MAC_LEN];

		virtio_net_set_mac(fx->net, other);
		assert_int_equal(vdrv_rd(&fx->d, VIRTIO_MMIO_CONFIG + 5, 1), 9);
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
	assert_int_equal(gmem_write(&fx->d.gs, VDRV_DATA, &h, sizeof(h)), 0);
	assert_int_equal(gmem_write(&fx->d.gs, VDRV_DATA + 0x100, frame, 40),
			 0);
	assert_int_equal(
	    gmem_write(&fx->d.gs, VDRV_DATA + 0x200, frame + 40, 58), 0);
	vdrv_desc(&fx->d, VIRTIO_NET_TXQ, 0, VDRV_DATA, sizeof(h),
		  VIRTQ_DESC_F_NEXT, 1);
	vdrv_desc(&fx->d, VIRTIO_NET_TXQ, 1, VDRV_DATA + 0x100, 40,
		  VIRTQ_DESC_F_NEXT, 2);
	vdrv_desc(&fx->d, VIRTIO_NET_TXQ, 2, VDRV_DATA + 0x200, 58, 0, 0);
	vdrv_offer(&fx->d, VIRTIO_NET_TXQ, 0);
	assert_int_equal(vdrv_wait_used(&fx->d, VIRTIO_NET_TXQ, 1), 1);
	vdrv_used_entry(&fx->d, VIRTIO_NET_TXQ, 0, &id, &len);
	assert_int_equal(id, 0);
	assert_int_equal(len, 0);
	assert_int_equal(fx->be.sent, 1);
	assert_int_equal(fx->be.len, sizeof(frame));
	assert_memory_equal(fx->be.frame, frame, sizeof(frame));
	assert_true(fx->d.irq.raises >= 1);
	virtio_net_get_stats(fx->net, &st);
	assert_int_equal(st.tx_packets, 1);
	assert_int_equal(st.tx_bytes, sizeof(frame));

	/* A packet with nothing after the header is malformed, not sent. */
	vdrv_desc(&fx->d, VIRTIO_NET_TXQ, 3, VDRV_DATA, sizeof(h), 0, 0);
	vdrv_offer(&fx->d, VIRTIO_NET_TXQ, 3);
	assert_int_equal(vdrv_wait_used(&fx->d, VIRTIO_NET_TXQ, 2), 2);
	assert_int_equal(fx->be.sent, 1);
	virtio_net_get_stats(fx->net, &st);
	assert_int_equal(st.malformed, 1);

	/* A backend that refuses: dropped and counted, still completed. */
	fx->be.refuse = true;
	vdrv_offer(&fx->d, VIRTIO_NET_TXQ, 0);
	assert_int_equal(vdrv_wait_used(&fx->d, VIRTIO_NET_TXQ, 3), 3);
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
	assert_int_equal(vdrv_get16(&fx->d, VDRV_USED(VIRTIO_NET_RXQ) + 2), 0);

	/* A receive buffer as Linux posts one: 12 + 1514 bytes, made of a
	 * short first descriptor and the rest. */
	memset(got, 0xaa, sizeof(got));
	vdrv_desc(&fx->d, VIRTIO_NET_RXQ, 5, VDRV_DATA, 100,
		  VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 6);
	vdrv_desc(&fx->d, VIRTIO_NET_RXQ, 6, VDRV_DATA + 0x1000, 1426,
		  VIRTQ_DESC_F_WRITE, 0);
	vdrv_offer(&fx->d, VIRTIO_NET_RXQ, 5);
	assert_int_equal(vdrv_wait_used(&fx->d, VIRTIO_NET_RXQ, 1), 1);
	vdrv_used_entry(&fx->d, VIRTIO_NET_RXQ, 0, &id, &len);
	assert_int_equal(id, 5);
	assert_int_equal(len, VIRTIO_NET_HDR_LEN + sizeof(frame));
	assert_int_equal(gmem_read(&fx->d.gs, VDRV_DATA, &h, sizeof(h)), 0);
	assert_int_equal(h.num_buffers, 1);
	assert_int_equal(h.flags, 0);
	assert_int_equal(h.gso_type, 0);
	assert_int_equal(gmem_read(&fx->d.gs, VDRV_DATA + sizeof(h), got, 88),
			 0);
	assert_int_equal(gmem_read(&fx->d.gs, VDRV_DATA + 0x1000, got + 88,
				   sizeof(frame) - 88),
			 0);
	assert_memory_equal(got, frame, sizeof(frame));
	assert_true(fx->d.irq.raises >= 1);

	/* A buffer too small for the frame: dropped, the buffer returned
	 * empty. */
	vdrv_desc(&fx->d, VIRTIO_NET_RXQ, 7, VDRV_DATA, 64, VIRTQ_DESC_F_WRITE,
		  0);
	vdrv_offer(&fx->d, VIRTIO_NET_RXQ, 7);
	assert_int_equal(virtio_net_receive(fx->net, frame, sizeof(frame)), 0);
	assert_int_equal(vdrv_wait_used(&fx->d, VIRTIO_NET_RXQ, 2), 2);
	vdrv_used_entry(&fx->d, VIRTIO_NET_RXQ, 1, &id, &len);
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
