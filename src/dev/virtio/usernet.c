/* SPDX-License-Identifier: MIT */
/*
 * User-mode networking on libslirp. One thread, the hub, serves every
 * instance of the process: it polls all their sockets at once and runs
 * their timers, so that a new instance (a clone's) costs no thread. Every
 * call into libslirp (slirp_new() and the forwards included) is made with
 * the hub's lock held, which the hub drops only around poll(): libslirp
 * is not thread-safe.
 */
#include "dev/virtio/usernet.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <slirp/libslirp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define USERNET_TX_PENDING 256	       /* frames from the guest not yet input */
#define USERNET_GUEST_ADDR 0x0a00020fu /* 10.0.2.15 */
/* Instances the hub keeps made ahead: slirp_new() touches ~100 KiB of
 * fresh memory and each forward's listener costs a few system calls, tens
 * of microseconds a clone would otherwise wait. Spares are made with the
 * forwards of the last instance made that asked for free host ports (the
 * clones of one VM all do), listening on free ports of their own. */
#define USERNET_SPARE 8
/* The hub tops the spares up in a quiet round (its last poll found
 * nothing), within USERNET_REFILL_MS: woken by a clone, it then polls the
 * new instance and sleeps again at once instead of making spares on the
 * CPU the clone's request is still using. Below half it makes them at
 * once, so that a batch of clones does not run out. */
#define USERNET_REFILL_MS 2

struct usernet_timer {
	struct usernet_timer *next;
	SlirpTimerCb cb;
	void *cb_opaque;
	int64_t expire_ms; /* -1: not armed */
};

struct usernet_frame {
	struct usernet_frame *next;
	size_t len;
	uint8_t data[];
};

struct usernet {
	Slirp *slirp;
	usernet_rx_fn rx;
	void *opaque;
	struct usernet_fwd fwd[USERNET_MAX_FWDS];
	unsigned nfwd;

	pthread_mutex_t lock; /* the frames from the guest */
	struct usernet_frame *head, **tail;
	unsigned count;

	/* Under the hub's lock. */
	struct usernet *next, **pprev; /* on the hub's list */
	struct usernet_timer *timers;
	uint64_t round; /* the hub's round that filled its poll entries */
};

/* The thread that serves every instance. */
struct usernet_hub {
	pthread_mutex_t lock;	   /* the list, and every call into libslirp */
	pthread_cond_t next_round; /* broadcast when a round starts */
	bool started;
	pthread_t thread;
	int efd; /* wakes it: an instance added, frames queued */
	struct usernet *list;
	struct usernet *spare; /* made ahead, not on the list */
	unsigned nspare;
	unsigned next_port; /* where the search for a free port goes on */
	/* The spares' forwards (host ports 0: free ones). */
	struct usernet_fwd tmpl[USERNET_MAX_FWDS];
	unsigned ntmpl;
	/* The hub thread's own. */
	struct pollfd *pfd;
	unsigned npfd, cap;
	uint64_t round;
};

static struct usernet_hub usernet_hub = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .next_round = PTHREAD_COND_INITIALIZER,
    .efd = -1,
};

static void usernet_wake(void)
{
	uint64_t one = 1;

	if (write(usernet_hub.efd, &one, sizeof(one)) < 0) {
		/* The counter is full: the hub is awake anyway. */
	}
}

static int64_t usernet_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static ssize_t usernet_cb_send(const void *buf, size_t len, void *opaque)
{
	struct usernet *u = opaque;

	u->rx(u->opaque, buf, len);
	return (ssize_t)len;
}

static void usernet_cb_guest_error(const char *msg, void *opaque)
{
	(void)msg;
	(void)opaque;
}

static int64_t usernet_cb_clock(void *opaque)
{
	(void)opaque;
	return usernet_now_ns();
}

static void *usernet_cb_timer_new(SlirpTimerCb cb, void *cb_opaque,
				  void *opaque)
{
	struct usernet *u = opaque;
	struct usernet_timer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->cb = cb;
	t->cb_opaque = cb_opaque;
	t->expire_ms = -1;
	t->next = u->timers;
	u->timers = t;
	return t;
}

