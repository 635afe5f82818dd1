/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for dev/virtio/rng: requests filled with random bytes at
 * once (on the notifying thread), capped at VIRTIO_RNG_REQ_MAX, a request
 * without a writable buffer failed, and a clone serving its own bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "dev/virtio/rng.h"
#include "virtio_driver.h"

struct fixture {
	struct vdrv d;
	struct virtio_rng *rng;
};

static int fixture_setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx || vdrv_init(&fx->d))
		return -1;
	if (virtio_rng_create(&fx->d.gs, &fx->d.irq.chip, 3, &fx->rng))
		return -1;
	fx->d.t = virtio_rng_transport(fx->rng);
	*state = fx;
	return 0;
}

static int fixture_teardown(void **state)
{
	struct fixture *fx = *state;

	virtio_rng_destroy(fx->rng);
	vdrv_fini(&fx->d);
	free(fx);
	return 0;
}

static void test_identity(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(vdrv_rd(&fx->d, VIRTIO_MMIO_DEVICE_ID, 4),
			 VIRTIO_ID_RNG);
	vdrv_wr(&fx->d, VIRTIO_MMIO_QUEUE_SEL, 4, 0);
	assert_int_equal(vdrv_rd(&fx->d, VIRTIO_MMIO_QUEUE_NUM_MAX, 4),
			 VIRTIO_RNG_QUEUE_SIZE);
	vdrv_wr(&fx->d, VIRTIO_MMIO_QUEUE_SEL, 4, 1);
	assert_int_equal(vdrv_rd(&fx->d, VIRTIO_MMIO_QUEUE_NUM_MAX, 4), 0);
}

/* Ask for len bytes at gpa; returns the used length. */
static uint32_t request(struct fixture *fx, uint16_t n, uint64_t gpa,
			uint32_t len, uint16_t flags)
{
	uint32_t id, used;

	vdrv_desc(&fx->d, 0, n % VDRV_QSIZE, gpa, len, flags, 0);
	vdrv_offer(&fx->d, 0, n % VDRV_QSIZE);
	/* Served before the notify returned. */
	assert_int_equal(vdrv_get16(&fx->d, VDRV_USED(0) + 2),
			 fx->d.avail_idx[0]);
	vdrv_used_entry(&fx->d, 0, fx->d.avail_idx[0] - 1, &id, &used);
	assert_int_equal(id, n % VDRV_QSIZE);
	return used;
}

static void test_random_bytes(void **state)
{
	struct fixture *fx = *state;
	uint8_t a[64], b[64], zero[64] = {0};
	struct virtio_rng_stats st;

	vdrv_probe(&fx->d, 0, 1);
	assert_int_equal(request(fx, 0, VDRV_DATA, 64, VDRV_F_WRITE), 64);
	assert_int_equal(request(fx, 1, VDRV_DATA + 64, 64, VDRV_F_WRITE), 64);
	assert_int_equal(gmem_read(&fx->d.gs, VDRV_DATA, a, 64), 0);
	assert_int_equal(gmem_read(&fx->d.gs, VDRV_DATA + 64, b, 64), 0);
	assert_memory_not_equal(a, zero, 64);
	assert_memory_not_equal(a, b, 64);
	assert_true(fx->d.irq.raises >= 1);
	/* However large the buffer, one request gets at most REQ_MAX. */
	assert_int_equal(request(fx, 2, VDRV_DATA, 1u << 20, VDRV_F_WRITE),
			 VIRTIO_RNG_REQ_MAX);
	/* Nothing the device may write: failed, length 0. */
	assert_int_equal(request(fx, 3, VDRV_DATA, 64, 0), 0);
	virtio_rng_get_stats(fx->rng, &st);
	assert_int_equal(st.requests, 3);
	assert_int_equal(st.bytes, 128 + VIRTIO_RNG_REQ_MAX);
	assert_int_equal(st.malformed, 1);
}

static void test_clone(void **state)
{
	struct fixture *fx = *state;
	struct virtio_rng *c;
	struct vdrv cd = {0};
	uint8_t mine[32], theirs[32];
	struct virtio_rng_stats st;

	vdrv_probe(&fx->d, 0, 1);
	assert_int_equal(request(fx, 0, VDRV_DATA, 32, VDRV_F_WRITE), 32);
	/* A request the parent has not seen yet (no notify). */
	vdrv_desc(&fx->d, 0, 1, VDRV_DATA + 32, 32, VDRV_F_WRITE, 0);
	vdrv_put16(&fx->d, VDRV_AVAIL(0) + 4 + 2, 1);
	vdrv_put16(&fx->d, VDRV_AVAIL(0) + 2, 2);
	fx->d.avail_idx[0] = 2;

	/* The clone's memory: a copy, in the same pool. */
	assert_int_equal(gstage_copy_all(&cd.gs, &fx->d.gs), 0);
	cd.irq.chip.set_level = vdrv_set_level;
	virtio_rng_freeze(fx->rng);
	assert_int_equal(virtio_rng_clone(fx->rng, &cd.gs, &cd.irq.chip, 3, &c),
			 0);
	virtio_rng_thaw(fx->rng);
	/* The clone served it, in its own memory; the parent did not. */
	assert_int_equal(vdrv_get16(&cd, VDRV_USED(0) + 2), 2);
	assert_int_equal(vdrv_get16(&fx->d, VDRV_USED(0) + 2), 1);
	assert_int_equal(gmem_read(&cd.gs, VDRV_DATA + 32, mine, 32), 0);
	assert_int_equal(gmem_read(&fx->d.gs, VDRV_DATA + 32, theirs, 32), 0);
	assert_memory_not_equal(mine, theirs, 32);
	virtio_rng_get_stats(c, &st);
	assert_int_equal(st.requests, 1);
	virtio_rng_destroy(c);
	gstage_destroy(&cd.gs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_identity, fixture_setup,
					    fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_random_bytes, fixture_setup,
					    fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_clone, fixture_setup,
					    fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
