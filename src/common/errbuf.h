/* Error messages for callers: the pure parsers and loaders write one
 * sentence into a caller's buffer (err, errlen) and return an errno. */
#ifndef VIGIL_ERRBUF_H
#define VIGIL_ERRBUF_H

#include <stddef.h>

/* Write one message into err (nothing when err is NULL or errlen 0). */
void errbuf_set(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The same, returning rc: `return errbuf_fail(err, errlen, -EINVAL, "...")`. */
int errbuf_fail(char *err, size_t errlen, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
