/* SPDX-License-Identifier: MIT */
/* A VM's console: an output sink and a bounded input queue. */
#define _GNU_SOURCE /* pipe2() */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dev/console.h"

struct console_sink;

/* One kind of output sink. */
struct console_ops {
	/* Write all of buf or fail with a negative errno. */
	int (*write)(struct console_sink *sink, const void *buf, size_t len);
	/* Free the sink (not the fd it writes to). */
	void (*release)(struct console_sink *sink);
};

struct console_sink {
	const struct console_ops *ops;
	int fd;	       /* fd sink: where output goes (not owned) */
	uint8_t *ring; /* capture sink: the newest cap bytes, */
	size_t cap;    /* starting at ring[start] and wrapping */
	size_t start, len;
	uint64_t dropped; /* bytes pushed out of the capture */
};

struct console {
	pthread_mutex_t out_lock; /* guards sink */
	struct console_sink *sink;

	pthread_mutex_t in_lock; /* guards the input queue and stopping */
	pthread_cond_t in_room;	 /* signalled when getc frees room */
	uint8_t *inq;
	size_t in_cap, in_head, in_len;

	bool pump_attached; /* the pump: fd -> input queue */
	bool stopping;
	int pump_fd;
	int stop_pipe[2]; /* a byte on [1] wakes the pump's poll() */
	pthread_t pump;

	/* Who hears of new input (console_set_input_notify()); notify_lock
	 * is held while it is called, so clearing it waits for a call in
	 * flight. Never taken with in_lock held. */
	pthread_mutex_t notify_lock;
	console_input_fn input_fn;
	void *input_arg;
};

/* ---- sinks ------------------------------------------------------------- */