static void usernet_cb_timer_free(void *timer, void *opaque)
{
	struct usernet *u = opaque;

	for (struct usernet_timer **p = &u->timers; *p; p = &(*p)->next) {
		if (*p == timer) {
			*p = (*p)->next;
			free(timer);
			return;
		}
	}
}

static void usernet_cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
	struct usernet_timer *t = timer;

	(void)opaque;
	t->expire_ms = expire_ms;
}

static void usernet_cb_fd(int fd, void *opaque)
{
	(void)fd;
	(void)opaque;
}

static void usernet_cb_notify(void *opaque)
{
	(void)opaque;
	usernet_wake();
}

static const SlirpCb usernet_callbacks = {
    .send_packet = usernet_cb_send,
    .guest_error = usernet_cb_guest_error,
    .clock_get_ns = usernet_cb_clock,
    .timer_new = usernet_cb_timer_new,
    .timer_free = usernet_cb_timer_free,
    .timer_mod = usernet_cb_timer_mod,
    .register_poll_fd = usernet_cb_fd,
    .unregister_poll_fd = usernet_cb_fd,
    .notify = usernet_cb_notify,
};

/* The hub thread: one more entry in its poll set. */
static int usernet_add_poll(int fd, int events, void *opaque)
{
	struct usernet_hub *h = &usernet_hub;
	struct pollfd *p;

	(void)opaque;
	if (h->npfd == h->cap) {
		unsigned cap = h->cap ? 2 * h->cap : 64;
		struct pollfd *more = realloc(h->pfd, cap * sizeof(*more));

		if (!more)
			return -1;
		h->pfd = more;
		h->cap = cap;
	}
	p = &h->pfd[h->npfd];
	p->fd = fd;
	p->events = 0;
	p->revents = 0;
	if (events & SLIRP_POLL_IN)
		p->events |= POLLIN;
	if (events & SLIRP_POLL_OUT)
		p->events |= POLLOUT;
	if (events & SLIRP_POLL_PRI)
		p->events |= POLLPRI;
	return (int)h->npfd++;
}

static int usernet_get_revents(int idx, void *opaque)
{
	struct usernet_hub *h = &usernet_hub;
	short re;
	int ev = 0;

	(void)opaque;
	if (idx < 1 || (unsigned)idx >= h->npfd)
		return 0;
	re = h->pfd[idx].revents;
	if (re & POLLIN)
		ev |= SLIRP_POLL_IN;
	if (re & POLLOUT)
		ev |= SLIRP_POLL_OUT;
	if (re & POLLPRI)
		ev |= SLIRP_POLL_PRI;
	if (re & POLLERR)
		ev |= SLIRP_POLL_ERR;
	if (re & POLLHUP)
		ev |= SLIRP_POLL_HUP;
	return ev;
}

/* Run the timers that are due; the time to the next one in *timeout. */
static void usernet_run_timers(struct usernet *u, uint32_t *timeout)
{
	int64_t now = usernet_now_ns() / 1000000;
	bool again = true;

	/* A callback may re-arm or free timers: rescan after each. */
	while (again) {
		again = false;
		for (struct usernet_timer *t = u->timers; t; t = t->next) {
			if (t->expire_ms >= 0 && t->expire_ms <= now) {
				t->expire_ms = -1;
				t->cb(t->cb_opaque);
				again = true;
				break;
			}
		}
	}
	for (struct usernet_timer *t = u->timers; t; t = t->next) {
		if (t->expire_ms >= 0 &&
		    (uint64_t)(t->expire_ms - now) < *timeout)
			*timeout = (uint32_t)(t->expire_ms - now);
	}
}

/* Take the guest's queued frames; into slirp when input is set (the
 * hub's lock held), else only freed. */
