/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for dev/virtio/balloon: the features and the configuration
 * space (target, actual), inflate arrays and free page reports handed to
 * the backend as runs of pages, a request completed only after the
 * backend returned, the registers usable while the backend waits, a reset
 * meanwhile forgetting the request, and malformed reports counted.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "dev/virtio/balloon.h"
#include "virtio_driver.h"

#define PAGE 4096ull

/* The fake backend: records the ranges of the last call; can be held. */
struct fake_backend {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool hold, inside;
	struct gstage_range got[64];
	size_t ngot;
	_Atomic unsigned calls;
};

static uint64_t fake_discard(void *be, struct gstage_range *r, size_t n)
{
	struct fake_backend *f = be;
	uint64_t pages = 0;

	pthread_mutex_lock(&f->lock);
	f->inside = true;
	pthread_cond_broadcast(&f->cond);
	while (f->hold)
		pthread_cond_wait(&f->cond, &f->lock);
	f->inside = false;
	f->ngot = n < 64 ? n : 64;
	memcpy(f->got, r, f->ngot * sizeof(*r));
	for (size_t i = 0; i < n; i++)
		pages += r[i].npages;
	f->calls++;
	pthread_mutex_unlock(&f->lock);
	return pages;
}

static const struct virtio_balloon_backend_ops fake_ops = {
    .discard = fake_discard,
};

struct fixture {
	struct vdrv d;
	struct fake_backend be;
	struct virtio_balloon *b;
};

static int fixture_setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx || vdrv_init(&fx->d))
		return -1;
	pthread_mutex_init(&fx->be.lock, NULL);
	pthread_cond_init(&fx->be.cond, NULL);
	if (virtio_balloon_create(&fx->d.gs, &fx->d.irq.chip, 4, &fake_ops,
				  &fx->be, &fx->b))
		return -1;
	fx->d.t = virtio_balloon_transport(fx->b);
	*state = fx;
	return 0;
}

static int fixture_teardown(void **state)
{
	struct fixture *fx = *state;

	virtio_balloon_destroy(fx->b);
	vdrv_fini(&fx->d);
	pthread_cond_destroy(&fx->be.cond);
	pthread_mutex_destroy(&fx->be.lock);
	free(fx);
	return 0;
}

#define FEATURES                                                               \
	((1u << VIRTIO_BALLOON_F_DEFLATE_ON_OOM) |                             \
	 (1u << VIRTIO_BALLOON_F_REPORTING))

static void test_config(void **state)
{
	struct fixture *fx = *state;
	struct virtio_balloon_stats st;
	unsigned raises;

	assert_int_equal(vdrv_rd(&fx->d, VIRTIO_MMIO_DEVICE_ID, 4),
			 VIRTIO_ID_BALLOON);
	vdrv_wr(&fx->d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 4, 0);
	/* The device's own bits (the transport's start at 24). */
	assert_int_equal(vdrv_rd(&fx->d, VIRTIO_MMIO_DEVICE_FEATURES, 4) &
			     0xffffffu,
			 FEATURES);
	vdrv_probe(&fx->d, FEATURES, 3);
	assert_int_equal(vdrv_rd(&fx->d, VIRTIO_MMIO_CONFIG, 4), 0);
	raises = fx->d.irq.raises;
	virtio_balloon_set_target(fx->b, 12345);
	/* The driver is told, and reads the new target. */
	assert_true(fx->d.irq.raises > raises);
	assert_int_equal(vdrv_rd(&fx->d, VIRTIO_MMIO_INTERRUPT_STATUS, 4) &
			     VIRTIO_INT_CONFIG,
			 VIRTIO_INT_CONFIG);
	assert_int_equal(vdrv_rd(&fx->d, VIRTIO_MMIO_CONFIG, 4), 12345);
	/* actual is the driver's; num_pages is not. */
	vdrv_wr(&fx->d, VIRTIO_MMIO_CONFIG + 4, 4, 777);
	vdrv_wr(&fx->d, VIRTIO_MMIO_CONFIG, 4, 1);
	assert_int_equal(vdrv_rd(&fx->d, VIRTIO_MMIO_CONFIG + 4, 4), 777);
	assert_int_equal(vdrv_rd(&fx->d, VIRTIO_MMIO_CONFIG, 4), 12345);
	virtio_balloon_get_stats(fx->b, &st);
	assert_int_equal(st.target_pages, 12345);
	assert_int_equal(st.actual_pages, 777);
}

