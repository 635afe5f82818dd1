/* SPDX-License-Identifier: MIT */
/*
 * The control API's transport: a Unix stream socket, one accept thread and
 * a thread per connection (at most API_MAX_CLIENTS). Lines in, replies out;
 * what a line means is api_requests.c's business.
 *
 * Stopping: api_stop() writes one byte to a pipe that is never read. Every
 * thread polls the pipe's read end beside its socket, so each one sees the
 * stop as soon as it waits, and none waits for a client that does not read
 * or does not write (client sockets are non-blocking).
 */
#define _GNU_SOURCE /* accept4(), pipe2() */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "api/api.h"
#include "api/api_requests.h"

/* Sent when a reply cannot be built at all. */
#define API_REPLY_NOMEM "{\"ok\":false,\"error\":\"out of memory\"}\n"

enum api_slot_state {
	API_SLOT_FREE,
	API_SLOT_BUSY, /* its thread serves a connection */
	API_SLOT_DONE, /* its thread has finished and waits to be joined */
};

struct api_client {
	struct api *api;
	int fd;
	pthread_t thread;
	enum api_slot_state state; /* under api->lock */
};

struct api {
	struct hv *hv;
	int listen_fd;
	int stop_pipe[2]; /* readable once api_stop() has begun */
	pthread_t accept_thread;
	pthread_mutex_t lock;
	struct api_client clients[API_MAX_CLIENTS];
	struct sockaddr_un addr;
	dev_t sock_dev; /* the socket file we made, to unlink only that */
	ino_t sock_ino;
};

/*
 * Wait until fd is ready for events, or the api is stopping. Returns 0
 * when fd is ready (or in error: the next call on it says which), -1 when
 * stopping.
 */
static int api_wait(struct api *api, int fd, short events)
{
	struct pollfd p[2] = {
	    {.fd = api->stop_pipe[0], .events = POLLIN},
	    {.fd = fd, .events = events},
	};

	for (;;) {
		int n = poll(p, 2, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || p[0].revents)
			return -1;
		if (p[1].revents)
			return 0;
	}
}

/* Send all of buf[0..len) on the non-blocking fd. Returns 0 or -1. */
static int api_send_all(struct api *api, int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			buf += n;
			len -= (size_t)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (api_wait(api, fd, POLLOUT))
				return -1;
		} else {
			return -1; /* the client left (EPIPE, ECONNRESET) */
		}
	}
	return 0;
}

/* Send reply (consumed; NULL: out of memory) as one line. 0 or -1. */
static int api_send_reply(struct api *api, int fd, json_t *reply)
{
	char *text = reply ? json_dumps(reply, JSON_COMPACT) : NULL;
	int r;

	json_decref(reply);
	if (!text)
		return api_send_all(api, fd, API_REPLY_NOMEM,
				    strlen(API_REPLY_NOMEM));
	/* JSON_COMPACT output holds no newline: strings are escaped. */
	r = api_send_all(api, fd, text, strlen(text));
	if (!r)
		r = api_send_all(api, fd, "\n", 1);
	free(text);
	return r;
}

/*
 * Serve one connection: split what arrives into lines and answer each.
 * Ends at EOF (a partial last line is dropped: the client left in the
 * middle of a request), on a socket error, on a line longer than
 * API_MAX_LINE (after an error reply), or when the api stops.
 */