static void usernet_input(struct usernet *u, bool input)
{
	struct usernet_frame *f, *next;

	pthread_mutex_lock(&u->lock);
	f = u->head;
	u->head = NULL;
	u->tail = &u->head;
	u->count = 0;
	pthread_mutex_unlock(&u->lock);
	for (; f; f = next) {
		next = f->next;
		if (input)
			slirp_input(u->slirp, f->data, (int)f->len);
		free(f);
	}
}

/* A new instance, not on the hub's list, with no receiver yet; NULL when
 * out of memory or libslirp refuses. */
static struct usernet *usernet_alloc(void)
{
	const SlirpConfig cfg = {
	    .version = 4,
	    .in_enabled = true,
	    .vnetwork.s_addr = htonl(0x0a000200u), /* 10.0.2.0 */
	    .vnetmask.s_addr = htonl(0xffffff00u), /* /24 */
	    .vhost.s_addr = htonl(0x0a000202u),	   /* 10.0.2.2 */
	    .vdhcp_start.s_addr = htonl(USERNET_GUEST_ADDR),
	    .vnameserver.s_addr = htonl(0x0a000203u), /* 10.0.2.3 */
	    .vhostname = "memvisor",
	    .if_mtu = 1500,
	    .if_mru = 1500,
	};
	struct usernet *u = calloc(1, sizeof(*u));

	if (!u)
		return NULL;
	u->tail = &u->head;
	pthread_mutex_init(&u->lock, NULL);
	u->slirp = slirp_new(&cfg, &usernet_callbacks, u);
	if (!u->slirp) {
		pthread_mutex_destroy(&u->lock);
		free(u);
		return NULL;
	}
	return u;
}

/* Free an instance off the list (its forwards go with slirp). Hub lock
 * held. */
static void usernet_free(struct usernet *u)
{
	slirp_cleanup(u->slirp);
	while (u->timers)
		usernet_cb_timer_free(u->timers, u);
	usernet_input(u, false); /* frees what is left */
	pthread_mutex_destroy(&u->lock);
	free(u);
}

/*
 * Hub lock held: make spares up to USERNET_SPARE, each made with the lock
 * dropped (slirp_new() of an instance nobody else sees; libslirp's own
 * globals are set up by the first instance, made under the lock). Returns
 * false when one could not be made.
 */
static int usernet_add_fwd(struct usernet *u, struct usernet_fwd *fwd,
			   char *why, size_t whylen);

static bool usernet_refill(struct usernet_hub *h)
{
	char why[128];

	while (h->nspare < USERNET_SPARE) {
		struct usernet *u;

		pthread_mutex_unlock(&h->lock);
		u = usernet_alloc();
		pthread_mutex_lock(&h->lock);
		if (!u)
			return false;
		for (unsigned i = 0; i < h->ntmpl; i++) {
			u->fwd[i] = h->tmpl[i];
			if (usernet_add_fwd(u, &u->fwd[i], why, sizeof(why)))
				break;
			u->nfwd++;
		}
		if (u->nfwd != h->ntmpl) {
			usernet_free(u);
			return false;
		}
		u->next = h->spare;
		h->spare = u;
		h->nspare++;
	}
	return true;
}

/* Whether an instance with the forwards have[0..nhave-1] serves a request
 * for fwd[0..nfwd-1]: the same forwards where those ask for free host
 * ports, none where they name ports. */
static bool usernet_fits(const struct usernet_fwd *have, unsigned nhave,
			 const struct usernet_fwd *fwd, unsigned nfwd)
{
	bool any = true;

	for (unsigned i = 0; i < nfwd; i++)
		any &= !fwd[i].host_port;
	if (!any)
		return !nhave;
	if (nhave != nfwd)
		return false;
	for (unsigned i = 0; i < nfwd; i++)
		if (have[i].udp != fwd[i].udp ||
		    have[i].host_addr != fwd[i].host_addr ||
		    have[i].guest_port != fwd[i].guest_port)
			return false;
	return true;
}

/*
 * Hub lock held: the spare that fits fwd (NULL: none). Forwards asking
 * for free ports become the template of the spares made from now on; the
 * spares made for another template go.
 */
