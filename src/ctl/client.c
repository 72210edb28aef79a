/* The client side of vigild's control socket (docs/status-json.md): one JSON
 * request line out, one JSON object back, then EOF. Every step is bounded by
 * one deadline, so vigilctl never hangs on a stuck daemon. */
#include "ctl.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../common/clock.h"
#include "../common/errbuf.h"

/* Wait until fd is ready for `events` or the deadline passes: 0, -ETIMEDOUT
 * or -errno. */
static int wait_fd(int fd, short events, vg_usec_t deadline)
{
    for (;;) {
        vg_usec_t now = clock_now();
        struct pollfd p = {.fd = fd, .events = events};
        int ms, n;

        if (now >= deadline)
            return -ETIMEDOUT;
        ms = (int)((deadline - now + VG_USEC_PER_MSEC - 1) / VG_USEC_PER_MSEC);
        n = poll(&p, 1, ms);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (n > 0)
            return 0; /* ready, or POLLERR/POLLHUP: the next call says which */
    }
}

/* Connect a non-blocking UNIX stream socket. A full listen backlog gives
 * EAGAIN on Linux rather than EINPROGRESS: retry then, until the deadline. */
static int connect_unix(int fd, const struct sockaddr_un *sa, vg_usec_t deadline)
{
    for (;;) {
        if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0)
            return 0;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN) {
            if (clock_now() >= deadline)
                return -ETIMEDOUT;
            (void)poll(NULL, 0, 10);
            continue;
        }
        if (errno == EINPROGRESS) {
            int soerr = 0, r;
            socklen_t sl = sizeof(soerr);

            r = wait_fd(fd, POLLOUT, deadline);
            if (r < 0)
                return r;
            if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
                return -errno;
            return -soerr;
        }
        return -errno;
    }
}

static int send_all(int fd, const char *p, size_t len, vg_usec_t deadline)
{
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0) {
            int r;
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN)
                return -errno;
            r = wait_fd(fd, POLLOUT, deadline);
            if (r < 0)
                return r;
            continue;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Read until EOF into a growing buffer of at most CTL_REPLY_MAX bytes; the
 * buffer is NUL-terminated for messages. */
static int recv_all(int fd, char **out, size_t *out_len, vg_usec_t deadline)
{
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    int r;

    if (!buf)
        return -ENOMEM;
    for (;;) {
        ssize_t n;

        if (cap - len < 2) {
            size_t ncap = cap * 2;
            char *nbuf;
            if (ncap > CTL_REPLY_MAX + 2)
                ncap = CTL_REPLY_MAX + 2;
            if (ncap <= cap) {
                r = -EMSGSIZE;
                goto fail;
            }
            nbuf = realloc(buf, ncap);
            if (!nbuf) {
                r = -ENOMEM;
                goto fail;
            }
            buf = nbuf;
            cap = ncap;
        }
        n = recv(fd, buf + len, cap - len - 1, 0);
        if (n > 0) {
            len += (size_t)n;
            if (len > CTL_REPLY_MAX) {
                r = -EMSGSIZE;
                goto fail;
            }
            continue;
        }
        if (n == 0)
            break;
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN) {
            r = -errno;
            goto fail;
        }
        r = wait_fd(fd, POLLIN, deadline);
        if (r < 0)
            goto fail;
    }
    buf[len] = '\0';
    *out = buf;
    *out_len = len;
    return 0;
fail:
    free(buf);
    return r;
}

/* One request, one raw reply. Each failure gets its sentence here, where the
 * step and the path are known. */
