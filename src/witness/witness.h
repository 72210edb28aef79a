/* vigil-witness: a small HTTP(S) service on a third machine that records
 * which nodes of each cluster are alive and arbitrates a split (one winner per
 * view epoch, to views that descend from the last one granted).
 * docs/witness-api.md is the contract.
 *
 * The parts, from the bytes inward:
 *   http.c      libmicrohttpd glue: connections, bodies, the lock (I/O)
 *   listen.c    listen addresses: parse ADDR:PORT, open the sockets
 *   serve.c     one request -> one reply: route, token, parse, registry (pure)
 *   request.c   JSON bodies -> structs, and the JSON replies (pure)
 *   registry.c  clusters, nodes, ages, arbitration, loss of contact (pure)
 *   token.c     the token file and the constant-time token check
 *   main.c      options, start-up, signals, the periodic sweep
 * The pure parts take the time as an argument and do no I/O, so that the unit
 * tests drive them on a fake clock. */
#ifndef VIGIL_WITNESS_H
#define VIGIL_WITNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <sodium.h>

#include "../common/clock.h"
#include "../common/limits.h"
#include "../proto/proto.h"

/* Limits; docs/witness-api.md lists them for clients. */
#define WITNESS_BODY_MAX (64 * 1024)        /* request body, bytes; more is 413 */
#define WITNESS_DRAIN_MAX (4 * 1024 * 1024) /* an oversized body is read and dropped up to this */
#define WITNESS_MAX_CLUSTERS 1024           /* clusters in all; more is 507 */
#define WITNESS_MAX_NODES VIGIL_MAX_NODES   /* nodes per cluster; more is 507 */
#define WITNESS_MAX_NODES_TOTAL 4096        /* nodes of every cluster together */
#define WITNESS_MAX_EPOCHS 8                /* arbitrated epochs remembered per cluster */
#define WITNESS_CLUSTER_MAX (VIGIL_NAME_MAX * 4) /* cluster name, bytes with the NUL (as conf) */
#define WITNESS_NAME_MAX VIGIL_NAME_MAX          /* node, link and state names, with the NUL */
#define WITNESS_INCARNATION_MAX 17               /* 1 to 16 hex digits and the NUL */
#define WITNESS_SEES_MAX 4096                    /* "sees", as compact JSON text */
#define WITNESS_TIMEOUT_MS_MAX 3600000           /* one hour */
#define WITNESS_MAX_TOKENS 16                    /* --token-file given this many times at most */
#define WITNESS_TOKEN_MAX 1024                   /* bytes of one token */
#define WITNESS_ADDR_MAX 64                      /* a peer address as text */
#define WITNESS_MAX_LISTEN 8                     /* --listen given this many times at most */

/* ---- token.c: who may talk to the witness -------------------------------- */

/* Tokens are kept only as hashes: the check compares hashes of equal length
 * with sodium_memcmp, so its time does not depend on the token's content. */
struct witness_tokens {
    int n;
    uint8_t hash[WITNESS_MAX_TOKENS][crypto_generichash_BYTES];
};

/* The token in the text of a token file (pure): one line of printable ASCII
 * without blanks, an optional line end. 0, or -EINVAL with a reason in err. */
int token_parse(const char *text, size_t len, char *tok, size_t toksize, char *err, size_t errlen);

/* Add a token; -ENOSPC past WITNESS_MAX_TOKENS. */
int token_add(struct witness_tokens *t, const char *token);

/* Read a token file and add its token. Refuses a file that group or others
 * can access (-EPERM, the message says chmod 600), an empty one, one that is
 * not a regular file. err gets a full sentence naming the path. */
int token_file_load(struct witness_tokens *t, const char *path, char *err, size_t errlen);

/* The index of the token that the `Authorization: Bearer TOKEN` header value
 * carries, or -EACCES (no header, another scheme, an unknown token). Every
 * known token is compared, whatever matched before. */
int token_check(const struct witness_tokens *t, const char *authorization);

/* ---- request.c: the JSON bodies ------------------------------------------ */