static struct usernet *usernet_take_spare(struct usernet_hub *h,
					  const struct usernet_fwd *fwd,
					  unsigned nfwd)
{
	struct usernet *u, *v, **p;
	bool any = nfwd > 0;

	for (unsigned i = 0; i < nfwd; i++)
		any &= !fwd[i].host_port;
	if (any && !usernet_fits(h->tmpl, h->ntmpl, fwd, nfwd)) {
		memcpy(h->tmpl, fwd, nfwd * sizeof(*fwd));
		h->ntmpl = nfwd;
	}
	for (p = &h->spare; (u = *p); p = &u->next)
		if (usernet_fits(u->fwd, u->nfwd, fwd, nfwd))
			break;
	if (u) {
		*p = u->next;
		h->nspare--;
	}
	/* Spares of an old template would hold their ports for nothing. */
	if (any)
		for (p = &h->spare; (v = *p);) {
			if (usernet_fits(v->fwd, v->nfwd, h->tmpl, h->ntmpl)) {
				p = &v->next;
				continue;
			}
			*p = v->next;
			h->nspare--;
			usernet_free(v);
		}
	return u;
}

/*
 * The hub: each round, every instance's frames, timers and poll entries
 * (lock held), one poll() over all of them (lock dropped), then slirp's
 * look at what it found for the instances of this round (lock held: one
 * removed meanwhile is skipped, one added meanwhile waits for the next
 * round). Runs as long as the process.
 */
static void *usernet_hub_main(void *arg)
{
	struct usernet_hub *h = arg;
	bool quiet = true, stuck = false;

	for (;;) {
		uint32_t timeout = 1000;
		uint64_t v;
		int r;

		pthread_mutex_lock(&h->lock);
		if (read(h->efd, &v, sizeof(v)) < 0) {
			/* EAGAIN: nobody woke it */
		}
		if (h->nspare < USERNET_SPARE &&
		    (quiet || h->nspare < USERNET_SPARE / 2))
			stuck = !usernet_refill(h);
		/* One that failed is tried again in the next quiet round, not
		 * every few milliseconds. */
		if (h->nspare < USERNET_SPARE && !stuck)
			timeout = USERNET_REFILL_MS;
		h->round++;
		pthread_cond_broadcast(&h->next_round);
		h->npfd = 1;
		h->pfd[0] = (struct pollfd){.fd = h->efd, .events = POLLIN};
		for (struct usernet *u = h->list; u; u = u->next) {
			usernet_input(u, true);
			usernet_run_timers(u, &timeout);
			slirp_pollfds_fill(u->slirp, &timeout, usernet_add_poll,
					   u);
			u->round = h->round;
		}
		pthread_mutex_unlock(&h->lock);
		r = poll(h->pfd, h->npfd, (int)timeout);
		quiet = r == 0;
		pthread_mutex_lock(&h->lock);
		for (struct usernet *u = h->list; u; u = u->next)
			if (u->round == h->round)
				slirp_pollfds_poll(u->slirp, r < 0,
						   usernet_get_revents, u);
		pthread_mutex_unlock(&h->lock);
	}
	return NULL;
}

/* Hub lock held: start the hub the first time. 0 or a negative errno. */
static int usernet_hub_start(char *why, size_t whylen)
{
	struct usernet_hub *h = &usernet_hub;
	int r;

	if (h->started)
		return 0;
	if (h->efd < 0) {
		h->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (h->efd < 0) {
			r = -errno;
			snprintf(why, whylen, "user network: eventfd: %s",
				 strerror(-r));
			return r;
		}
	}
	if (!h->pfd) {
		h->pfd = malloc(64 * sizeof(*h->pfd));
		if (!h->pfd) {
			snprintf(why, whylen, "user network: out of memory");
			return -ENOMEM;
		}
		h->cap = 64;
	}
	r = -pthread_create(&h->thread, NULL, usernet_hub_main, h);
	if (r) {
		snprintf(why, whylen, "user network: no thread: %s",
			 strerror(-r));
		return r;
	}
	h->started = true;
	return 0;
}

