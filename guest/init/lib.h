/*
 * lib.h — what the init programs share: console output in whole lines,
 * numbers, the environment (the kernel passes unknown command-line
 * parameters of the form name=value to init as environment variables).
 * Built with nolibc (guest/guest.mk); everything is static inline, so a
 * program pays only for what it uses.
 */
#ifndef GUEST_INIT_LIB_H
#define GUEST_INIT_LIB_H

/* A line is built here and written with one write() once it ends, so the
 * console's echo of incoming input cannot split it. */
static char out_line[160];
static unsigned long out_len;

static inline void out(const char *s)
{
	while (*s && out_len < sizeof(out_line) - 1)
		out_line[out_len++] = *s++;
	if (out_len && out_line[out_len - 1] == '\n') {
		write(1, out_line, out_len);
		out_len = 0;
	}
}

static inline void out_num(unsigned long v)
{
	char d[24], s[24];
	int n = 0, i = 0;

	do {
		d[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		s[i++] = d[--n];
	s[i] = 0;
	out(s);
}

/* The decimal number at *p (after spaces); *p moves past it. */
static inline unsigned long parse_num(const char **p)
{
	unsigned long v = 0;

	while (**p == ' ')
		(*p)++;
	while (**p >= '0' && **p <= '9')
		v = v * 10 + (unsigned long)(*(*p)++ - '0');
	return v;
}

/* The value of NAME=value in envp, or NULL. */
static inline const char *env_get(char **envp, const char *name)
{
	unsigned long n = strlen(name);

	for (; envp && *envp; envp++)
		if (!strncmp(*envp, name, n) && (*envp)[n] == '=')
			return *envp + n + 1;
	return NULL;
}

/* Read the console forever, calling serve on each non-empty line. */
static inline void __attribute__((noreturn))
serve_console(void (*serve)(const char *line))
{
	char line[128];
	unsigned long len = 0;

	for (;;) {
		char c;

		if (read(0, &c, 1) <= 0)
			continue;
		if (c == '\r' || c == '\n') {
			line[len] = 0;
			if (len)
				serve(line);
			len = 0;
		} else if (len < sizeof(line) - 1) {
			line[len++] = c;
		}
	}
}

#endif
