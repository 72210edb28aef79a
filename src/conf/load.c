/* conf_load(): the only part of src/conf that touches the file system. */
#include "conf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int load_err(struct conf_diag *diag, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* One message in *diag (which may be NULL); returns -err. */
static int load_err(struct conf_diag *diag, int err, const char *fmt, ...)
{
    va_list ap;

    if (diag) {
        memset(diag, 0, sizeof(*diag));
        va_start(ap, fmt);
        vsnprintf(diag->msg[0], sizeof(diag->msg[0]), fmt, ap);
        va_end(ap);
        diag->n = 1;
    }
    return -err;
}

/* Reads at most CONF_FILE_MAX bytes of a regular file into a new buffer.
 * O_NONBLOCK keeps open() from hanging on a FIFO, which fstat() then refuses. */
static int read_file(const char *path, char **text, size_t *len, struct conf_diag *diag)
{
    struct stat st;
    size_t cap, n = 0;
    char *buf;
    int fd, err;

    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return load_err(diag, errno, "%s: cannot open: %s", path, strerror(errno));
    if (fstat(fd, &st) < 0) {
        err = errno;
        close(fd);
        return load_err(diag, err, "%s: cannot stat: %s", path, strerror(err));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return load_err(diag, EINVAL, "%s: not a regular file", path);
    }
    if (st.st_size > CONF_FILE_MAX) {
        close(fd);
        return load_err(diag, EFBIG, "%s: too large (%lld bytes): at most %d bytes", path,
                        (long long)st.st_size, CONF_FILE_MAX);
    }
    cap = (size_t)st.st_size + 1; /* +1 to see a file that grew since fstat() */
    buf = malloc(cap);
    if (!buf) {
        close(fd);
        return load_err(diag, ENOMEM, "%s: out of memory", path);
    }
    for (;;) {
        ssize_t r = read(fd, buf + n, cap - n);

        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            err = errno;
            free(buf);
            close(fd);
            return load_err(diag, err, "%s: cannot read: %s", path, strerror(err));
        }
        if (r == 0)
            break;
        n += (size_t)r;
        if (n == cap) {
            char *bigger;

            if (cap > CONF_FILE_MAX) {
                free(buf);
                close(fd);
                return load_err(diag, EFBIG, "%s: too large: at most %d bytes", path,
                                CONF_FILE_MAX);
            }
            cap = cap * 2 > (size_t)CONF_FILE_MAX + 1 ? (size_t)CONF_FILE_MAX + 1 : cap * 2;
            bigger = realloc(buf, cap);
            if (!bigger) {
                free(buf);
                close(fd);
                return load_err(diag, ENOMEM, "%s: out of memory", path);
            }
            buf = bigger;
        }
    }
    close(fd);
    *text = buf;
    *len = n;
    return 0;
}

int conf_load(const char *path, struct conf *out, struct conf_diag *diag)
{
    char *text = NULL;
    size_t len = 0;
    int r;

    if (!path || !out)
        return -EINVAL;
    memset(out, 0, sizeof(*out));
    r = read_file(path, &text, &len, diag);
    if (r < 0)
        return r;
    r = conf_parse_text(text, len, path, out, diag);
    free(text);
    return r;
}
