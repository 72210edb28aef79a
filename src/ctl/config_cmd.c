/* vigilctl config check FILE: validate a configuration with the daemon's own
 * parser (src/conf) and say what it describes. */
#include "ctl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../conf/conf.h"
#include "../fencing/fence_check.h"
#include "../groups/ocf_check.h"

#define WRAP_COLUMNS 78

static void config_usage(FILE *out)
{
    fprintf(out, "usage: vigilctl config check FILE\n"
                 "\n"
                 "Check a cluster configuration (e.g. /etc/vigil/vigil.conf) without a daemon:\n"
                 "print every error with its file, line and key, or a summary of the cluster\n"
                 "it describes. The agent of each ocf resource is checked on this machine:\n"
                 "installed, its meta-data readable, every required parameter set and none\n"
                 "unknown. Exit status 0 when it is valid, 1 when not.\n"
                 "\n"
                 "options:\n"
                 "  -h, --help  show this help\n");
}

static const char *family_name(int family)
{
    return family == AF_INET ? "IPv4" : family == AF_INET6 ? "IPv6" : "?";
}

/* Every error conf_load() found, then "FILE: N error(s)", on stderr. */
void ctl_print_conf_errors(const char *path, int r, const struct conf_diag *diag)
{
    int n = diag->n + diag->dropped;

    for (int i = 0; i < diag->n && i < CONF_DIAG_MAX; i++)
        fprintf(stderr, "%s\n", diag->msg[i]);
    if (diag->dropped > 0)
        fprintf(stderr, "... and %d more error(s)\n", diag->dropped);
    if (n == 0) {
        fprintf(stderr, "%s: %s\n", path, strerror(-r));
        n = 1;
    }
    fprintf(stderr, "%s: %d error(s)\n", path, n);
}

/* "web (nodes alpha, beta; resources vip (ip 192.0.2.100/24), app (exec))" */
static void write_group(FILE *out, const struct conf *c, const struct conf_group *g)
{
    char addr[RES_IP_TEXT_MAX];

    fprintf(out, " %s (nodes", g->name);
    for (int i = 0; i < g->n_nodes; i++)
        fprintf(out, "%s %s", i ? "," : "", c->nodes[g->nodes[i]].name);
    fprintf(out, "%s; resource%s", g->failback ? "; failback" : "", g->n_resources == 1 ? "" : "s");
    for (int i = 0; i < g->n_resources; i++) {
        const struct conf_resource *r = &c->resources[g->first_resource + i];

        fprintf(out, "%s %s (%s", i ? "," : "", r->name, conf_res_type_name(r->type));
        if (r->type == CONF_RES_IP)
            fprintf(out, " %s", res_ip_format(&r->ip.addr, addr, sizeof(addr)));
        else if (r->type == CONF_RES_OCF)
            fprintf(out, " ocf:%s:%s", r->ocf_provider, r->ocf_type);
        else if (r->type == CONF_RES_SYSTEMD)
            fprintf(out, " %s", conf_text(c, r->unit));
        fprintf(out, ")");
    }
    fprintf(out, ")");
}

/* The summary as one unwrapped paragraph. */
static void write_summary(FILE *out, const char *path, const struct conf *c)
{
    char a[32], b[32], d[32];

    fprintf(out, "%s is valid. Cluster \"%s\" with %d node%s:", path, c->cluster_name, c->n_nodes,
            c->n_nodes == 1 ? "" : "s");
    for (int i = 0; i < c->n_nodes; i++)
        fprintf(out, "%s %s (id %d)", i ? "," : "", c->nodes[i].name, c->nodes[i].id);
    fprintf(out, "; %d link%s:", c->n_links, c->n_links == 1 ? "" : "s");
    for (int i = 0; i < c->n_links; i++) {
        const struct conf_link *l = &c->links[i];
        char iv[32], to[32];
        fprintf(out, "%s %s (%s", i ? "," : "", l->name, conf_link_type_name(l->type));
        switch (l->type) {
        case LINK_UDP:
            fprintf(out, ", priority %d, port %u, %s)", l->priority, (unsigned)l->port,
                    family_name(l->family));
            break;
        case LINK_DISK:
        case LINK_WITNESS:
            conf_format_duration(l->interval, iv, sizeof(iv));
            conf_format_duration(l->timeout, to, sizeof(to));
            fprintf(out, " %s%s%s, interval %s, timeout %s)",
                    l->type == LINK_DISK ? l->device : l->url, l->proxy[0] ? " via proxy " : "",
                    l->proxy, iv, to);
            break;
        }
    }
    if (c->n_groups > 0)
        fprintf(out, "; %d failover group%s:", c->n_groups, c->n_groups == 1 ? "" : "s");
    for (int i = 0; i < c->n_groups; i++) {
        fprintf(out, "%s", i ? "," : "");
        write_group(out, c, &c->groups[i]);
    }
    if (c->n_fences > 0)
        fprintf(out, "; %d fence device%s (%s):", c->n_fences, c->n_fences == 1 ? "" : "s",
                conf_fence_action_name(c->fence_action));
    for (int i = 0; i < c->n_fences; i++) {
        const struct conf_fence *f = &c->fences[i];
        fprintf(out, "%s %s (%s, level %d, nodes", i ? "," : "", f->name, f->agent, f->level);
        for (int k = 0, first = 1; k < c->n_nodes; k++)
            if (f->nodes & (UINT64_C(1) << k)) {
                fprintf(out, "%s %s", first ? "" : ",", c->nodes[k].name);
                first = 0;
            }
        fprintf(out, ")");
    }
    conf_format_duration(c->interval, a, sizeof(a));
    conf_format_duration(c->timeout, b, sizeof(b));
    conf_format_duration(c->initial_timeout, d, sizeof(d));
    fprintf(out,
            ". A heartbeat every %s; a link is down after %s without one; at start-up a node "
            "not yet seen is dead after %s. Key file %s; real-time scheduling %s.",
            a, b, d, c->key_file[0] ? c->key_file : "(none)", c->realtime ? "on" : "off");
}

