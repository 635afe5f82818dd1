/* SPDX-License-Identifier: MIT */
/*
 * The control API's requests (api_requests.c): one table of { name,
 * arguments, handler, help }, and the function that turns one request line
 * into one reply. Private to src/api/; the transport is api.c.
 */
#ifndef MEMVISOR_API_API_REQUESTS_H
#define MEMVISOR_API_API_REQUESTS_H

#include <stddef.h>

#include <jansson.h>

struct hv;

/*
 * Handle one request line on hv. line[0..len) is untrusted client input
 * without its newline: any bytes, not NUL-terminated. Returns the reply
 * object ({"ok": true, ...} or {"ok": false, "error": ...}), owned by the
 * caller; NULL only when memory ran out.
 */
json_t *api_handle(struct hv *hv, const char *line, size_t len);

/* The reply {"ok": false, "error": <formatted>}; NULL when out of memory. */
json_t *api_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
