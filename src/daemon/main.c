/* vigild: the node daemon. Parses its options, loads the configuration and
 * the cluster key, then runs one sd-event loop until SIGTERM. */
#include "daemon.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/keyfile.h"
#include "../common/log.h"

#define DEFAULT_CONFIG "/etc/vigil/vigil.conf"
#define DEFAULT_STATE_DIR "/var/lib/vigil"
#define DEFAULT_SOCKET "/run/vigil/vigild.sock"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: vigild -c FILE --node NAME [--state-dir DIR] [--socket PATH] "
            "[--foreground] [--debug]\n"
            "  -c, --config FILE   cluster configuration (default " DEFAULT_CONFIG ")\n"
            "  -n, --node NAME     which [node] section of FILE is this node\n"
            "  --state-dir DIR     where vigild keeps its state (default " DEFAULT_STATE_DIR ")\n"
            "  --socket PATH       control socket for vigilctl (default " DEFAULT_SOCKET ")\n"
            "  -f, --foreground    stay in the foreground and log to stderr\n"
            "  --debug             log debug messages too\n");
}

static int parse_args(int argc, char **argv, struct daemon_opts *o, bool *debug)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"node", required_argument, NULL, 'n'},
        {"state-dir", required_argument, NULL, 's'},
        {"socket", required_argument, NULL, 'S'},
        {"foreground", no_argument, NULL, 'f'},
        {"debug", no_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    int c;

    o->config_path = DEFAULT_CONFIG;
    o->state_dir = DEFAULT_STATE_DIR;
    o->socket_path = DEFAULT_SOCKET;
    while ((c = getopt_long(argc, argv, "c:n:fh", longopts, NULL)) != -1) {
        switch (c) {
        case 'c':
            o->config_path = optarg;
            break;
        case 'n':
            o->node_name = optarg;
            break;
        case 's':
            o->state_dir = optarg;
            break;
        case 'S':
            o->socket_path = optarg;
            break;
        case 'f':
            o->foreground = true;
            break;
        case 'd':
            *debug = true;
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
        fprintf(stderr, "vigild: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return -EINVAL;
    }
    if (!o->node_name) {
        fprintf(stderr, "vigild: --node NAME is required: the name of this node's [node] "
                        "section in the configuration\n");
        usage(stderr);
        return -EINVAL;
    }
    return 0;
}

/* Configuration, node and key: everything that can be wrong before the loop
 * starts, reported on stderr so the admin sees it even when not in the
 * foreground. */
static int load_setup(struct daemon *d)
{
    struct conf_diag diag = {.n = 0};
    char err[512];

    if (conf_load(d->opts.config_path, &d->conf, &diag) < 0) {
        for (int i = 0; i < diag.n; i++)
            log_err("%s", diag.msg[i]);
        log_err("%s: %d error(s); fix them (check with: vigilctl config check %s)",
                d->opts.config_path, diag.n, d->opts.config_path);
        return -EINVAL;
    }
    const struct conf_node *self = conf_node_by_name(&d->conf, d->opts.node_name);
    if (!self) {
        log_err("%s: no [node \"%s\"] section; --node must name one of the configured nodes",
                d->opts.config_path, d->opts.node_name);
        return -ENOENT;
    }
    d->self = (int)(self - d->conf.nodes);
    /* before the loop runs: it waits for each agent's meta-data */
    if (ocf_check_conf(&d->conf, d->self, NULL, d->groups.ocf_advice, &diag) < 0) {
        for (int i = 0; i < diag.n; i++)
            log_err("%s", diag.msg[i]);
        log_err("%s: %d error(s) in the ocf resources of the groups %s may run; fix them (check "
                "with: vigilctl config check %s)",
                d->opts.config_path, diag.n + diag.dropped, d->opts.node_name, d->opts.config_path);
        return -EINVAL;
    }
    if (keyfile_load(d->conf.key_file, d->key, err, sizeof(err)) < 0) {
        log_err("%s", err);
        return -EPERM;
    }
    d->cluster_id = wire_cluster_id(d->conf.cluster_name);
    randombytes_buf(&d->incarnation, sizeof(d->incarnation));
    return fencing_setup(d); /* runs each fence agent's metadata: before the loop */
}

static int ensure_state_dir(const char *dir)
{
    if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
        int err = errno;
        log_err("state directory %s: cannot create: %s (use --state-dir DIR)", dir, strerror(err));
        return -err;
    }
    return 0;
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
    struct daemon *d = userdata;

    if (si->ssi_signo == SIGHUP) {
        reload_config(d);
        return 0;
    }
    if (d->groups.shutting_down) {
        log_warn("%s again: leaving now, without waiting for the groups to stop",
                 strsignal((int)si->ssi_signo));
        return sd_event_exit(d->ev, 0);
    }
    log_notice("%s: shutting down", strsignal((int)si->ssi_signo));
    if (groups_shutdown(d))
        return 0; /* it leaves the loop once they are stopped */
    return sd_event_exit(d->ev, 0);
}

static json_t *on_request(const char *command, json_t *request, void *userdata)
{
    struct daemon *d = userdata;

    if (strcmp(command, "status") == 0)
        return status_build(d);
    if (strcmp(command, "move") == 0 || strcmp(command, "stop") == 0 ||
        strcmp(command, "start") == 0 || strcmp(command, "standby") == 0 ||
        strcmp(command, "unstandby") == 0 || strcmp(command, "request") == 0)
        return admin_command(d, command, request);
    return api_error("unknown command '%s'; known: status, move, stop, start, standby, "
                     "unstandby, request",
                     command);
}

static int setup_loop(struct daemon *d)
{
    sigset_t mask;
    int r;

    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    sigaddset(&mask, SIGCHLD); /* resource agents are watched by sd-event (agent.h) */
    sigprocmask(SIG_BLOCK, &mask, NULL);
    signal(SIGPIPE, SIG_IGN);

    if ((r = sd_event_new(&d->ev)) < 0)
        return r;
    if ((r = sd_event_add_signal(d->ev, &d->sig_term, SIGTERM, on_signal, d)) < 0 ||
        (r = sd_event_add_signal(d->ev, &d->sig_int, SIGINT, on_signal, d)) < 0 ||
        (r = sd_event_add_signal(d->ev, &d->sig_hup, SIGHUP, on_signal, d)) < 0)
        return r;
    sd_event_source_set_priority(d->sig_term, PRIO_SIGNAL);
    sd_event_source_set_priority(d->sig_int, PRIO_SIGNAL);
    sd_event_source_set_priority(d->sig_hup, PRIO_SIGNAL);

    if ((r = api_server_open(&d->api, d->ev, d->opts.socket_path, on_request, d)) < 0)
        return r;
    if ((r = heartbeat_start(d)) < 0)
        return r;
    if ((r = disklink_start(d)) < 0)
        return r;
    if ((r = witnesslink_start(d)) < 0)
        return r;
    if ((r = np_start(d)) < 0)
        return r;
    if ((r = groups_start(d)) < 0)
        return r;
    return 0;
}

/* Returns true when a disk thread is stuck in an I/O that hangs: the
 * process must then leave without waiting for anything (exit handlers
 * included), or it would hang with the device. */
static bool teardown(struct daemon *d)
{
    watchdog_run_stop(d); /* before the runners go: it asks whether anything runs */
    fencing_teardown(d);
    groups_stop(d);
    np_stop(d);
    witnesslink_stop(d);
    bool stuck = disklink_stop(d, true);
    heartbeat_stop(d);
    api_server_close(d->api);
    sd_event_source_disable_unref(d->sig_term);
    sd_event_source_disable_unref(d->sig_int);
    sd_event_source_disable_unref(d->sig_hup);
    sd_event_unref(d->ev);
    sodium_memzero(d->key, sizeof(d->key));
    return stuck;
}

int main(int argc, char **argv)
{
    static struct daemon d; /* large; lives for the whole run */
    bool debug = false;
    int r;

    if (parse_args(argc, argv, &d.opts, &debug) < 0)
        return 2;
    log_open("vigild", d.opts.node_name, true);
    if (debug)
        log_set_level(LOG_LVL_DEBUG);
    if (sodium_init() < 0) {
        log_err("libsodium failed to initialise");
        return 1;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
        log_err("libcurl failed to initialise");
        return 1;
    }
    if (load_setup(&d) < 0 || ensure_state_dir(d.opts.state_dir) < 0)
        return 1;
    if (!d.opts.foreground) {
        if (daemon(0, 0) < 0) {
            log_err("cannot go to the background: %s", strerror(errno));
            return 1;
        }
        log_open("vigild", d.opts.node_name, false);
    }
    d.started_at = clock_now();
    realtime_enter(&d);
    if (d.conf.quorum == QUORUM_NONE)
        log_warn("quorum = none (allow-split-brain = yes): every view counts as quorate, so both "
                 "sides of a split run the same services; use majority or witness in production");
    r = setup_loop(&d);
    if (r == 0)
        r = watchdog_run_start(&d); /* armed only once everything else is up */
    if (r < 0) {
        log_err("cannot start: %s", strerror(-r));
        teardown(&d);
        return 1;
    }
    log_notice("node %s (id %d) of cluster '%s' started: incarnation %016" PRIx64
               ", %d node(s), %d link(s), interval %" PRIu64 "ms, timeout %" PRIu64 "ms",
               d.conf.nodes[d.self].name, d.conf.nodes[d.self].id, d.conf.cluster_name,
               d.incarnation, d.conf.n_nodes, d.conf.n_links, d.conf.interval / 1000,
               d.conf.timeout / 1000);
    r = sd_event_loop(d.ev);
    if (teardown(&d)) {
        log_notice("stopped (leaving a disk I/O that hangs behind)");
        _exit(r < 0 ? 1 : 0);
    }
    curl_global_cleanup();
    log_notice("stopped");
    log_close();
    return r < 0 ? 1 : 0;
}