static void api_serve(struct api *api, int fd)
{
	size_t cap = API_MAX_LINE + 1, len = 0, scanned = 0;
	char *buf = malloc(cap);

	if (!buf) {
		api_send_reply(api, fd, NULL);
		return;
	}
	for (;;) {
		char *nl = memchr(buf + scanned, '\n', len - scanned);
		ssize_t n;

		if (nl) {
			size_t line = (size_t)(nl - buf), used = line + 1;

			if (line && buf[line - 1] == '\r')
				line--;
			/* Blank lines are skipped, so a person typing at
			 * the socket can press Enter. */
			if (line &&
			    api_send_reply(api, fd,
					   api_handle(api->hv, buf, line)))
				break;
			memmove(buf, buf + used, len - used);
			len -= used;
			scanned = 0;
			continue;
		}
		scanned = len;
		if (len > API_MAX_LINE) {
			api_send_reply(api, fd,
				       api_error("request line longer than %u "
						 "bytes; closing the "
						 "connection",
						 API_MAX_LINE));
			break;
		}
		if (api_wait(api, fd, POLLIN))
			break;
		n = recv(fd, buf + len, cap - len, MSG_DONTWAIT);
		if (n < 0 &&
		    (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	free(buf);
}

static void *api_client_main(void *arg)
{
	struct api_client *c = arg;
	struct api *api = c->api;

	api_serve(api, c->fd);
	shutdown(c->fd, SHUT_RDWR);
	close(c->fd);
	pthread_mutex_lock(&api->lock);
	c->fd = -1;
	c->state = API_SLOT_DONE;
	pthread_mutex_unlock(&api->lock);
	return NULL;
}

/* A free client slot, marked busy, joining finished threads; or NULL. */
static struct api_client *api_slot_take(struct api *api)
{
	struct api_client *free_slot = NULL;

	pthread_mutex_lock(&api->lock);
	for (unsigned i = 0; i < API_MAX_CLIENTS; i++) {
		struct api_client *c = &api->clients[i];

		if (c->state == API_SLOT_DONE) {
			/* It has returned or is about to: a short wait. */
			pthread_join(c->thread, NULL);
			c->state = API_SLOT_FREE;
		}
		if (c->state == API_SLOT_FREE && !free_slot)
			free_slot = c;
	}
	if (free_slot)
		free_slot->state = API_SLOT_BUSY;
	pthread_mutex_unlock(&api->lock);
	return free_slot;
}

/* Turn a connection away with an error reply. Closes fd. */
static void api_refuse(struct api *api, int fd, const char *why)
{
	api_send_reply(api, fd, api_error("%s", why));
	close(fd);
}

static void *api_accept_main(void *arg)
{
	struct api *api = arg;

	while (!api_wait(api, api->listen_fd, POLLIN)) {
		struct api_client *c;
		int fd = accept4(api->listen_fd, NULL, NULL,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			/* Out of descriptors: back off instead of spinning
			 * on a listening socket that stays readable. */
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				struct pollfd p = {.fd = api->stop_pipe[0],
						   .events = POLLIN};
				poll(&p, 1, 100);
			}
			continue;
		}
		c = api_slot_take(api);
		if (!c) {
			api_refuse(api, fd,
				   "too many control connections at once; try "
				   "again when one has closed");
			continue;
		}
		c->fd = fd;
		if (pthread_create(&c->thread, NULL, api_client_main, c)) {
			pthread_mutex_lock(&api->lock);
			c->fd = -1;
			c->state = API_SLOT_FREE;
			pthread_mutex_unlock(&api->lock);
			api_refuse(api, fd,
				   "cannot start a thread for this "
				   "connection");
		}
	}
	return NULL;
}

/*
 * What is at path: 0 when nothing (or a stale socket, now removed),
 * -EEXIST for a file that is not a socket, -EADDRINUSE for a socket a
 * server listens on.
 */
static int api_clear_path(const struct sockaddr_un *addr)
{
	struct stat st;
	int fd, r;

	if (lstat(addr->sun_path, &st))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	r = connect(fd, (const struct sockaddr *)addr, sizeof(*addr));
	if (!r || errno == EAGAIN) {
		/* Someone answers (or has a full backlog): not stale. */
		close(fd);
		return -EADDRINUSE;
	}
	r = errno;
	close(fd);
	if (r != ECONNREFUSED)
		return -r;
	if (unlink(addr->sun_path) && errno != ENOENT)
		return -errno;
	return 0;
}

int api_start(struct hv *hv, const char *sock_path, struct api **out)
{
	struct api *api;
	struct stat st;
	int r;

	if (strlen(sock_path) >= sizeof(api->addr.sun_path))
		return -ENAMETOOLONG;
	api = calloc(1, sizeof(*api));
	if (!api)
		return -ENOMEM;
	api->hv = hv;
	api->listen_fd = -1;
	api->addr.sun_family = AF_UNIX;
	strcpy(api->addr.sun_path, sock_path);
	for (unsigned i = 0; i < API_MAX_CLIENTS; i++) {
		api->clients[i].api = api;
		api->clients[i].fd = -1;
	}
	r = pthread_mutex_init(&api->lock, NULL);
	if (r) {
		r = -r;
		goto err_free;
	}
	if (pipe2(api->stop_pipe, O_CLOEXEC)) {
		r = -errno;
		goto err_mutex;
	}

	r = api_clear_path(&api->addr);
	if (r)
		goto err_pipe;
	api->listen_fd =
	    socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (api->listen_fd < 0) {
		r = -errno;
		goto err_pipe;
	}
	if (bind(api->listen_fd, (const struct sockaddr *)&api->addr,
		 sizeof(api->addr))) {
		r = -errno;
		goto err_socket;
	}
	if (lstat(sock_path, &st)) {
		r = -errno;
		goto err_unlink;
	}
	api->sock_dev = st.st_dev;
	api->sock_ino = st.st_ino;
	if (listen(api->listen_fd, 64)) {
		r = -errno;
		goto err_unlink;
	}
	r = -pthread_create(&api->accept_thread, NULL, api_accept_main, api);
	if (r)
		goto err_unlink;
	*out = api;
	return 0;

err_unlink:
	unlink(sock_path);
err_socket:
	close(api->listen_fd);
err_pipe:
	close(api->stop_pipe[0]);
	close(api->stop_pipe[1]);
err_mutex:
	pthread_mutex_destroy(&api->lock);
err_free:
	free(api);
	return r;
}

void api_stop(struct api *api)
{
	struct stat st;
	ssize_t n;

	if (!api)
		return;
	do
		n = write(api->stop_pipe[1], "x", 1);
	while (n < 0 && errno == EINTR);
	pthread_join(api->accept_thread, NULL);

	/* No new connections from here on; a client connecting now is
	 * refused rather than left waiting. */
	close(api->listen_fd);
	if (!lstat(api->addr.sun_path, &st) && st.st_dev == api->sock_dev &&
	    st.st_ino == api->sock_ino)
		unlink(api->addr.sun_path);

	/* Only the client threads still touch the slots; each sets its own
	 * state, and a slot's thread id was written before it started. */
	for (unsigned i = 0; i < API_MAX_CLIENTS; i++) {
		struct api_client *c = &api->clients[i];
		enum api_slot_state state;

		pthread_mutex_lock(&api->lock);
		state = c->state;
		pthread_mutex_unlock(&api->lock);
		if (state != API_SLOT_FREE)
			pthread_join(c->thread, NULL);
	}
	close(api->stop_pipe[0]);
	close(api->stop_pipe[1]);
	pthread_mutex_destroy(&api->lock);
	free(api);
}
