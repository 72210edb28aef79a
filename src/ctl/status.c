/* vigilctl status [--json]: ask vigild for its status object and show it. */
#include "ctl.h"

#include <errno.h>
#include <string.h>

static void status_usage(FILE *out)
{
    fprintf(out, "usage: vigilctl [--socket PATH] status [--json]\n"
                 "\n"
                 "Show this node's view of the cluster: the view and quorum, every node with\n"
                 "its state and, per link, up (with its round-trip time) or down; the groups;\n"
                 "and the datagrams dropped, by reason, when there are any.\n"
                 "\n"
                 "options:\n"
                 "  --json         print vigild's status object as JSON (docs/status-json.md)\n"
                 "  --socket PATH  vigild's control socket (also accepted before 'status')\n"
                 "  -h, --help     show this help\n");
}

static int status_run(const struct ctl_ctx *ctx, int argc, char **argv)
{
    const char *socket_path = ctx->socket_path;
    char err[1024];
    json_t *reply;
    int json = 0, r;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];

        if (ctl_is_help(a)) {
            status_usage(stdout);
            return CTL_EXIT_OK;
        } else if (strcmp(a, "--json") == 0 || strcmp(a, "-j") == 0) {
            json = 1;
        } else if (strcmp(a, "--socket") == 0) {
            if (i + 1 >= argc || argv[i + 1][0] == '\0')
                return ctl_usage_error(status_usage, "option '--socket' needs a PATH");
            socket_path = argv[++i];
        } else if (strncmp(a, "--socket=", 9) == 0 && a[9] != '\0') {
            socket_path = a + 9;
        } else if (a[0] == '-') {
            return ctl_usage_error(status_usage, "status: unknown option '%s'", a);
        } else {
            return ctl_usage_error(status_usage, "status: unexpected argument '%s'", a);
        }
    }

    r = ctl_call(socket_path, "status", &reply, err, sizeof(err));
    if (r < 0) {
        ctl_error("%s", err);
        return CTL_EXIT_FAIL;
    }
    if (json) {
        /* 15 significant digits: 0.21 prints as 0.21, not 0.20999999999999999. */
        r = json_dumpf(reply, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(15)) == 0 ? 0 : -EIO;
        fputc('\n', stdout);
    } else {
        r = ctl_status_render(reply, stdout);
    }
    json_decref(reply);
    if (r < 0) {
        ctl_error("cannot write the status to standard output: %s", strerror(errno));
        return CTL_EXIT_FAIL;
    }
    return CTL_EXIT_OK;
}

const struct ctl_command ctl_cmd_status = {
    .name = "status",
    .summary = "show nodes, links, view and groups as seen by this node",
    .run = status_run,
    .usage = status_usage,
};