/* POST /v1/alive */
struct witness_alive {
    char cluster[WITNESS_CLUSTER_MAX];
    char node[WITNESS_NAME_MAX];
    char incarnation[WITNESS_INCARNATION_MAX];
    uint32_t timeout_ms;
    char state[WITNESS_NAME_MAX]; /* "" when not given */
    char *sees;                   /* compact JSON object text, malloc'd; "{}" when not given */
    struct group_reports groups;  /* "groups"; n 0 when not given */
};

/* POST /v1/arbitrate: a side asks that the view it installed be granted. */
struct witness_arbitrate {
    char cluster[WITNESS_CLUSTER_MAX];
    char node[WITNESS_NAME_MAX];
    uint64_t epoch;  /* the view's epoch */
    uint64_t parent; /* the epoch of the last view known to be quorate, < epoch; 0: none */
    int n_members;   /* the view's members, node among them */
    char members[WITNESS_MAX_NODES][WITNESS_NAME_MAX];
};

/* Parse a body (pure). 0, or -EINVAL with what is wrong in err (a sentence
 * naming the field); -ENOMEM. On success free the result with
 * request_alive_free(). */
int request_parse_alive(const char *body, size_t len, struct witness_alive *out, char *err,
                        size_t errlen);
void request_alive_free(struct witness_alive *a);
int request_parse_arbitrate(const char *body, size_t len, struct witness_arbitrate *out, char *err,
                            size_t errlen);

/* ---- registry.c: what the witness knows ---------------------------------- */

struct witness_node {
    char name[WITNESS_NAME_MAX];
    char incarnation[WITNESS_INCARNATION_MAX];
    char state[WITNESS_NAME_MAX];
    char addr[WITNESS_ADDR_MAX]; /* where its last report came from */
    char *sees;                  /* compact JSON object text, owned */
    uint32_t timeout_ms;
    struct group_reports groups; /* of its last report (n 0: none in it) */
    vg_usec_t last_seen;
    bool lost; /* no report for 2 x timeout_ms (set by registry_sweep) */
};

/* One granted view: its epoch, and the side that asked first, as it
 * described itself. */
struct witness_grant {
    uint64_t epoch;
    char node[WITNESS_NAME_MAX]; /* the first to ask */
    int n_members;
    char members[WITNESS_MAX_NODES][WITNESS_NAME_MAX];
};

struct witness_cluster {
    char name[WITNESS_CLUSTER_MAX];
    int token; /* index of the token it was created with */
    int n_nodes;
    struct witness_node nodes[WITNESS_MAX_NODES];
    int n_grants; /* grants[] in increasing epoch order; the newest, last, decides */
    struct witness_grant grants[WITNESS_MAX_EPOCHS];
};

enum witness_event {
    WITNESS_EV_CLUSTER_NEW,   /* a cluster was created */
    WITNESS_EV_FIRST_CONTACT, /* a node's first report */
    WITNESS_EV_RESTARTED,     /* a report with a new incarnation */
    WITNESS_EV_LOST,          /* no report for 2 x timeout_ms */
    WITNESS_EV_BACK,          /* a report after WITNESS_EV_LOST */
};

/* Told about every event above; `silent` is how long the node had been
 * silent (LOST, BACK, RESTARTED); `detail` is the old incarnation for
 * RESTARTED and the client's address for CLUSTER_NEW (node is NULL then),
 * NULL otherwise. Called with the registry in a consistent state. */
typedef void (*witness_event_fn)(void *ctx, enum witness_event ev, const struct witness_cluster *c,
                                 const struct witness_node *node, vg_usec_t silent,
                                 const char *detail);

struct registry {
    int n_clusters;
    int n_nodes_total;
    struct witness_cluster *clusters[WITNESS_MAX_CLUSTERS];
    witness_event_fn on_event; /* may be NULL */
    void *event_ctx;
};

/* The outcome of one arbitration request. */
struct witness_verdict {
    bool granted;
    const struct witness_grant *winner; /* the grant of that epoch; NULL if none or forgotten */
    uint64_t newest;                    /* newest epoch granted in the cluster (0: none) */
    char reason[512];                   /* why not, when !granted */
};

void registry_init(struct registry *r, witness_event_fn on_event, void *ctx);
void registry_free(struct registry *r);