static int console_fd_write(struct console_sink *sink, const void *buf,
			    size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = write(sink->fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void console_sink_free(struct console_sink *sink)
{
	free(sink->ring);
	free(sink);
}

static const struct console_ops console_fd_ops = {
    .write = console_fd_write,
    .release = console_sink_free,
};

/* Append to the capture ring, dropping the oldest bytes that do not fit. */
static int console_capture_write(struct console_sink *s, const void *buf,
				 size_t len)
{
	const uint8_t *p = buf;
	size_t over, end, first;

	/* The ring comes with the first output: a console that never prints
	 * (a clone that is never run) costs no ring. */
	if (!s->ring) {
		s->ring = malloc(s->cap);
		if (!s->ring)
			return -ENOMEM;
	}
	if (len >= s->cap) {
		s->dropped += s->len + (len - s->cap);
		memcpy(s->ring, p + (len - s->cap), s->cap);
		s->start = 0;
		s->len = s->cap;
		return 0;
	}
	over = s->len + len > s->cap ? s->len + len - s->cap : 0;
	s->start = (s->start + over) % s->cap;
	s->len -= over;
	s->dropped += over;
	end = (s->start + s->len) % s->cap;
	first = len < s->cap - end ? len : s->cap - end;
	memcpy(s->ring + end, p, first);
	memcpy(s->ring, p + first, len - first);
	s->len += len;
	return 0;
}

static const struct console_ops console_capture_ops = {
    .write = console_capture_write,
    .release = console_sink_free,
};

/* Replace con's sink by new (under out_lock) and free the old one. */
static void console_sink_swap(struct console *con, struct console_sink *new)
{
	struct console_sink *old;

	pthread_mutex_lock(&con->out_lock);
	old = con->sink;
	con->sink = new;
	pthread_mutex_unlock(&con->out_lock);
	if (old)
		old->ops->release(old);
}

int console_set_output_fd(struct console *con, int fd)
{
	struct console_sink *sink;

	if (fd < 0)
		return -EBADF;
	sink = calloc(1, sizeof(*sink));
	if (!sink)
		return -ENOMEM;
	sink->ops = &console_fd_ops;
	sink->fd = fd;
	console_sink_swap(con, sink);
	return 0;
}

int console_capture(struct console *con, size_t cap)
{
	struct console_sink *sink;

	if (!cap)
		return -EINVAL;
	sink = calloc(1, sizeof(*sink));
	if (!sink)
		return -ENOMEM;
	sink->ops = &console_capture_ops;
	sink->fd = -1;
	sink->cap = cap;
	console_sink_swap(con, sink);
	return 0;
}

long console_captured(struct console *con, void *buf, size_t len,
		      uint64_t *dropped)
{
	struct console_sink *s;
	uint8_t *out = buf;
	long ret;

	pthread_mutex_lock(&con->out_lock);
	s = con->sink;
	if (s->ops != &console_capture_ops) {
		ret = -ENODEV;
		goto out;
	}
	for (size_t i = 0; i < len && i < s->len; i++)
		out[i] = s->ring[(s->start + i) % s->cap];
	if (dropped)
		*dropped = s->dropped;
	ret = (long)s->len;
out:
	pthread_mutex_unlock(&con->out_lock);
	return ret;
}

int console_write(struct console *con, const void *buf, size_t len)
{
	int err;

	if (!len)
		return 0;
	pthread_mutex_lock(&con->out_lock);
	err = con->sink->ops->write(con->sink, buf, len);
	pthread_mutex_unlock(&con->out_lock);
	return err;
}

int console_putc(struct console *con, uint8_t c)
{
	return console_write(con, &c, 1);
}

/* ---- input queue ------------------------------------------------------- */

/* Queue what fits of buf; the caller holds in_lock. */
static size_t console_queue_put(struct console *con, const uint8_t *buf,
				size_t len)
{
	size_t n = 0;

	if (!con->inq && len) {
		con->inq = malloc(con->in_cap);
		if (!con->inq)
			return 0;
	}
	while (n < len && con->in_len < con->in_cap) {
		size_t tail = (con->in_head + con->in_len) % con->in_cap;

		con->inq[tail] = buf[n++];
		con->in_len++;
	}
	return n;
}

/* Tell the listener that input waits; in_lock must not be held. */
static void console_notify_input(struct console *con)
{
	pthread_mutex_lock(&con->notify_lock);
	if (con->input_fn)
		con->input_fn(con->input_arg);
	pthread_mutex_unlock(&con->notify_lock);
}

void console_set_input_notify(struct console *con, console_input_fn fn,
			      void *arg)
{
	pthread_mutex_lock(&con->notify_lock);
	con->input_fn = fn;
	con->input_arg = arg;
	pthread_mutex_unlock(&con->notify_lock);
}

size_t console_push_input(struct console *con, const void *buf, size_t len)
{
	size_t n;

	pthread_mutex_lock(&con->in_lock);
	n = console_queue_put(con, buf, len);
	pthread_mutex_unlock(&con->in_lock);
	if (n)
		console_notify_input(con);
	return n;
}

int console_getc(struct console *con)
{
	int c = -1;

	pthread_mutex_lock(&con->in_lock);
	if (con->in_len) {
		c = con->inq[con->in_head];
		con->in_head = (con->in_head + 1) % con->in_cap;
		con->in_len--;
		pthread_cond_signal(&con->in_room);
	}
	pthread_mutex_unlock(&con->in_lock);
	return c;
}

size_t console_input_pending(struct console *con)
{
	size_t n;

	pthread_mutex_lock(&con->in_lock);
	n = con->in_len;
	pthread_mutex_unlock(&con->in_lock);
	return n;
}

/* ---- input pump -------------------------------------------------------- */

/* Queue all of buf, waiting for room; false when asked to stop. */
static bool console_pump_push(struct console *con, const uint8_t *buf,
			      size_t len)
{
	size_t done = 0;
	bool stopping;

	pthread_mutex_lock(&con->in_lock);
	while (!con->stopping) {
		size_t n = console_queue_put(con, buf + done, len - done);

		done += n;
		if (n) {
			pthread_mutex_unlock(&con->in_lock);
			console_notify_input(con);
			pthread_mutex_lock(&con->in_lock);
			continue; /* stopping may have changed meanwhile */
		}
		if (done == len)
			break;
		pthread_cond_wait(&con->in_room, &con->in_lock);
	}
	stopping = con->stopping;
	pthread_mutex_unlock(&con->in_lock);
	return !stopping;
}

static void *console_pump(void *arg)
{
	struct console *con = arg;
	uint8_t buf[256];

	for (;;) {
		struct pollfd pfd[2] = {
		    {.fd = con->pump_fd, .events = POLLIN},
		    {.fd = con->stop_pipe[0], .events = POLLIN},
		};
		ssize_t n;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[1].revents)
			break;
		if (pfd[0].revents & POLLNVAL)
			break;
		if (!pfd[0].revents)
			continue;
		n = read(con->pump_fd, buf, sizeof(buf));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) /* EOF or a read error: no more input */
			break;
		if (!console_pump_push(con, buf, (size_t)n))
			break;
	}
	return NULL;
}

