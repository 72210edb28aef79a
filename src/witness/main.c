/* vigil-witness: options, token and certificate files, listening sockets;
 * then the HTTP daemons run in their own threads while the main thread waits
 * for SIGTERM/SIGINT and sweeps for nodes that went silent. */
#include "witness.h"

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/log.h"

#define TICK_NSEC (100 * 1000 * 1000) /* loss of contact is noticed within this */
#define PEM_FILE_MAX (1024 * 1024)

struct options {
    int n_listen;
    const char *listen[WITNESS_MAX_LISTEN];
    int n_tokens;
    const char *token_files[WITNESS_MAX_TOKENS];
    const char *tls_cert, *tls_key;
    bool foreground, debug;
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: vigil-witness --listen ADDR:PORT --token-file FILE [--tls-cert FILE "
            "--tls-key FILE] [--foreground] [--debug]\n"
            "  -l, --listen ADDR:PORT  listen here, e.g. 127.0.0.1:9872 or [::1]:9872 (port 0:\n"
            "                          any free port); may be given up to %d times\n"
            "  -t, --token-file FILE   the token the nodes send (one line, mode 0600); may be\n"
            "                          given up to %d times, each cluster keeps the token that\n"
            "                          created it\n"
            "  --tls-cert FILE         serve HTTPS with this PEM certificate (chain)\n"
            "  --tls-key FILE          and this PEM private key\n"
            "  -f, --foreground        stay in the foreground and log to stderr\n"
            "  --debug                 log debug messages too\n"
            "The API is in docs/witness-api.md.\n",
            WITNESS_MAX_LISTEN, WITNESS_MAX_TOKENS);
}

static int parse_args(int argc, char **argv, struct options *o)
{
    static const struct option longopts[] = {
        {"listen", required_argument, NULL, 'l'},   {"token-file", required_argument, NULL, 't'},
        {"tls-cert", required_argument, NULL, 'C'}, {"tls-key", required_argument, NULL, 'K'},
        {"foreground", no_argument, NULL, 'f'},     {"debug", no_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},           {0},
    };
    int c;

    while ((c = getopt_long(argc, argv, "l:t:fh", longopts, NULL)) != -1) {
        switch (c) {
        case 'l':
            if (o->n_listen >= WITNESS_MAX_LISTEN) {
                fprintf(stderr, "vigil-witness: at most %d --listen\n", WITNESS_MAX_LISTEN);
                return -EINVAL;
            }
            o->listen[o->n_listen++] = optarg;
            break;
        case 't':
            if (o->n_tokens >= WITNESS_MAX_TOKENS) {
                fprintf(stderr, "vigil-witness: at most %d --token-file\n", WITNESS_MAX_TOKENS);
                return -EINVAL;
            }
            o->token_files[o->n_tokens++] = optarg;
            break;
        case 'C':
            o->tls_cert = optarg;
            break;
        case 'K':
            o->tls_key = optarg;
            break;
        case 'f':
            o->foreground = true;
            break;
        case 'd':
            o->debug = true;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            usage(stderr);
            return -EINVAL;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "vigil-witness: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return -EINVAL;
    }
    if (o->n_listen == 0 || o->n_tokens == 0) {
        fprintf(stderr, "vigil-witness: --listen ADDR:PORT and --token-file FILE are required\n");
        usage(stderr);
        return -EINVAL;
    }
    if (!o->tls_cert != !o->tls_key) {
        fprintf(stderr, "vigil-witness: --tls-cert and --tls-key go together\n");
        return -EINVAL;
    }
    return 0;
}

/* A whole PEM file as a string (libmicrohttpd wants the text, NUL-ended). */
static int read_pem(const char *path, const char *what, char **out)
{
    FILE *f = fopen(path, "re");
    struct stat st;
    char *text;
    size_t len;

    if (!f) {
        int r = -errno;
        log_err("cannot open TLS %s %s: %s", what, path, strerror(-r));
        return r;
    }
    if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > PEM_FILE_MAX) {
        log_err("TLS %s %s: not a regular file of at most %d bytes", what, path, PEM_FILE_MAX);
        fclose(f);
        return -EINVAL;
    }
    text = malloc((size_t)st.st_size + 1);
    if (!text) {
        fclose(f);
        return -ENOMEM;
    }
    len = fread(text, 1, (size_t)st.st_size, f);
    fclose(f);
    text[len] = '\0';
    if (!strstr(text, "-----BEGIN ")) {
        log_err("TLS %s %s: no PEM block (-----BEGIN ...) in it", what, path);
        free(text);
        return -EINVAL;
    }
    *out = text;
    return 0;
}

