/* SPDX-License-Identifier: MIT */
#include "dev/rtc.h"

#include <errno.h>
#include <string.h>
#include <time.h>

enum {
	RTC_TIME_LOW = 0x00,
	RTC_TIME_HIGH = 0x04,
	RTC_ALARM_LOW = 0x08,
	RTC_ALARM_HIGH = 0x0c,
	RTC_IRQ_ENABLED = 0x10,
	RTC_CLEAR_ALARM = 0x14,
	RTC_ALARM_STATUS = 0x18,
	RTC_CLEAR_INTERRUPT = 0x1c,
};

static int64_t rtc_host_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Lock held. The guest's time now. */
static uint64_t rtc_guest_ns(const struct rtc *r)
{
	return (uint64_t)(rtc_host_ns() + r->offset_ns);
}

/* Lock held. The line follows raised while the guest lets it. */
static void rtc_update_line(struct rtc *r)
{
	irq_set(r->chip, r->line, r->raised && r->irq_enabled);
}

/* Lock held. The alarm is due: it fires once. */
static void rtc_fire(struct rtc *r)
{
	r->armed = false;
	r->raised = true;
	rtc_update_line(r);
}

/* The alarm's thread: sleeps until the armed alarm's host time (the
 * guest's time less its offset, CLOCK_REALTIME like the condition's
 * clock) or a change, fires it when due. */
static void *rtc_main(void *arg)
{
	struct rtc *r = arg;

	pthread_mutex_lock(&r->lock);
	while (!r->stop) {
		int64_t at = (int64_t)r->alarm_ns - r->offset_ns;
		struct timespec ts;

		if (!r->armed) {
			pthread_cond_wait(&r->changed, &r->lock);
			continue;
		}
		if (rtc_host_ns() >= at) {
			rtc_fire(r);
			continue;
		}
		ts.tv_sec = (time_t)(at / 1000000000);
		ts.tv_nsec = (long)(at % 1000000000);
		pthread_cond_timedwait(&r->changed, &r->lock, &ts);
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

/* Lock held. Arm the alarm (its thread started the first time). Returns
 * 0 or a negative errno (the alarm stays disarmed). */
static int rtc_arm(struct rtc *r, uint64_t at_ns)
{
	int e;

	if (!r->started) {
		e = pthread_create(&r->thread, NULL, rtc_main, r);
		if (e)
			return -e;
		r->started = true;
	}
	r->alarm_ns = at_ns;
	r->armed = true;
	pthread_cond_signal(&r->changed);
	return 0;
}

int rtc_init(struct rtc *r, struct irq_chip *chip, unsigned line)
{
	int e;

	memset(r, 0, sizeof(*r));
	r->chip = chip;
	r->line = line;
	e = pthread_mutex_init(&r->lock, NULL);
	if (e)
		return -e;
	e = pthread_cond_init(&r->changed, NULL);
	if (e) {
		pthread_mutex_destroy(&r->lock);
		return -e;
	}
	return 0;
}

void rtc_destroy(struct rtc *r)
{
	pthread_mutex_lock(&r->lock);
	r->stop = true;
	pthread_cond_signal(&r->changed);
	pthread_mutex_unlock(&r->lock);
	if (r->started)
		pthread_join(r->thread, NULL);
	irq_set(r->chip, r->line, false);
	pthread_cond_destroy(&r->changed);
	pthread_mutex_destroy(&r->lock);
}

int rtc_copy_state(struct rtc *dst, struct rtc *src)
{
	int e = 0;

	pthread_mutex_lock(&src->lock);
	pthread_mutex_lock(&dst->lock);
	dst->offset_ns = src->offset_ns;
	dst->time_high = src->time_high;
	dst->set_high = src->set_high;
	dst->alarm_high = src->alarm_high;
	dst->alarm_ns = src->alarm_ns;
	dst->irq_enabled = src->irq_enabled;
	dst->raised = src->raised;
	if (src->armed)
		e = rtc_arm(dst, src->alarm_ns);
	rtc_update_line(dst);
	pthread_mutex_unlock(&dst->lock);
	pthread_mutex_unlock(&src->lock);
	return e;
}

uint64_t rtc_now_ns(struct rtc *r)
{
	uint64_t now;

	pthread_mutex_lock(&r->lock);
	now = rtc_guest_ns(r);
	pthread_mutex_unlock(&r->lock);
	return now;
}

static int rtc_read(void *dev, uint64_t off, unsigned size, uint64_t *val)
{
	struct rtc *r = dev;
	uint64_t now;
	int e = 0;

	if (size != 4)
		return -EFAULT;
	pthread_mutex_lock(&r->lock);
	switch (off) {
	case RTC_TIME_LOW:
		now = rtc_guest_ns(r);
		r->time_high = (uint32_t)(now >> 32);
		*val = (uint32_t)now;
		break;
	case RTC_TIME_HIGH:
		*val = r->time_high;
		break;
	case RTC_ALARM_LOW:
		*val = (uint32_t)r->alarm_ns;
		break;
	case RTC_ALARM_HIGH:
		*val = (uint32_t)(r->alarm_ns >> 32);
		break;
	case RTC_ALARM_STATUS:
		*val = r->armed;
		break;
	case RTC_IRQ_ENABLED:
	case RTC_CLEAR_ALARM:
	case RTC_CLEAR_INTERRUPT:
		*val = 0; /* write-only */
		break;
	default:
		e = -EFAULT;
	}
	pthread_mutex_unlock(&r->lock);
	return e;
}

static int rtc_write(void *dev, uint64_t off, unsigned size, uint64_t val)
{
	struct rtc *r = dev;
	uint32_t v = (uint32_t)val;
	int e = 0;

	if (size != 4)
		return -EFAULT;
	pthread_mutex_lock(&r->lock);
	switch (off) {
	case RTC_TIME_LOW:
		r->offset_ns =
		    (int64_t)((uint64_t)r->set_high << 32 | v) - rtc_host_ns();
		/* The alarm's host time moved with the guest's clock. */
		pthread_cond_signal(&r->changed);
		break;
	case RTC_TIME_HIGH:
		r->set_high = v;
		break;
	case RTC_ALARM_LOW:
		/* Guest data: a failure to start the thread leaves the alarm
		 * disarmed, which ALARM_STATUS shows. */
		rtc_arm(r, (uint64_t)r->alarm_high << 32 | v);
		break;
	case RTC_ALARM_HIGH:
		r->alarm_high = v;
		break;
	case RTC_IRQ_ENABLED:
		r->irq_enabled = v & 1;
		rtc_update_line(r);
		break;
	case RTC_CLEAR_ALARM:
		r->armed = false;
		pthread_cond_signal(&r->changed);
		break;
	case RTC_CLEAR_INTERRUPT:
		r->raised = false;
		rtc_update_line(r);
		break;
	case RTC_ALARM_STATUS:
		break; /* read-only */
	default:
		e = -EFAULT;
	}
	pthread_mutex_unlock(&r->lock);
	return e;
}

const struct mmio_ops rtc_mmio_ops = {
    .read = rtc_read,
    .write = rtc_write,
};
