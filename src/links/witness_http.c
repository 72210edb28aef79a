#include "witness_http.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"

#define WITNESS_MAX_ANSWER (256 * 1024)
#define WITNESS_MAX_SOCKETS 8

struct watched_socket {
    curl_socket_t fd;
    sd_event_source *io;
};

struct witness_http {
    sd_event *ev;
    CURLM *multi;
    CURL *easy;
    struct curl_slist *headers;
    sd_event_source *timer;
    struct watched_socket socks[WITNESS_MAX_SOCKETS];
    char url[VIGIL_PATH_MAX];
    char request_url[VIGIL_PATH_MAX];
    char *body; /* request body, kept until the request ends */
    char *answer;
    size_t answer_len;
    bool overflow;
    bool busy;
    int priority;
    vg_usec_t timeout;
    witness_http_done done;
    void *userdata;
};

static size_t on_write(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct witness_http *w = userdata;
    size_t n = size * nmemb;

    if (w->answer_len + n > WITNESS_MAX_ANSWER) {
        w->overflow = true;
        return 0; /* aborts the transfer */
    }
    char *grown = realloc(w->answer, w->answer_len + n + 1);
    if (!grown)
        return 0;
    w->answer = grown;
    memcpy(w->answer + w->answer_len, data, n);
    w->answer_len += n;
    w->answer[w->answer_len] = '\0';
    return n;
}