/* The cluster called `name`, created for `token` on first contact (addr is
 * only for the event). -ENOSPC when WITNESS_MAX_CLUSTERS exist, -EACCES when
 * it was created with another token. */
int registry_cluster(struct registry *r, const char *name, int token, const char *addr,
                     struct witness_cluster **out);

/* Record a report; takes a->sees (a->sees is NULL afterwards). -ENOSPC when
 * the node is new and its cluster, or the witness, holds all it can. */
int registry_alive(struct registry *r, struct witness_cluster *c, struct witness_alive *a,
                   const char *addr, vg_usec_t now);

/* Arbitrate a view against G, the last view granted in the cluster: G's
 * epoch again is granted to G's recorded members only; a newer epoch only
 * when nothing was granted yet or its parent is no older than G (it
 * descends from G), and it becomes G; an older one never. So two views
 * granted one after the other cannot both be current halves of a split
 * (docs/witness-api.md, docs/membership.md "The model"). */
void registry_arbitrate(struct registry *r, struct witness_cluster *c,
                        const struct witness_arbitrate *req, struct witness_verdict *v);

/* Mark nodes without a report for 2 x their timeout_ms as lost (one event
 * each). Call it periodically; it costs one pass over every node. */
void registry_sweep(struct registry *r, vg_usec_t now);

/* ---- request.c: the JSON replies (malloc'd text, NULL on ENOMEM) --------- */

char *response_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *response_alive(const struct witness_cluster *c, vg_usec_t now);
char *response_arbitrate(const struct witness_cluster *c, uint64_t epoch,
                         const struct witness_verdict *v);

/* ---- serve.c: one HTTP request in, one reply out (pure) ------------------ */

struct witness {
    struct registry reg;
    struct witness_tokens tokens;
};

struct witness_request {
    const char *method;
    const char *path;          /* without the query string */
    const char *authorization; /* the header's value, or NULL */
    const char *body;
    size_t body_len;
    bool body_too_big; /* more than WITNESS_BODY_MAX bytes came; body is not kept */
    const char *peer;  /* the client's address, for logs */
};

struct witness_reply {
    int status;
    char *body;        /* JSON text, malloc'd; NULL only if out of memory */
    const char *allow; /* the Allow header of a 405, or NULL */
    bool challenge;    /* a 401: send WWW-Authenticate */
    char note[1024];   /* what happened, for the log: the error, or an arbitration; or "" */
};

/* The status a request gets before its body is read (404, 405, 401, or 0 to
 * read on): lets the glue refuse early without reading a body. */
int witness_precheck(const struct witness *w, const char *method, const char *path,
                     const char *authorization);
void witness_serve(struct witness *w, const struct witness_request *req, vg_usec_t now,
                   struct witness_reply *rep);
void witness_reply_free(struct witness_reply *rep);

/* ---- listen.c: where to listen ------------------------------------------- */

/* "127.0.0.1:9872" or "[::1]:9872" (port 0: any free one) -> a socket address
 * (pure; numeric addresses only). 0, or -EINVAL with a reason in err. */
int listen_parse(const char *spec, struct sockaddr_storage *ss, socklen_t *len, char *err,
                 size_t errlen);

/* "127.0.0.1:9872" / "[::1]:9872" for a socket address (pure). */
void listen_format(const struct sockaddr *sa, socklen_t len, char *buf, size_t size);

/* A listening TCP socket (IPV6_V6ONLY for IPv6, SO_REUSEADDR, close-on-exec);
 * the fd or -errno. */
int listen_open(const struct sockaddr_storage *ss, socklen_t len);

/* ---- http.c: libmicrohttpd ----------------------------------------------- */

struct http_server;

/* Whether this libmicrohttpd can do HTTPS. */
bool http_tls_supported(void);

/* Serve w on every listening socket in fds (taken over; closed by
 * http_stop). cert_pem/key_pem: PEM text for HTTPS (both or neither), kept by
 * the caller until http_stop. 0 or -errno. */
int http_start(struct http_server **out, struct witness *w, const int *fds, int n_fds,
               const char *cert_pem, const char *key_pem);

/* The periodic sweep (registry_sweep) under the lock the requests take. */
void http_tick(struct http_server *s, vg_usec_t now);

void http_stop(struct http_server *s);

#endif