static int usernet_send(void *be, const void *frame, size_t len)
{
	struct usernet *u = be;
	struct usernet_frame *f = malloc(sizeof(*f) + len);

	if (!f)
		return -ENOMEM;
	f->next = NULL;
	f->len = len;
	memcpy(f->data, frame, len);
	pthread_mutex_lock(&u->lock);
	if (u->count >= USERNET_TX_PENDING) {
		pthread_mutex_unlock(&u->lock);
		free(f);
		return -ENOBUFS;
	}
	*u->tail = f;
	u->tail = &f->next;
	u->count++;
	pthread_mutex_unlock(&u->lock);
	usernet_wake();
	return 0;
}

const struct virtio_net_backend_ops usernet_backend_ops = {
    .send = usernet_send,
};

/* Where a forward without a host port looks for one: the range Linux
 * hands out ephemeral ports from by default. */
#define USERNET_PORT_FIRST 32768u
#define USERNET_PORT_COUNT 28232u
#define USERNET_PORT_TRIES 64

/*
 * Hub lock held: the forward fwd on u. A host port of 0 becomes the first
 * candidate slirp can listen on, from where the last search stopped (no
 * probe socket: the listener itself is the test, so no other program can
 * take the port in between); a given port is used as it is.
 */
static int usernet_add_fwd(struct usernet *u, struct usernet_fwd *fwd,
			   char *why, size_t whylen)
{
	struct usernet_hub *h = &usernet_hub;
	struct in_addr host = {.s_addr = htonl(fwd->host_addr)};
	struct in_addr guest = {.s_addr = htonl(USERNET_GUEST_ADDR)};
	bool any = !fwd->host_port;
	char desc[64];

	if (!h->next_port)
		h->next_port = (unsigned)getpid() * 7919u % USERNET_PORT_COUNT;
	for (unsigned i = 0; i < (any ? USERNET_PORT_TRIES : 1); i++) {
		if (any) {
			fwd->host_port =
			    (uint16_t)(USERNET_PORT_FIRST + h->next_port);
			h->next_port = (h->next_port + 1) % USERNET_PORT_COUNT;
		}
		if (slirp_add_hostfwd(u->slirp, fwd->udp, host, fwd->host_port,
				      guest, fwd->guest_port) == 0)
			return 0;
	}
	if (any)
		fwd->host_port = 0;
	usernet_format_fwd(fwd, desc, sizeof(desc));
	snprintf(why, whylen,
		 "hostfwd=%s: cannot listen on the host port: %s (choose "
		 "another port)",
		 desc, strerror(EADDRINUSE));
	return -EADDRINUSE;
}

int usernet_create(const struct usernet_fwd *fwd, unsigned nfwd,
		   usernet_rx_fn rx, void *opaque, struct usernet **out,
		   char *why, size_t whylen)
{
	struct usernet_hub *h = &usernet_hub;
	struct usernet *u;
	int r;

	if (nfwd > USERNET_MAX_FWDS) {
		snprintf(why, whylen, "at most %u hostfwd", USERNET_MAX_FWDS);
		return -EINVAL;
	}
	pthread_mutex_lock(&h->lock);
	r = usernet_hub_start(why, whylen);
	if (r)
		goto err_unlock;
	u = usernet_take_spare(h, fwd, nfwd);
	if (!u)
		u = usernet_alloc();
	if (!u) {
		r = -ENOMEM;
		snprintf(why, whylen,
			 "user network: out of memory, or libslirp refused to "
			 "start");
		goto err_unlock;
	}
	u->rx = rx;
	u->opaque = opaque;
	/* A spare made for this template has its forwards already. */
	for (unsigned i = u->nfwd; i < nfwd; i++) {
		u->fwd[i] = fwd[i];
		r = usernet_add_fwd(u, &u->fwd[i], why, whylen);
		if (r)
			goto err_free;
		u->nfwd++;
	}
	u->next = h->list;
	if (h->list)
		h->list->pprev = &u->next;
	u->pprev = &h->list;
	h->list = u;
	pthread_mutex_unlock(&h->lock);
	usernet_wake(); /* it polls u from now on, and makes a spare */
	*out = u;
	return 0;

err_free:
	usernet_free(u);
err_unlock:
	pthread_mutex_unlock(&h->lock);
	return r;
}

