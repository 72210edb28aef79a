#include "api.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "../common/clock.h"
#include "../common/log.h"

#define API_MAX_REQUEST (64 * 1024)
#define API_MAX_CLIENTS 32
#define API_CLIENT_DEADLINE (5 * VG_USEC_PER_SEC)

struct api_client {
    struct api_server *server;
    struct api_client *prev, *next;
    int fd;
    sd_event_source *io;
    sd_event_source *deadline;
    char in[API_MAX_REQUEST];
    size_t in_len;
    char *out; /* answer being written */
    size_t out_len, out_off;
};

struct api_server {
    sd_event *ev;
    int fd;
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    sd_event_source *io;
    api_handler handler;
    void *userdata;
    int n_clients;
    struct api_client *clients;
};

json_t *api_error(const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return json_pack("{s:s}", "error", msg);
}

static void client_free(struct api_client *c)
{
    sd_event_source_disable_unref(c->io);
    sd_event_source_disable_unref(c->deadline);
    close(c->fd);
    free(c->out);
    if (c->prev)
        c->prev->next = c->next;
    else
        c->server->clients = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->server->n_clients--;
    free(c);
}

/* Parse the request line and produce the answer text. */
static void client_answer(struct api_client *c)
{
    json_error_t jerr;
    json_t *answer = NULL;
    json_t *req = json_loadb(c->in, c->in_len, JSON_REJECT_DUPLICATES, &jerr);

    if (!req) {
        answer = api_error("request is not valid JSON: %s (column %d)", jerr.text, jerr.column);
    } else if (!json_is_object(req) || !json_is_string(json_object_get(req, "command"))) {
        answer = api_error("request must be an object with a string \"command\"");
    } else {
        answer = c->server->handler(json_string_value(json_object_get(req, "command")), req,
                                    c->server->userdata);
        if (!answer)
            answer = api_error("internal error while answering");
    }
    json_decref(req);

    char *text = json_dumps(answer, JSON_COMPACT);
    json_decref(answer);
    if (!text) {
        c->out = strdup("{\"error\":\"out of memory\"}\n");
        c->out_len = c->out ? strlen(c->out) : 0;
        return;
    }
    size_t n = strlen(text);
    c->out = realloc(text, n + 2);
    if (!c->out) {
        free(text);
        return;
    }
    c->out[n] = '\n';
    c->out[n + 1] = '\0';
    c->out_len = n + 1;
}

static int client_write(struct api_client *c)
{
    while (c->out_off < c->out_len) {
        ssize_t n =
            send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN)
                return sd_event_source_set_io_events(c->io, EPOLLOUT);
            return -errno;
        }
        c->out_off += (size_t)n;
    }
    return 1; /* done */
}

static int on_client_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
    struct api_client *c = userdata;

    if (c->out) {
        if (client_write(c) != 0)
            client_free(c);
        return 0;
    }
    for (;;) {
        if (c->in_len >= sizeof(c->in)) {
            log_warn("control socket: request longer than %zu bytes, dropped", sizeof(c->in));
            client_free(c);
            return 0;
        }
        ssize_t n = recv(fd, c->in + c->in_len, sizeof(c->in) - c->in_len, MSG_DONTWAIT);
        if (n < 0 && errno == EAGAIN)
            return 0;
        if (n <= 0) { /* error, or EOF before a full line */
            if (n == 0 && c->in_len > 0)
                break;
            client_free(c);
            return 0;
        }
        char *nl = memchr(c->in + c->in_len, '\n', (size_t)n);
        c->in_len += (size_t)n;
        if (nl) {
            c->in_len = (size_t)(nl - c->in);
            break;
        }
    }
    client_answer(c);
    if (!c->out || client_write(c) != 0)
        client_free(c);
    return 0;
}

static int on_client_deadline(sd_event_source *s, uint64_t usec, void *userdata)
{
    struct api_client *c = userdata;

    log_debug("control socket: client too slow, disconnected");
    client_free(c);
    return 0;
}

static int on_accept(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
    struct api_server *srv = userdata;

    for (;;) {
        int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd < 0) {
            if (errno != EAGAIN && errno != EINTR)
                log_warn("control socket %s: accept: %s", srv->path, strerror(errno));
            return 0;
        }
        if (srv->n_clients >= API_MAX_CLIENTS) {
            log_warn("control socket %s: more than %d clients at once, refusing one", srv->path,
                     API_MAX_CLIENTS);
            close(cfd);
            continue;
        }
        struct api_client *c = calloc(1, sizeof(*c));
        if (!c) {
            close(cfd);
            continue;
        }
        c->server = srv;
        c->fd = cfd;
        c->next = srv->clients;
        if (srv->clients)
            srv->clients->prev = c;
        srv->clients = c;
        srv->n_clients++;
        if (sd_event_add_io(srv->ev, &c->io, cfd, EPOLLIN, on_client_io, c) < 0 ||
            sd_event_add_time_relative(srv->ev, &c->deadline, CLOCK_MONOTONIC, API_CLIENT_DEADLINE,
                                       0, on_client_deadline, c) < 0) {
            client_free(c);
            continue;
        }
    }
}

/* True when a live daemon already answers on this socket path. */
static bool socket_in_use(const struct sockaddr_un *sa)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    bool used = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0;
    close(fd);
    return used;
}

static int make_parent_dir(const char *path)
{
    char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];

    snprintf(dir, sizeof(dir), "%s", path);
    char *d = dirname(dir);
    if (mkdir(d, 0755) < 0 && errno != EEXIST)
        return -errno;
    return 0;
}

int api_server_open(struct api_server **out, sd_event *ev, const char *path, api_handler handler,
                    void *userdata)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int r;

    if (strlen(path) >= sizeof(sa.sun_path)) {
        log_err("control socket path %s is too long (at most %zu bytes)", path,
                sizeof(sa.sun_path) - 1);
        return -ENAMETOOLONG;
    }
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    if ((r = make_parent_dir(path)) < 0) {
        log_err("control socket %s: cannot create its directory: %s", path, strerror(-r));
        return r;
    }
    if (socket_in_use(&sa)) {
        log_err("control socket %s: another vigild answers there; stop it or use --socket PATH",
                path);
        return -EADDRINUSE;
    }
    unlink(path);

    struct api_server *srv = calloc(1, sizeof(*srv));
    if (!srv)
        return -ENOMEM;
    srv->ev = ev;
    srv->handler = handler;
    srv->userdata = userdata;
    snprintf(srv->path, sizeof(srv->path), "%s", path);
    srv->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (srv->fd < 0) {
        r = -errno;
        free(srv);
        return r;
    }
    mode_t old = umask(0077);
    r = bind(srv->fd, (struct sockaddr *)&sa, sizeof(sa));
    umask(old);
    if (r < 0 || listen(srv->fd, 16) < 0) {
        r = -errno;
        log_err("control socket %s: cannot listen: %s", path, strerror(-r));
        close(srv->fd);
        free(srv);
        return r;
    }
    r = sd_event_add_io(ev, &srv->io, srv->fd, EPOLLIN, on_accept, srv);
    if (r < 0) {
        close(srv->fd);
        unlink(path);
        free(srv);
        return r;
    }
    *out = srv;
    return 0;
}

void api_server_close(struct api_server *s)
{
    if (!s)
        return;
    while (s->clients)
        client_free(s->clients);
    sd_event_source_disable_unref(s->io);
    close(s->fd);
    unlink(s->path);
    free(s);
}