static int exchange(const char *path, const char *request, char **reply, size_t *reply_len,
                    char *err, size_t errlen)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    vg_usec_t deadline = clock_now() + (vg_usec_t)CTL_TIMEOUT_MS * VG_USEC_PER_MSEC;
    int fd, r;

    if (strlen(path) >= sizeof(sa.sun_path)) {
        errbuf_set(err, errlen, "cannot connect to vigild at %s: socket path longer than %zu bytes",
                   path, sizeof(sa.sun_path) - 1);
        return -ENAMETOOLONG;
    }
    memcpy(sa.sun_path, path, strlen(path) + 1);

    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        r = -errno;
        errbuf_set(err, errlen, "cannot create a socket: %s", strerror(-r));
        return r;
    }
    r = connect_unix(fd, &sa, deadline);
    if (r == -ENOENT || r == -ECONNREFUSED) {
        errbuf_set(err, errlen,
                   "cannot connect to vigild at %s: %s; is vigild running? (use --socket PATH or "
                   "%s)",
                   path, strerror(-r), CTL_SOCKET_ENV);
        goto out;
    } else if (r == -EACCES || r == -EPERM) {
        errbuf_set(err, errlen, "cannot connect to vigild at %s: %s; the socket is for root only",
                   path, strerror(-r));
        goto out;
    } else if (r == -ETIMEDOUT) {
        errbuf_set(err, errlen, "cannot connect to vigild at %s: no answer within %d s", path,
                   CTL_TIMEOUT_MS / 1000);
        goto out;
    } else if (r < 0) {
        errbuf_set(err, errlen, "cannot connect to vigild at %s: %s", path, strerror(-r));
        goto out;
    }

    r = send_all(fd, request, strlen(request), deadline);
    if (r == -ETIMEDOUT) {
        errbuf_set(err, errlen, "vigild at %s did not take the request within %d s", path,
                   CTL_TIMEOUT_MS / 1000);
        goto out;
    } else if (r < 0) {
        errbuf_set(err, errlen, "cannot send the request to vigild at %s: %s", path, strerror(-r));
        goto out;
    }
    /* No shutdown(SHUT_WR) here: a daemon may take an early EOF for a client
     * that went away and drop the reply. */
    r = recv_all(fd, reply, reply_len, deadline);
    if (r == -ETIMEDOUT)
        errbuf_set(err, errlen, "vigild at %s did not answer within %d s", path,
                   CTL_TIMEOUT_MS / 1000);
    else if (r == -EMSGSIZE)
        errbuf_set(err, errlen, "the reply of vigild at %s is larger than %u MiB; giving up", path,
                   CTL_REPLY_MAX >> 20);
    else if (r < 0)
        errbuf_set(err, errlen, "cannot read the reply of vigild at %s: %s", path, strerror(-r));
out:
    close(fd);
    return r;
}

int ctl_call(const char *socket_path, const char *command, json_t **reply, char *err, size_t errlen)
{
    json_t *req = json_pack("{s:s}", "command", command);
    int r = ctl_call_request(socket_path, req, reply, err, errlen);

    json_decref(req);
    return r;
}

int ctl_call_request(const char *socket_path, json_t *req, json_t **reply, char *err, size_t errlen)
{
    json_t *obj, *e;
    json_error_t jerr;
    char *text = NULL, *line = NULL, *raw = NULL;
    size_t raw_len = 0;
    const char *command = json_string_value(json_object_get(req, "command"));
    int r;

    *reply = NULL;
    if (!command)
        command = "?";
    if (req)
        text = json_dumps(req, JSON_COMPACT);
    if (!text || asprintf(&line, "%s\n", text) < 0) {
        free(text);
        errbuf_set(err, errlen, "out of memory");
        return -ENOMEM;
    }
    free(text);

    r = exchange(socket_path, line, &raw, &raw_len, err, errlen);
    free(line);
    if (r < 0)
        return r;

    if (raw_len == 0 || strspn(raw, " \t\r\n") == raw_len) {
        errbuf_set(err, errlen, "vigild at %s closed the connection without a reply", socket_path);
        r = -EPROTO;
        goto out;
    }
    obj = json_loadb(raw, raw_len, 0, &jerr);
    if (!obj) {
        errbuf_set(err, errlen,
                   "vigild at %s sent a reply that is not valid JSON (line %d, column %d: %s); "
                   "is this vigild's control socket?",
                   socket_path, jerr.line, jerr.column, jerr.text);
        r = -EPROTO;
        goto out;
    }
    if (!json_is_object(obj)) {
        errbuf_set(
            err, errlen,
            "vigild at %s sent a reply that is not a JSON object; is this vigild's control socket?",
            socket_path);
        json_decref(obj);
        r = -EPROTO;
        goto out;
    }
    e = json_object_get(obj, "error");
    if (e) {
        if (json_is_string(e))
            errbuf_set(err, errlen, "vigild refused '%s': %s", command, json_string_value(e));
        else
            errbuf_set(err, errlen, "vigild refused '%s' (its error has no message)", command);
        json_decref(obj);
        r = -EREMOTEIO;
        goto out;
    }
    *reply = obj;
    r = 0;
out:
    free(raw);
    return r;
}