void usernet_destroy(struct usernet *u)
{
	struct usernet_hub *h = &usernet_hub;
	uint64_t round;

	if (!u)
		return;
	pthread_mutex_lock(&h->lock);
	*u->pprev = u->next;
	if (u->next)
		u->next->pprev = u->pprev;
	usernet_free(u);
	/* A poll() in progress holds u's sockets open (its listeners still
	 * accept) until it returns: wait for the next round, which polls
	 * without them, so that u's host ports are free when this returns. */
	round = h->round;
	usernet_wake();
	while (h->started && h->round == round)
		pthread_cond_wait(&h->next_round, &h->lock);
	pthread_mutex_unlock(&h->lock);
}

unsigned usernet_fwds(const struct usernet *u,
		      struct usernet_fwd fwd[USERNET_MAX_FWDS])
{
	memcpy(fwd, u->fwd, u->nfwd * sizeof(*fwd));
	return u->nfwd;
}

/* A port number 0..65535 from s[0..len). */
static bool usernet_port(const char *s, size_t len, uint16_t *port)
{
	unsigned long v = 0;

	if (!len || len > 5)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > 65535)
		return false;
	*port = (uint16_t)v;
	return true;
}

/* An IPv4 address from s[0..len); empty: dflt. */
static bool usernet_addr(const char *s, size_t len, uint32_t dflt,
			 uint32_t *addr)
{
	char buf[INET_ADDRSTRLEN];
	struct in_addr a;

	if (!len) {
		*addr = dflt;
		return true;
	}
	if (len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET, buf, &a) != 1)
		return false;
	*addr = ntohl(a.s_addr);
	return true;
}

int usernet_parse_fwd(const char *s, struct usernet_fwd *fwd, char *why,
		      size_t whylen)
{
	const char *p = s, *colon, *dash, *gcolon;
	uint32_t gaddr;

	*fwd = (struct usernet_fwd){0};
	if (!strncmp(p, "tcp:", 4)) {
		p += 4;
	} else if (!strncmp(p, "udp:", 4)) {
		fwd->udp = true;
		p += 4;
	} else if (*p == ':') {
		p++; /* QEMU: the protocol may be left out, tcp */
	}
	colon = strchr(p, ':');
	dash = colon ? strchr(colon, '-') : NULL;
	gcolon = dash ? strchr(dash, ':') : NULL;
	if (!colon || !dash || !gcolon ||
	    !usernet_addr(p, (size_t)(colon - p), 0x7f000001u,
			  &fwd->host_addr) ||
	    !usernet_port(colon + 1, (size_t)(dash - colon - 1),
			  &fwd->host_port) ||
	    !usernet_addr(dash + 1, (size_t)(gcolon - dash - 1),
			  USERNET_GUEST_ADDR, &gaddr) ||
	    gaddr != USERNET_GUEST_ADDR ||
	    !usernet_port(gcolon + 1, strlen(gcolon + 1), &fwd->guest_port) ||
	    !fwd->guest_port) {
		snprintf(why, whylen,
			 "hostfwd=%s: expected tcp:ADDR:HOSTPORT-:GUESTPORT "
			 "(or udp:), e.g. tcp:127.0.0.1:8080-:80",
			 s);
		return -EINVAL;
	}
	return 0;
}

void usernet_format_fwd(const struct usernet_fwd *fwd, char *buf, size_t size)
{
	struct in_addr a = {.s_addr = htonl(fwd->host_addr)};
	char addr[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &a, addr, sizeof(addr));
	snprintf(buf, size, "%s:%s:%u-:%u", fwd->udp ? "udp" : "tcp", addr,
		 fwd->host_port, fwd->guest_port);
}
