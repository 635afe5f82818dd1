/* SPDX-License-Identifier: MIT */
/*
 * The control API: a Unix stream socket speaking newline-delimited JSON,
 * through which a person or a program drives the hypervisor (vmm/hv.h).
 *
 * Each request is one JSON object on one line, {"cmd": NAME, ...args};
 * each reply is one JSON object on one line: {"ok": true, ...} or
 * {"ok": false, "error": "what was wrong"}. A client may send any number
 * of requests on one connection; replies come in order. Bad input (not
 * JSON, not an object, an unknown cmd, a missing or mistyped argument, an
 * unknown VM) gets an error reply and the connection stays usable. A line
 * longer than API_MAX_LINE bytes gets an error reply and the connection is
 * closed. The requests are listed in api_requests.c (and README.md).
 *
 * Concurrency: one accept thread, and one thread per connection up to
 * API_MAX_CLIENTS at once; a connection beyond that gets an error reply and
 * is closed. A slow request (a clone of thousands) holds up only its own
 * connection. Every thread also watches a stop pipe, so api_stop() never
 * waits for a client.
 */
#ifndef MEMVISOR_API_API_H
#define MEMVISOR_API_API_H

#include <stddef.h>

struct hv;
struct api;

/* Longest request line, in bytes, without its newline. */
#define API_MAX_LINE (64u << 10)

/* Connections served at once. */
#define API_MAX_CLIENTS 32

/*
 * Serve hv's control API on a Unix stream socket at sock_path, on threads
 * of its own, until api_stop(). A stale socket at sock_path (nobody
 * listening) is replaced; any other existing file is left alone.
 * hv must outlive the api. Returns 0 and sets *out, or -ENAMETOOLONG (the
 * path does not fit in sockaddr_un), -EEXIST (sock_path exists and is not
 * a socket), -EADDRINUSE (a server is listening there), or the negative
 * errno of socket(2), bind(2), listen(2) or pthread_create().
 */
int api_start(struct hv *hv, const char *sock_path, struct api **out);

/*
 * Stop serving: close the listening socket and every connection (a
 * request being handled is finished first), join the threads, unlink the
 * socket and free api. api may be NULL.
 */
void api_stop(struct api *api);

#endif
