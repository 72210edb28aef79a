/* Witness links in the daemon: every interval, tell the witness this node is
 * alive (with what it sees) and take from the answer how long ago the
 * witness heard from each peer. A peer is up on the witness link while that
 * age is within the link's timeout. When the witness does not answer, this
 * node's side of the link is down and the log says so: the witness is
 * unreachable, not the peers. */
#include "daemon.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/keyfile.h"
#include "../common/log.h"

#define PRIO_WITNESS (PRIO_HEARTBEAT + 10)

static int link_of_http(const struct daemon *d, const struct witness_http *w)
{
    for (int l = 0; l < d->conf.n_links; l++)
        if (d->witness[l] == w)
            return l;
    return -1;
}

static int link_of_timer(const struct daemon *d, const sd_event_source *s)
{
    for (int l = 0; l < d->conf.n_links; l++)
        if (d->witness_timer[l] == s)
            return l;
    return -1;
}

/* {"beta": ["lan1", "shared"], ...}: on which links this node sees whom. */
static char *sees_json(const struct daemon *d)
{
    json_t *o = json_object();

    for (int i = 0; i < d->conf.n_nodes; i++) {
        if (i == d->self)
            continue;
        json_t *on = json_array();
        for (int l = 0; l < d->conf.n_links; l++)
            if (d->peers[i].links[l].up)
                json_array_append_new(on, json_string(d->conf.links[l].name));
        json_object_set_new(o, d->conf.nodes[i].name, on);
    }
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return text;
}

static void on_arbitration(struct witness_http *w, long status, const char *body, size_t len,
                           int err, const char *errtext, void *userdata)
{
    membership_on_arbitration(userdata, status, body, len, err, errtext);
}

/* Whether node i's report in the answer reached the witness after node i
 * left the view, and so holds its state from after it: the witness got it
 * age_ms before it answered, and answered after this node sent its
 * request; node i built it at most its own timeout_ms (its HTTP timeout)
 * before. One more millisecond for the witness's rounding down. Values
 * from the answer are bounded before any arithmetic. */
static bool fresh_report(const struct daemon *d, int l, int i, const struct witness_seen_node *n)
{
    const struct sc_node *sc = &d->groups.sc[i];
    uint64_t sent_ms = d->witness_sent[l] / VG_USEC_PER_MSEC;

    if (!sc->left || !n->timeout_ms || n->age_ms >= sent_ms || n->timeout_ms >= sent_ms)
        return false;
    uint64_t back_ms = n->age_ms + n->timeout_ms + 1;
    return back_ms < sent_ms && (sent_ms - back_ms) * VG_USEC_PER_MSEC > sc->left_at;
}

/* Node i's group reports in the witness's answer. */
static void take_reports(struct daemon *d, int l, int i, const struct witness_seen_node *n)
{
    char via[VIGIL_NAME_MAX + 32], *end;
    uint64_t inc;

    if (!n->groups.n || !n->incarnation[0])
        return;
    inc = strtoull(n->incarnation, &end, 16);
    if (*end)
        return;
    snprintf(via, sizeof(via), "the witness (link %s)", d->conf.links[l].name);
    groups_on_report(d, i, inc, &n->groups, fresh_report(d, l, i, n), via);
}

static void take_answer(struct daemon *d, int l, const char *body, size_t len, vg_usec_t now)
{
    struct witness_answer *ans = &d->witness_answer;
    struct peer_change chg;
    char err[256], why[512];

    if (witness_alive_answer_parse(body, len, d->conf.cluster_name, ans, err, sizeof(err)) < 0) {
        snprintf(why, sizeof(why), "witness %s gave an answer this node cannot use: %s",
                 d->conf.links[l].url, err);
        link_set_local(d, l, false, why);
        return;
    }
    snprintf(why, sizeof(why), "witness %s answers", d->conf.links[l].url);
    link_set_local(d, l, true, why);
    for (int k = 0; k < ans->n; k++) {
        const struct conf_node *n = conf_node_by_name(&d->conf, ans->nodes[k].name);
        if (!n)
            continue; /* a node the witness knows and this configuration not (yet) */
        int i = (int)(n - d->conf.nodes);
        if (i == d->self)
            continue;
        d->witness_stood_down[i] = strcmp(ans->nodes[k].state, "stood-down") == 0;
        take_reports(d, l, i, &ans->nodes[k]);
        vg_usec_t age = ans->nodes[k].age_ms * VG_USEC_PER_MSEC;
        if (age >= now)
            continue;
        peer_on_evidence(&d->peers[i], l, now - age, now, &d->timing, &chg);
        peer_report(d, i, &chg);
    }
    heartbeat_rearm(d);
}