/* Print text word-wrapped at WRAP_COLUMNS (a word longer than a line gets
 * a line of its own). */
static void put_wrapped(FILE *out, const char *text)
{
    size_t col = 0;

    while (*text) {
        size_t n;

        text += strspn(text, " ");
        n = strcspn(text, " ");
        if (n == 0)
            break;
        if (col > 0 && col + 1 + n > WRAP_COLUMNS) {
            fputc('\n', out);
            col = 0;
        }
        if (col > 0) {
            fputc(' ', out);
            col++;
        }
        fwrite(text, 1, n, out);
        col += n;
        text += n;
    }
    fputc('\n', out);
}

/* Run each fence device's agent for its metadata and check the device's
 * parameters against it (src/fencing/fence_check.c); print the errors. */
static bool check_fences(const char *path, const struct conf *c)
{
    struct fence_device_info info[CONF_FENCE_MAX];
    static char err[16384];
    int n = 0;

    if (fence_check_conf(c, info, err, sizeof(err)) == 0)
        return true;
    fprintf(stderr, "%s\n", err);
    for (const char *p = err; *p; p++)
        n += *p == '\n';
    fprintf(stderr,
            "%s: %d error(s) in the fence devices (checked against this machine's fence "
            "agents)\n",
            path, n + 1);
    return false;
}

static int config_check(const char *path)
{
    struct conf *c = calloc(1, sizeof(*c));
    struct conf_diag *diag = calloc(1, sizeof(*diag));
    char *text = NULL;
    size_t len = 0;
    FILE *mem;
    int r, code = CTL_EXIT_FAIL;

    if (!c || !diag) {
        ctl_error("out of memory");
        goto out;
    }
    r = conf_load(path, c, diag);
    if (r == 0)
        r = ocf_check_conf(c, -1, NULL, NULL, diag);
    if (r < 0) {
        ctl_print_conf_errors(path, r, diag);
        goto out;
    }
    if (c->n_fences > 0 && !check_fences(path, c))
        goto out;

    mem = open_memstream(&text, &len);
    if (!mem) {
        ctl_error("out of memory");
        goto out;
    }
    write_summary(mem, path, c);
    if (fclose(mem) != 0) {
        free(text);
        ctl_error("out of memory");
        goto out;
    }
    put_wrapped(stdout, text);
    free(text);
    code = CTL_EXIT_OK;
out:
    free(c);
    free(diag);
    return code;
}

static int config_run(const struct ctl_ctx *ctx, int argc, char **argv)
{
    const char *sub;

    if (argc < 2)
        return ctl_usage_error(config_usage, "config: missing subcommand (check)");
    sub = argv[1];
    if (ctl_is_help(sub)) {
        config_usage(stdout);
        return CTL_EXIT_OK;
    }
    if (strcmp(sub, "apply") == 0)
        return ctl_usage_error(config_usage, "config apply is not available in vigilctl %s yet",
                               VIGIL_VERSION);
    if (strcmp(sub, "check") != 0)
        return ctl_usage_error(config_usage, "config: unknown subcommand '%s'", sub);

    const char *path = NULL;
    int opts_done = 0;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];

        if (!opts_done && a[0] == '-' && a[1] != '\0') {
            if (ctl_is_help(a)) {
                config_usage(stdout);
                return CTL_EXIT_OK;
            } else if (strcmp(a, "--") == 0) {
                opts_done = 1;
            } else {
                return ctl_usage_error(config_usage, "config check: unknown option '%s'", a);
            }
        } else if (!path) {
            path = a;
        } else {
            return ctl_usage_error(config_usage, "config check: unexpected argument '%s'", a);
        }
    }
    if (!path || !*path)
        return ctl_usage_error(config_usage, "config check: missing FILE");
    return config_check(path);
}

const struct ctl_command ctl_cmd_config = {
    .name = "config",
    .summary = "check a configuration file (config check FILE)",
    .run = config_run,
    .usage = config_usage,
};