/* Collect finished transfers and report them. */
static void check_done(struct witness_http *w)
{
    CURLMsg *msg;
    int left;

    while ((msg = curl_multi_info_read(w->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        CURLcode rc = msg->data.result;
        long status = 0;
        char errtext[256];

        curl_easy_getinfo(w->easy, CURLINFO_RESPONSE_CODE, &status);
        curl_multi_remove_handle(w->multi, w->easy);
        w->busy = false;
        free(w->body);
        w->body = NULL;
        if (rc != CURLE_OK) {
            snprintf(errtext, sizeof(errtext), "%s",
                     w->overflow ? "answer too large" : curl_easy_strerror(rc));
            w->done(w, 0, NULL, 0, -EIO, errtext, w->userdata);
        } else {
            w->done(w, status, w->answer ? w->answer : "", w->answer_len, 0, NULL, w->userdata);
        }
        free(w->answer);
        w->answer = NULL;
        w->answer_len = 0;
        w->overflow = false;
    }
}

static int on_socket_event(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
    struct witness_http *w = userdata;
    int running, action = 0;

    if (revents & EPOLLIN)
        action |= CURL_CSELECT_IN;
    if (revents & EPOLLOUT)
        action |= CURL_CSELECT_OUT;
    if (revents & (EPOLLERR | EPOLLHUP))
        action |= CURL_CSELECT_ERR;
    curl_multi_socket_action(w->multi, fd, action, &running);
    check_done(w);
    return 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
    struct witness_http *w = userdata;
    int running;

    curl_multi_socket_action(w->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(w);
    return 0;
}

static struct watched_socket *find_socket(struct witness_http *w, curl_socket_t fd)
{
    for (int i = 0; i < WITNESS_MAX_SOCKETS; i++)
        if (w->socks[i].io && w->socks[i].fd == fd)
            return &w->socks[i];
    return NULL;
}

/* libcurl tells which sockets to watch for what. */
static int on_curl_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    struct witness_http *w = userp;
    struct watched_socket *ws = find_socket(w, fd);

    if (what == CURL_POLL_REMOVE) {
        if (ws) {
            ws->io = sd_event_source_disable_unref(ws->io);
            ws->fd = -1;
        }
        return 0;
    }
    uint32_t events = 0;
    if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
        events |= EPOLLIN;
    if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
        events |= EPOLLOUT;
    if (ws)
        return sd_event_source_set_io_events(ws->io, events) < 0 ? -1 : 0;
    for (int i = 0; i < WITNESS_MAX_SOCKETS; i++) {
        if (w->socks[i].io)
            continue;
        if (sd_event_add_io(w->ev, &w->socks[i].io, fd, events, on_socket_event, w) < 0)
            return -1;
        sd_event_source_set_priority(w->socks[i].io, w->priority);
        w->socks[i].fd = fd;
        return 0;
    }
    log_err("witness client: more than %d sockets at once", WITNESS_MAX_SOCKETS);
    return -1;
}

static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
    struct witness_http *w = userp;

    if (timeout_ms < 0)
        return sd_event_source_set_enabled(w->timer, SD_EVENT_OFF) < 0 ? -1 : 0;
    sd_event_source_set_time(w->timer, clock_now() + (vg_usec_t)timeout_ms * VG_USEC_PER_MSEC);
    return sd_event_source_set_enabled(w->timer, SD_EVENT_ONESHOT) < 0 ? -1 : 0;
}

int witness_http_new(struct witness_http **out, sd_event *ev, const struct witness_http_opts *o,
                     witness_http_done done, void *userdata)
{
    char auth[512];
    struct witness_http *w = calloc(1, sizeof(*w));
    int r;

    if (!w)
        return -ENOMEM;
    w->ev = ev;
    w->done = done;
    w->userdata = userdata;
    w->priority = o->priority;
    w->timeout = o->timeout;
    snprintf(w->url, sizeof(w->url), "%s", o->url);
    /* strip a trailing slash so that url + "/v1/..." is well formed */
    size_t n = strlen(w->url);
    if (n > 0 && w->url[n - 1] == '/')
        w->url[n - 1] = '\0';

    w->multi = curl_multi_init();
    w->easy = curl_easy_init();
    if (!w->multi || !w->easy) {
        witness_http_free(w);
        return -ENOMEM;
    }
    if (o->token) {
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", o->token);
        w->headers = curl_slist_append(NULL, auth);
    }
    w->headers = curl_slist_append(w->headers, "Content-Type: application/json");
    w->headers = curl_slist_append(w->headers, "Expect:");

    curl_multi_setopt(w->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
    curl_multi_setopt(w->multi, CURLMOPT_SOCKETDATA, w);
    curl_multi_setopt(w->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
    curl_multi_setopt(w->multi, CURLMOPT_TIMERDATA, w);
    curl_multi_setopt(w->multi, CURLMOPT_MAXCONNECTS, 1L);

    curl_easy_setopt(w->easy, CURLOPT_HTTPHEADER, w->headers);
    curl_easy_setopt(w->easy, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(w->easy, CURLOPT_WRITEDATA, w);
    curl_easy_setopt(w->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(w->easy, CURLOPT_TIMEOUT_MS, (long)(o->timeout / VG_USEC_PER_MSEC));
    curl_easy_setopt(w->easy, CURLOPT_CONNECTTIMEOUT_MS, (long)(o->timeout / VG_USEC_PER_MSEC));
    curl_easy_setopt(w->easy, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(w->easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(w->easy, CURLOPT_FOLLOWLOCATION, 0L);
    /* Only the proxy we are told about: never one from the environment. */
    curl_easy_setopt(w->easy, CURLOPT_PROXY, o->proxy ? o->proxy : "");
    if (o->proxy && strncmp(w->url, "https:", 6) == 0)
        curl_easy_setopt(w->easy, CURLOPT_HTTPPROXYTUNNEL, 1L);
    if (o->ca_file)
        curl_easy_setopt(w->easy, CURLOPT_CAINFO, o->ca_file);

    r = sd_event_add_time(ev, &w->timer, CLOCK_MONOTONIC, VG_USEC_INFINITY, 1000, on_timer, w);
    if (r < 0) {
        witness_http_free(w);
        return r;
    }
    sd_event_source_set_priority(w->timer, w->priority);
    sd_event_source_set_enabled(w->timer, SD_EVENT_OFF);
    *out = w;
    return 0;
}

bool witness_http_busy(const struct witness_http *w)
{
    return w->busy;
}

int witness_http_post(struct witness_http *w, const char *path, const char *body)
{
    if (w->busy)
        return -EBUSY;
    snprintf(w->request_url, sizeof(w->request_url), "%s%s", w->url, path);
    free(w->body);
    w->body = strdup(body);
    if (!w->body)
        return -ENOMEM;
    curl_easy_setopt(w->easy, CURLOPT_URL, w->request_url);
    curl_easy_setopt(w->easy, CURLOPT_POST, 1L);
    curl_easy_setopt(w->easy, CURLOPT_POSTFIELDS, w->body);
    curl_easy_setopt(w->easy, CURLOPT_POSTFIELDSIZE, (long)strlen(w->body));
    if (curl_multi_add_handle(w->multi, w->easy) != CURLM_OK)
        return -EIO;
    w->busy = true;
    return 0;
}

int witness_http_get(struct witness_http *w, const char *path)
{
    if (w->busy)
        return -EBUSY;
    snprintf(w->request_url, sizeof(w->request_url), "%s%s", w->url, path);
    curl_easy_setopt(w->easy, CURLOPT_URL, w->request_url);
    curl_easy_setopt(w->easy, CURLOPT_HTTPGET, 1L);
    if (curl_multi_add_handle(w->multi, w->easy) != CURLM_OK)
        return -EIO;
    w->busy = true;
    return 0;
}

void witness_http_free(struct witness_http *w)
{
    if (!w)
        return;
    if (w->busy)
        curl_multi_remove_handle(w->multi, w->easy);
    for (int i = 0; i < WITNESS_MAX_SOCKETS; i++)
        w->socks[i].io = sd_event_source_disable_unref(w->socks[i].io);
    sd_event_source_disable_unref(w->timer);
    if (w->easy)
        curl_easy_cleanup(w->easy);
    if (w->multi)
        curl_multi_cleanup(w->multi);
    curl_slist_free_all(w->headers);
    free(w->body);
    free(w->answer);
    free(w);
}