static void test_inflate_and_report(void **state)
{
	struct fixture *fx = *state;
	const uint64_t pfn0 = (VDRV_RAM_BASE + 2 * VDRV_MIB) / PAGE;
	uint32_t pfns[4] = {pfn0, pfn0 + 1, pfn0 + 3, pfn0 + 2};
	struct virtio_balloon_stats st;

	vdrv_probe(&fx->d, FEATURES, 3);
	assert_int_equal(gmem_write(&fx->d.gs, VDRV_DATA, pfns, sizeof(pfns)),
			 0);
	vdrv_desc(&fx->d, VIRTIO_BALLOON_INFLATEQ, 0, VDRV_DATA, sizeof(pfns),
		  0, 0);
	vdrv_offer(&fx->d, VIRTIO_BALLOON_INFLATEQ, 0);
	assert_int_equal(vdrv_wait_used(&fx->d, VIRTIO_BALLOON_INFLATEQ, 1), 1);
	/* Adjacent page numbers in order become one run. */
	assert_int_equal(fx->be.ngot, 3);
	assert_int_equal(fx->be.got[0].gpa, pfn0 * PAGE);
	assert_int_equal(fx->be.got[0].npages, 2);
	assert_int_equal(fx->be.got[1].gpa, (pfn0 + 3) * PAGE);
	assert_int_equal(fx->be.got[2].gpa, (pfn0 + 2) * PAGE);

	/* A report: two runs of free pages, and one misaligned buffer. */
	vdrv_desc(&fx->d, VIRTIO_BALLOON_REPORTQ, 0, VDRV_DATA + 0x100000,
		  256 * PAGE, VDRV_F_WRITE | VDRV_F_NEXT, 1);
	vdrv_desc(&fx->d, VIRTIO_BALLOON_REPORTQ, 1, VDRV_DATA + 0x10, PAGE,
		  VDRV_F_WRITE | VDRV_F_NEXT, 2);
	vdrv_desc(&fx->d, VIRTIO_BALLOON_REPORTQ, 2, VDRV_DATA + 0x201000, PAGE,
		  VDRV_F_WRITE, 0);
	vdrv_offer(&fx->d, VIRTIO_BALLOON_REPORTQ, 0);
	assert_int_equal(vdrv_wait_used(&fx->d, VIRTIO_BALLOON_REPORTQ, 1), 1);
	assert_int_equal(fx->be.ngot, 2);
	assert_int_equal(fx->be.got[0].gpa, VDRV_DATA + 0x100000);
	assert_int_equal(fx->be.got[0].npages, 256);
	assert_int_equal(fx->be.got[1].gpa, VDRV_DATA + 0x201000);
	assert_int_equal(fx->be.got[1].npages, 1);

	/* A deflate is counted, not handed on. */
	vdrv_desc(&fx->d, VIRTIO_BALLOON_DEFLATEQ, 0, VDRV_DATA, 8, 0, 0);
	vdrv_offer(&fx->d, VIRTIO_BALLOON_DEFLATEQ, 0);
	assert_int_equal(vdrv_wait_used(&fx->d, VIRTIO_BALLOON_DEFLATEQ, 1), 1);
	assert_int_equal(fx->be.calls, 2);
	virtio_balloon_get_stats(fx->b, &st);
	assert_int_equal(st.inflated, 4);
	assert_int_equal(st.reported, 257);
	assert_int_equal(st.deflated, 2);
	assert_int_equal(st.released, 4 + 257);
	assert_int_equal(st.malformed, 1);
}

/* Offer an inflate of one page with the backend held; wait until the
 * worker is inside it. */
static void held_inflate(struct fixture *fx)
{
	uint32_t pfn = (uint32_t)((VDRV_RAM_BASE + 3 * VDRV_MIB) / PAGE);

	assert_int_equal(gmem_write(&fx->d.gs, VDRV_DATA, &pfn, 4), 0);
	fx->be.hold = true;
	vdrv_desc(&fx->d, VIRTIO_BALLOON_INFLATEQ, 0, VDRV_DATA, 4, 0, 0);
	vdrv_offer(&fx->d, VIRTIO_BALLOON_INFLATEQ, 0);
	pthread_mutex_lock(&fx->be.lock);
	while (!fx->be.inside)
		pthread_cond_wait(&fx->be.cond, &fx->be.lock);
	pthread_mutex_unlock(&fx->be.lock);
}

static void release_backend(struct fixture *fx)
{
	pthread_mutex_lock(&fx->be.lock);
	fx->be.hold = false;
	pthread_cond_broadcast(&fx->be.cond);
	pthread_mutex_unlock(&fx->be.lock);
}

static void test_complete_after_backend(void **state)
{
	struct fixture *fx = *state;

	vdrv_probe(&fx->d, FEATURES, 3);
	held_inflate(fx);
	/* Not given back yet; the registers, queue setup included, work
	 * meanwhile (a hart is never stuck behind the backend). */
	assert_int_equal(vdrv_get16(&fx->d, VDRV_USED(0) + 2), 0);
	vdrv_wr(&fx->d, VIRTIO_MMIO_QUEUE_SEL, 4, 1);
	vdrv_wr(&fx->d, VIRTIO_MMIO_QUEUE_READY, 4, 1);
	assert_int_equal(vdrv_rd(&fx->d, VIRTIO_MMIO_CONFIG + 4, 4), 0);
	release_backend(fx);
	assert_int_equal(vdrv_wait_used(&fx->d, VIRTIO_BALLOON_INFLATEQ, 1), 1);
}

static void test_reset_forgets(void **state)
{
	struct fixture *fx = *state;

	vdrv_probe(&fx->d, FEATURES, 3);
	held_inflate(fx);
	vdrv_wr(&fx->d, VIRTIO_MMIO_STATUS, 4, 0); /* reset */
	release_backend(fx);
	while (fx->be.calls < 1)
		usleep(1000);
	usleep(20000);
	/* The reset driver forgot the request: nothing written for it. */
	assert_int_equal(vdrv_get16(&fx->d, VDRV_USED(0) + 2), 0);
	assert_int_equal(vdrv_rd(&fx->d, VIRTIO_MMIO_STATUS, 4), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_config, fixture_setup,
					    fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_inflate_and_report,
					    fixture_setup, fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_complete_after_backend,
					    fixture_setup, fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_reset_forgets, fixture_setup,
					    fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
