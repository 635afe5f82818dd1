/* SPDX-License-Identifier: MIT */
/*
 * A VM's console: what the guest writes through the SBI console calls, and
 * what it reads back.
 *
 * Output goes to a sink: a file descriptor (stdout by default; every write
 * goes straight to write(2), nothing is buffered), or a bounded in-memory
 * capture that keeps the newest bytes (for tests, and for clones whose
 * console nobody watches). Sinks are an ops table, so more can be added.
 *
 * Input is a bounded byte queue: the control API pushes bytes in, the
 * guest's getchar takes them out and never blocks. An optional pump thread
 * copies a file descriptor (stdin) into the queue until EOF.
 *
 * All functions are safe to call from any thread, except console_destroy(),
 * which must be the last call.
 */
#ifndef MEMVISOR_DEV_CONSOLE_H
#define MEMVISOR_DEV_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

/* Input queue capacity when console_create() is given 0. */
#define CONSOLE_INPUT_DEFAULT 4096

struct console;

/*
 * Create a console whose output goes to STDOUT_FILENO and whose input queue
 * holds up to input_cap bytes (0: CONSOLE_INPUT_DEFAULT). Returns 0 and
 * sets *out (owned by the caller, released with console_destroy()), or
 * -ENOMEM.
 */
int console_create(size_t input_cap, struct console **out);

/*
 * Stop the input pump if one runs (joining its thread), and free con and
 * its sink. An fd given to console_set_output_fd() or console_attach_fd()
 * stays open: it belongs to the caller. con may be NULL.
 */
void console_destroy(struct console *con);

/*
 * Send output to fd from now on (the caller keeps owning fd and must keep
 * it open while con uses it). A previous capture buffer is freed.
 * Returns 0, or -EBADF when fd is negative, -ENOMEM.
 */
int console_set_output_fd(struct console *con, int fd);

/*
 * Capture output in memory from now on, keeping the newest cap bytes
 * (older ones are dropped and counted). Returns 0, -EINVAL when cap is 0,
 * or -ENOMEM (the sink is then unchanged).
 */
int console_capture(struct console *con, size_t cap);

/*
 * Copy the captured output, oldest byte first, into buf (up to len bytes).
 * Returns the number of bytes captured (which may exceed len: only len are
 * copied), or -ENODEV when output is not being captured. *dropped, if not
 * NULL, is set to the number of bytes lost to the capture's bound.
 */
long console_captured(struct console *con, void *buf, size_t len,
		      uint64_t *dropped);

/*
 * Write len bytes of guest output to the sink, all or an error (an fd
 * write is retried until done). Returns 0 or the negative errno of
 * write(2) (e.g. -EPIPE when nobody reads any more).
 */
int console_write(struct console *con, const void *buf, size_t len);

/* Write one byte of guest output; as console_write(). */
int console_putc(struct console *con, uint8_t c);

/*
 * Append up to len bytes to the input queue. Returns the number of bytes
 * queued: fewer than len (possibly 0) when the queue is full, and the rest
 * is not queued (the caller may retry later).
 */
size_t console_push_input(struct console *con, const void *buf, size_t len);

/* Take the oldest input byte: 0..255, or -1 when the queue is empty. */
int console_getc(struct console *con);

/* Told that input was queued (it may be taken by someone else already). */
typedef void (*console_input_fn)(void *arg);

/*
 * Call fn(arg) after each push of input (console_push_input(), the pump),
 * on the pushing thread, with none of con's locks held but the one that
 * serialises these calls: a serial port raises its receive interrupt this
 * way, so waiting input costs nothing until it comes. fn NULL: nobody.
 * Once this returns, the previous fn is not running and will not be called.
 * fn must not call console_set_input_notify() on con.
 */
void console_set_input_notify(struct console *con, console_input_fn fn,
			      void *arg);

/* Number of bytes waiting in the input queue. */
size_t console_input_pending(struct console *con);

/*
 * Start a thread that reads fd into the input queue until EOF or an error
 * (waiting for room when the queue is full, never dropping input).
 * console_destroy() stops and joins it even while it waits for input.
 * The caller keeps owning fd. One pump per console: returns 0, -EBUSY when
 * a pump was attached before (even if it has reached EOF), or a negative
 * errno when the thread cannot be started.
 */
int console_attach_fd(struct console *con, int fd);

/* console_attach_fd(con, STDIN_FILENO). */
int console_attach_stdin(struct console *con);

#endif
