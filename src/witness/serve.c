/* One HTTP request in, one reply out: routing, the token, the body, the
 * registry. Pure: the glue in http.c brings the request and the time, takes
 * the lock, and sends and logs the reply. */
#include "witness.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum route { ROUTE_NONE = -1, ROUTE_HEALTHZ, ROUTE_ALIVE, ROUTE_ARBITRATE };

static const struct {
    const char *path;
    const char *allow; /* methods, as the Allow header lists them */
    bool token;        /* needs the token */
} routes[] = {
    [ROUTE_HEALTHZ] = {"/healthz", "GET, HEAD", false},
    [ROUTE_ALIVE] = {"/v1/alive", "POST", true},
    [ROUTE_ARBITRATE] = {"/v1/arbitrate", "POST", true},
};

static enum route find_route(const char *path)
{
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        if (path && strcmp(path, routes[i].path) == 0)
            return (enum route)i;
    }
    return ROUTE_NONE;
}

/* Whether method is one of the route's, matched as a whole word of `allow`. */
static bool method_allowed(enum route rt, const char *method)
{
    const char *allow = routes[rt].allow;
    size_t len = method ? strlen(method) : 0;

    for (const char *p = allow; len > 0 && (p = strstr(p, method)); p += len) {
        bool starts = p == allow || p[-1] == ' ';
        bool ends = p[len] == '\0' || p[len] == ',';
        if (starts && ends)
            return true;
    }
    return false;
}

/* 404, 405, 401 or 0; *token: the index of the request's token (or -EACCES). */
static int precheck(const struct witness *w, const char *method, const char *path,
                    const char *authorization, int *token)
{
    enum route rt = find_route(path);

    *token = -EACCES;
    if (rt == ROUTE_NONE)
        return 404;
    if (!method_allowed(rt, method))
        return 405;
    if (!routes[rt].token)
        return 0;
    *token = token_check(&w->tokens, authorization);
    return *token < 0 ? 401 : 0;
}

int witness_precheck(const struct witness *w, const char *method, const char *path,
                     const char *authorization)
{
    int token;

    return precheck(w, method, path, authorization, &token);
}

__attribute__((format(printf, 3, 4))) static void reply_error(struct witness_reply *rep, int status,
                                                              const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(rep->note, sizeof(rep->note), fmt, ap);
    va_end(ap);
    rep->status = status;
    rep->body = response_error("%s", rep->note);
}

/* The cluster a request names, or an error reply. */
static struct witness_cluster *get_cluster(struct witness *w, const char *name, int token,
                                           const char *peer, struct witness_reply *rep)
{
    struct witness_cluster *c = NULL;
    int r = registry_cluster(&w->reg, name, token, peer, &c);

    if (r == -ENOSPC)
        reply_error(rep, 507,
                    "cluster '%s' is new, and the witness already holds its maximum of %d "
                    "clusters",
                    name, WITNESS_MAX_CLUSTERS);
    else if (r == -EACCES)
        reply_error(rep, 403, "cluster '%s' was created with another token", name);
    else if (r < 0)
        reply_error(rep, 500, "cannot create cluster '%s': %s", name, strerror(-r));
    return r < 0 ? NULL : c;
}

static void serve_alive(struct witness *w, const struct witness_request *req, int token,
                        vg_usec_t now, struct witness_reply *rep)
{
    struct witness_alive a;
    struct witness_cluster *c;
    char err[512];
    int r;

    r = request_parse_alive(req->body, req->body_len, &a, err, sizeof(err));
    if (r < 0) {
        if (r == -ENOMEM)
            reply_error(rep, 500, "out of memory");
        else
            reply_error(rep, 400, "%s", err);
        return;
    }
    c = get_cluster(w, a.cluster, token, req->peer, rep);
    if (!c)
        goto out;
    r = registry_alive(&w->reg, c, &a, req->peer, now);
    if (r == -ENOSPC) {
        if (c->n_nodes >= WITNESS_MAX_NODES)
            reply_error(rep, 507,
                        "cluster '%s' already has its maximum of %d nodes; node '%s' is not "
                        "recorded",
                        c->name, WITNESS_MAX_NODES, a.node);
        else
            reply_error(rep, 507,
                        "the witness already holds its maximum of %d nodes in all clusters; "
                        "node '%s' of cluster '%s' is not recorded",
                        WITNESS_MAX_NODES_TOTAL, a.node, c->name);
        goto out;
    }
    rep->status = 200;
    rep->body = response_alive(c, now);
out:
    request_alive_free(&a);
}

static void serve_arbitrate(struct witness *w, const struct witness_request *req, int token,
                            struct witness_reply *rep)
{
    struct witness_arbitrate a;
    struct witness_verdict v;
    struct witness_cluster *c;
    char err[512];

    if (request_parse_arbitrate(req->body, req->body_len, &a, err, sizeof(err)) < 0) {
        reply_error(rep, 400, "%s", err);
        return;
    }
    c = get_cluster(w, a.cluster, token, req->peer, rep);
    if (!c)
        return;
    registry_arbitrate(&w->reg, c, &a, &v);
    rep->status = 200;
    rep->body = response_arbitrate(c, a.epoch, &v);
    if (v.granted)
        snprintf(rep->note, sizeof(rep->note),
                 "cluster '%s': epoch %" PRIu64 " (parent %" PRIu64
                 ") granted to node %s (side of %s, %d member(s))",
                 c->name, a.epoch, a.parent, a.node, v.winner->node, v.winner->n_members);
    else
        snprintf(rep->note, sizeof(rep->note),
                 "cluster '%s': epoch %" PRIu64 " (parent %" PRIu64 ") refused to node %s: %s",
                 c->name, a.epoch, a.parent, a.node, v.reason);
}

void witness_serve(struct witness *w, const struct witness_request *req, vg_usec_t now,
                   struct witness_reply *rep)
{
    enum route rt = find_route(req->path);
    int token;

    memset(rep, 0, sizeof(*rep));
    switch (precheck(w, req->method, req->path, req->authorization, &token)) {
    case 404:
        reply_error(rep, 404, "no such path: %s (known: /healthz, /v1/alive, /v1/arbitrate)",
                    req->path ? req->path : "");
        return;
    case 405:
        rep->allow = routes[rt].allow;
        reply_error(rep, 405, "method %s is not allowed on %s (allowed: %s)",
                    req->method ? req->method : "", req->path, rep->allow);
        return;
    case 401:
        rep->challenge = true;
        reply_error(rep, 401,
                    "missing or wrong token: send the header "
                    "'Authorization: Bearer TOKEN' with the token of --token-file");
        return;
    default:
        break;
    }
    if (rt == ROUTE_HEALTHZ) {
        rep->status = 200;
        rep->body = strdup("{\"ok\":true}");
        return;
    }
    if (req->body_too_big) {
        reply_error(rep, 413, "the body is larger than %d bytes", WITNESS_BODY_MAX);
        return;
    }
    if (rt == ROUTE_ALIVE)
        serve_alive(w, req, token, now, rep);
    else
        serve_arbitrate(w, req, token, rep);
}

void witness_reply_free(struct witness_reply *rep)
{
    free(rep->body);
    rep->body = NULL;
}