int console_attach_fd(struct console *con, int fd)
{
	sigset_t all, old;
	int err;

	if (fd < 0)
		return -EBADF;
	/* in_lock also keeps two attaches apart; the pump takes it only
	 * once it has read something. */
	pthread_mutex_lock(&con->in_lock);
	if (con->pump_attached) {
		err = -EBUSY;
		goto err_unlock;
	}
	if (pipe2(con->stop_pipe, O_CLOEXEC)) {
		err = -errno;
		goto err_unlock;
	}
	con->pump_fd = fd;

	/* The pump takes no signals: they belong to the threads that wait
	 * for them. The new thread inherits the mask in force here. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = -pthread_create(&con->pump, NULL, console_pump, con);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		goto err_pipe;
	con->pump_attached = true;
	pthread_mutex_unlock(&con->in_lock);
	return 0;

err_pipe:
	close(con->stop_pipe[0]);
	close(con->stop_pipe[1]);
	con->stop_pipe[0] = con->stop_pipe[1] = -1;
err_unlock:
	pthread_mutex_unlock(&con->in_lock);
	return err;
}

int console_attach_stdin(struct console *con)
{
	return console_attach_fd(con, STDIN_FILENO);
}

static void console_pump_stop(struct console *con)
{
	const uint8_t one = 1;
	ssize_t n;

	pthread_mutex_lock(&con->in_lock);
	con->stopping = true;
	pthread_cond_broadcast(&con->in_room);
	pthread_mutex_unlock(&con->in_lock);
	do
		n = write(con->stop_pipe[1], &one, 1);
	while (n < 0 && errno == EINTR);
	pthread_join(con->pump, NULL);
	close(con->stop_pipe[0]);
	close(con->stop_pipe[1]);
}

/* ---- lifetime ---------------------------------------------------------- */

int console_create(size_t input_cap, struct console **out)
{
	struct console *con;
	int err;

	con = calloc(1, sizeof(*con));
	if (!con)
		return -ENOMEM;
	/* The input queue comes with the first input (console_queue_put). */
	con->in_cap = input_cap ? input_cap : CONSOLE_INPUT_DEFAULT;
	con->stop_pipe[0] = con->stop_pipe[1] = -1;
	pthread_mutex_init(&con->out_lock, NULL);
	pthread_mutex_init(&con->in_lock, NULL);
	pthread_mutex_init(&con->notify_lock, NULL);
	pthread_cond_init(&con->in_room, NULL);
	err = console_set_output_fd(con, STDOUT_FILENO);
	if (err)
		goto err_sync;
	*out = con;
	return 0;

err_sync:
	pthread_cond_destroy(&con->in_room);
	pthread_mutex_destroy(&con->notify_lock);
	pthread_mutex_destroy(&con->in_lock);
	pthread_mutex_destroy(&con->out_lock);
	free(con);
	return err;
}

void console_destroy(struct console *con)
{
	if (!con)
		return;
	if (con->pump_attached)
		console_pump_stop(con);
	console_sink_swap(con, NULL);
	pthread_cond_destroy(&con->in_room);
	pthread_mutex_destroy(&con->notify_lock);
	pthread_mutex_destroy(&con->in_lock);
	pthread_mutex_destroy(&con->out_lock);
	free(con->inq);
	free(con);
}
