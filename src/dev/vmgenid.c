/* SPDX-License-Identifier: MIT */
#include "dev/vmgenid.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

static int vmgenid_random(uint8_t id[VMGENID_SIZE])
{
	size_t got = 0;

	while (got < VMGENID_SIZE) {
		ssize_t n = getrandom(id + got, VMGENID_SIZE - got, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		got += (size_t)n;
	}
	return 0;
}

int vmgenid_init(struct vmgenid *g, struct irq_chip *chip, unsigned line)
{
	int r;

	memset(g, 0, sizeof(*g));
	r = vmgenid_random(g->id);
	if (r)
		return r;
	g->chip = chip;
	g->line = line;
	return -pthread_mutex_init(&g->lock, NULL);
}

void vmgenid_destroy(struct vmgenid *g)
{
	irq_set(g->chip, g->line, false);
	pthread_mutex_destroy(&g->lock);
}

int vmgenid_change(struct vmgenid *g)
{
	uint8_t id[VMGENID_SIZE];
	int r = vmgenid_random(id);

	if (r)
		return r;
	pthread_mutex_lock(&g->lock);
	memcpy(g->id, id, VMGENID_SIZE);
	g->changes++;
	g->raised = true;
	irq_set(g->chip, g->line, true);
	pthread_mutex_unlock(&g->lock);
	return 0;
}

void vmgenid_get(struct vmgenid *g, uint8_t id[VMGENID_SIZE], uint64_t *changes)
{
	pthread_mutex_lock(&g->lock);
	memcpy(id, g->id, VMGENID_SIZE);
	*changes = g->changes;
	pthread_mutex_unlock(&g->lock);
}

static int vmgenid_read(void *dev, uint64_t off, unsigned size, uint64_t *val)
{
	struct vmgenid *g = dev;
	uint64_t v = 0;

	if (off >= VMGENID_SIZE || size > VMGENID_SIZE - off)
		return -EFAULT;
	pthread_mutex_lock(&g->lock);
	memcpy(&v, g->id + off, size);
	if (g->raised) {
		g->raised = false;
		irq_set(g->chip, g->line, false);
	}
	pthread_mutex_unlock(&g->lock);
	*val = v;
	return 0;
}

static int vmgenid_write(void *dev, uint64_t off, unsigned size, uint64_t val)
{
	(void)dev, (void)off, (void)size, (void)val;
	return -EFAULT;
}

const struct mmio_ops vmgenid_mmio_ops = {
    .read = vmgenid_read,
    .write = vmgenid_write,
};
