/* SPDX-License-Identifier: MIT */
/*
 * User-mode networking for a virtio-net device (dev/virtio/net.h): one
 * libslirp instance per VM with QEMU's user-net defaults (network
 * 10.0.2.0/24, the host 10.0.2.2, DNS 10.0.2.3, DHCP from 10.0.2.15),
 * outbound TCP and UDP through the host's sockets, and host ports
 * forwarded to the guest.
 *
 * Threading: one thread of the process (the hub) serves every instance:
 * it polls all their sockets in one poll() and runs their timers, so an
 * instance costs no thread of its own. libslirp is not thread-safe: every
 * call into it, on the hub or in usernet_create()/usernet_destroy(), is
 * made under the hub's lock. Frames from the guest reach the hub through a
 * queue per instance and the hub's eventfd (usernet_backend_ops.send, from
 * the device's worker); frames to the guest leave it through the rx
 * callback given at creation, on the hub's thread.
 */
#ifndef MEMVISOR_DEV_VIRTIO_USERNET_H
#define MEMVISOR_DEV_VIRTIO_USERNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dev/virtio/net.h"

#define USERNET_MAX_FWDS 8

/* One forward, hostfwd=tcp:ADDR:HOSTPORT-:GUESTPORT in QEMU's words. */
struct usernet_fwd {
	bool udp;
	uint32_t host_addr;  /* IPv4, host byte order */
	uint16_t host_port;  /* 0: a free port, chosen at creation */
	uint16_t guest_port; /* on the guest's address 10.0.2.15 */
};

struct usernet;

/* Called on the hub's thread with a frame for the guest. */
typedef void (*usernet_rx_fn)(void *opaque, const void *frame, size_t len);

/*
 * Start a user-mode network with the nfwd forwards fwd[] (at most
 * USERNET_MAX_FWDS); a host port of 0 is replaced by a free one, which
 * usernet_fwds() reports. Frames for the guest go to rx(opaque, ..).
 * Returns 0 and sets *out, or a negative errno with a one-line reason in
 * why (-EADDRINUSE: a host port is taken).
 */
int usernet_create(const struct usernet_fwd *fwd, unsigned nfwd,
		   usernet_rx_fn rx, void *opaque, struct usernet **out,
		   char *why, size_t whylen);

/* Take u off the hub and free it; rx is not called after. NULL: no-op. */
void usernet_destroy(struct usernet *u);

/* The forwards as set up (host ports chosen); returns how many. */
unsigned usernet_fwds(const struct usernet *u,
		      struct usernet_fwd fwd[USERNET_MAX_FWDS]);

/* The backend side for virtio_net_attach(dev, &usernet_backend_ops, u). */
extern const struct virtio_net_backend_ops usernet_backend_ops;

/*
 * Parse one forward in QEMU's form, tcp:ADDR:HOSTPORT-:GUESTPORT or
 * udp:... (ADDR may be empty: 127.0.0.1; HOSTPORT 0: a free port; the
 * guest address, between '-' and ':', may be empty or 10.0.2.15). 0, or
 * -EINVAL with what was wrong in why.
 */
int usernet_parse_fwd(const char *s, struct usernet_fwd *fwd, char *why,
		      size_t whylen);

/* A forward in that form ("tcp:127.0.0.1:8080-:80") into buf. */
void usernet_format_fwd(const struct usernet_fwd *fwd, char *buf, size_t size);

#endif