static void on_answer(struct witness_http *w, long status, const char *body, size_t len, int err,
                      const char *errtext, void *userdata)
{
    struct daemon *d = userdata;
    int l = link_of_http(d, w);
    char why[512];

    if (l < 0)
        return;
    if (err) {
        snprintf(why, sizeof(why), "witness %s unreachable: %s", d->conf.links[l].url, errtext);
        link_set_local(d, l, false, why);
        return;
    }
    if (status != 200) {
        snprintf(why, sizeof(why), "witness %s answered HTTP %ld: %.300s", d->conf.links[l].url,
                 status, body);
        link_set_local(d, l, false, why);
        return;
    }
    take_answer(d, l, body, len, clock_now());
}

static int on_witness_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
    struct daemon *d = userdata;
    int l = link_of_timer(d, s);
    const struct conf_link *cl;

    if (l < 0)
        return 0;
    cl = &d->conf.links[l];
    sd_event_source_set_time(s, usec + cl->interval);
    sd_event_source_set_enabled(s, SD_EVENT_ON);
    if (witness_http_busy(d->witness[l]))
        return 0; /* the last one is still under way: no pile-up */

    char *sees = sees_json(d);
    struct group_reports groups;
    groups_collect(d, &groups);
    char *body = witness_alive_body(d->conf.cluster_name, d->conf.nodes[d->self].name,
                                    d->incarnation, cl->timeout / VG_USEC_PER_MSEC,
                                    d->stood_down ? "stood-down" : "running", sees, &groups);
    d->witness_sent[l] = clock_now();
    if (body && witness_http_post(d->witness[l], "/v1/alive", body) < 0)
        log_warn("witness link %s: cannot start a request", cl->name);
    free(body);
    free(sees);
    return 0;
}

/* The token: the first line of a private file (same file as the witness's). */
static int read_token(const struct conf_link *cl, char *tok, size_t size)
{
    char buf[1024], err[512];
    size_t len;

    if (keyfile_read_private(cl->token_file, "witness token file", buf, sizeof(buf) - 1, &len, err,
                             sizeof(err)) < 0) {
        log_err("witness link %s: %s", cl->name, err);
        return -EPERM;
    }
    buf[len] = '\0';
    buf[strcspn(buf, "\r\n")] = '\0';
    if (!buf[0]) {
        log_err("witness link %s: token file %s is empty; put the witness's token on its first "
                "line",
                cl->name, cl->token_file);
        return -EINVAL;
    }
    snprintf(tok, size, "%s", buf);
    return 0;
}

int witnesslink_start(struct daemon *d)
{
    int r;

    for (int l = 0; l < d->conf.n_links; l++) {
        const struct conf_link *cl = &d->conf.links[l];
        char token[1024];
        if (cl->type != LINK_WITNESS)
            continue;
        if ((r = read_token(cl, token, sizeof(token))) < 0)
            return r;
        struct witness_http_opts o = {
            .url = cl->url,
            .token = token,
            .proxy = cl->proxy[0] ? cl->proxy : NULL,
            .ca_file = cl->ca_file[0] ? cl->ca_file : NULL,
            .timeout = cl->timeout,
            .priority = PRIO_WITNESS,
        };
        r = witness_http_new(&d->witness[l], d->ev, &o, on_answer, d);
        if (r == 0)
            r = witness_http_new(&d->witness_arb[l], d->ev, &o, on_arbitration, d);
        explicit_bzero(token, sizeof(token));
        if (r < 0) {
            log_err("witness link %s: cannot set up its HTTP client: %s", cl->name, strerror(-r));
            return r;
        }
        snprintf(d->local_why[l], sizeof(d->local_why[l]), "witness %s: not asked yet", cl->url);
        r = sd_event_add_time(d->ev, &d->witness_timer[l], CLOCK_MONOTONIC, clock_now(), 1000,
                              on_witness_timer, d);
        if (r < 0)
            return r;
        sd_event_source_set_priority(d->witness_timer[l], PRIO_WITNESS);
        sd_event_source_set_enabled(d->witness_timer[l], SD_EVENT_ON);
    }
    return 0;
}

void witnesslink_stop(struct daemon *d)
{
    for (int l = 0; l < d->conf.n_links; l++) {
        d->witness_timer[l] = sd_event_source_disable_unref(d->witness_timer[l]);
        witness_http_free(d->witness[l]);
        d->witness[l] = NULL;
        witness_http_free(d->witness_arb[l]);
        d->witness_arb[l] = NULL;
    }
}