/* Every registry event is one log line naming the cluster and the node. */
static void on_event(void *ctx, enum witness_event ev, const struct witness_cluster *c,
                     const struct witness_node *n, vg_usec_t silent, const char *detail)
{
    unsigned long long silent_ms = (unsigned long long)(silent / VG_USEC_PER_MSEC);

    switch (ev) {
    case WITNESS_EV_CLUSTER_NEW:
        log_notice("cluster '%s': created, first contact from %s", c->name, detail);
        break;
    case WITNESS_EV_FIRST_CONTACT:
        log_notice("cluster '%s': node %s first contact from %s (incarnation %s, timeout %ums)",
                   c->name, n->name, n->addr, n->incarnation, n->timeout_ms);
        break;
    case WITNESS_EV_RESTARTED:
        log_notice("cluster '%s': node %s restarted: incarnation %s, was %s", c->name, n->name,
                   n->incarnation, detail);
        break;
    case WITNESS_EV_LOST:
        log_warn("cluster '%s': node %s lost contact: no report for %llums (timeout %ums)", c->name,
                 n->name, silent_ms, n->timeout_ms);
        break;
    case WITNESS_EV_BACK:
        log_notice("cluster '%s': node %s back in contact from %s after %llums without a report",
                   c->name, n->name, n->addr, silent_ms);
        break;
    }
}

/* Parse and open every --listen address; log each (with the port chosen
 * when 0 was asked for). */
static int open_listeners(const struct options *o, int *fds)
{
    for (int i = 0; i < o->n_listen; i++) {
        struct sockaddr_storage ss;
        socklen_t len;
        char err[256];

        if (listen_parse(o->listen[i], &ss, &len, err, sizeof(err)) < 0) {
            log_err("--listen %s", err);
            return -EINVAL;
        }
        fds[i] = listen_open(&ss, len);
        if (fds[i] < 0) {
            log_err("cannot listen on %s: %s", o->listen[i], strerror(-fds[i]));
            for (int j = 0; j < i; j++)
                close(fds[j]);
            return fds[i];
        }
    }
    return 0;
}

static void log_listeners(const int *fds, int n, bool tls)
{
    for (int i = 0; i < n; i++) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof(ss);
        char addr[WITNESS_ADDR_MAX];

        if (getsockname(fds[i], (struct sockaddr *)&ss, &len) < 0)
            continue;
        listen_format((struct sockaddr *)&ss, len, addr, sizeof(addr));
        log_notice("listening on %s://%s", tls ? "https" : "http", addr);
    }
}

/* Wait for SIGTERM/SIGINT (blocked in every thread since start-up), and
 * sweep for silent nodes every TICK_NSEC meanwhile. */
static int run(struct http_server *srv, const sigset_t *stop)
{
    for (;;) {
        struct timespec ts = {.tv_sec = 0, .tv_nsec = TICK_NSEC};
        int sig = sigtimedwait(stop, NULL, &ts);

        if (sig > 0) {
            log_notice("%s: stopping", strsignal(sig));
            return 0;
        }
        if (sig < 0 && errno != EAGAIN && errno != EINTR) {
            log_err("sigtimedwait: %s", strerror(errno));
            return -errno;
        }
        http_tick(srv, clock_now());
    }
}

int main(int argc, char **argv)
{
    static struct witness w;
    struct options o = {0};
    struct http_server *srv = NULL;
    char *cert = NULL, *key = NULL;
    int fds[WITNESS_MAX_LISTEN];
    sigset_t stop;
    int r;

    if (parse_args(argc, argv, &o) < 0)
        return 2;
    log_open("vigil-witness", NULL, true);
    if (o.debug)
        log_set_level(LOG_LVL_DEBUG);
    if (sodium_init() < 0) {
        log_err("libsodium failed to initialise");
        return 1;
    }
    for (int i = 0; i < o.n_tokens; i++) {
        char err[512];
        if (token_file_load(&w.tokens, o.token_files[i], err, sizeof(err)) < 0) {
            log_err("%s", err);
            return 1;
        }
    }
    if (o.tls_cert) {
        if (!http_tls_supported()) {
            log_err("this libmicrohttpd was built without TLS; cannot serve HTTPS");
            return 1;
        }
        if (read_pem(o.tls_cert, "certificate", &cert) < 0 || read_pem(o.tls_key, "key", &key) < 0)
            return 1;
    }
    /* Blocked before any thread exists, so that only sigtimedwait sees them. */
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (open_listeners(&o, fds) < 0)
        return 1;
    if (!o.foreground) {
        if (daemon(0, 0) < 0) {
            log_err("cannot go to the background: %s", strerror(errno));
            return 1;
        }
        log_open("vigil-witness", NULL, false);
    }
    registry_init(&w.reg, on_event, NULL);
    r = http_start(&srv, &w, fds, o.n_listen, cert, key);
    if (r < 0) {
        log_err("cannot start the HTTP server (see the messages above)");
        return 1;
    }
    log_listeners(fds, o.n_listen, cert != NULL);
    log_notice("started: %d token(s), at most %d clusters of %d nodes", w.tokens.n,
               WITNESS_MAX_CLUSTERS, WITNESS_MAX_NODES);
    r = run(srv, &stop);
    http_stop(srv);
    registry_free(&w.reg);
    free(cert);
    free(key);
    sodium_memzero(&w.tokens, sizeof(w.tokens));
    log_notice("stopped");
    log_close();
    return r < 0 ? 1 : 0;
}
