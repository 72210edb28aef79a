/* vigilctl disk init | dump: prepare and inspect the disk heartbeat area of
 * a shared disk (DESIGN.md, "Disk layout"). The device I/O runs in a worker
 * thread with a deadline (disk_worker.c): a device that never answers makes
 * vigilctl give up, not hang. */
#include "ctl.h"
#include "disk.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void disk_usage(FILE *out)
{
    fprintf(out,
            "usage: vigilctl disk init DEVICE -c FILE [--force] [--timeout DURATION]\n"
            "       vigilctl disk dump DEVICE [-c FILE] [--json] [--timeout DURATION]\n"
            "       vigilctl disk message DEVICE NODE test|clear -c FILE [--timeout DURATION]\n"
            "\n"
            "init  prepares DEVICE, a small partition of a disk that every node sees under\n"
            "      the same path (or a file, for tests), for the disk heartbeat of the\n"
            "      cluster that FILE describes: a header, then a slot and a mailbox for\n"
            "      every node id 1..%d, zeroed. DEVICE needs at least %llu bytes.\n"
            "      It refuses a device that holds a file system, a partition table, a\n"
            "      RAID or LVM member or another cluster's heartbeat area, unless --force;\n"
            "      and always one that is too small or in use by the kernel.\n"
            "dump  shows what DEVICE holds, read-only: the header, every written slot\n"
            "      (node, state, incarnation, counter, age, epoch), every pending mailbox\n"
            "      request, and the blocks that do not decode. Exit status 1 when there\n"
            "      is no valid header or a block is bad.\n"
            "message  writes a request into NODE's mailbox: `test` (NODE's vigild logs it,\n"
            "      shows it in status and clears it) or `clear` (empties the mailbox).\n"
            "\n"
            "options:\n"
            "  -c, --config FILE   the cluster configuration (init: required; dump: names\n"
            "                      the nodes)\n"
            "  -f, --force         init: overwrite what DEVICE holds\n"
            "  -j, --json          dump: print one JSON object (docs/vigilctl.md)\n"
            "  --timeout DURATION  give up when DEVICE does not answer within DURATION\n"
            "                      (default 5s)\n"
            "  -h, --help          show this help\n",
            VIGIL_MAX_NODES, (unsigned long long)disk_size_needed(VIGIL_MAX_NODES));
}

/* A device that does not answer: say so and leave. The worker thread is
 * stuck in the kernel; joining it would hang, exit() could too (it runs
 * atexit handlers while the thread may hold locks). */
static _Noreturn void give_up(const char *device, vg_usec_t timeout)
{
    char d[32];

    fflush(stdout);
    ctl_error("%s did not answer within %s (its I/O hangs); giving up", device,
              conf_format_duration(timeout, d, sizeof(d)));
    fflush(stderr);
    _exit(CTL_EXIT_FAIL);
}

/* Run fn(arg) in the worker with the deadline: its result, or -errno when
 * no thread could be started (said here). Does not return on a timeout. */
int ctl_disk_run_bounded(const char *device, vg_usec_t timeout, int (*fn)(void *), void *arg)
{
    int result, r = ctl_disk_bounded(fn, arg, timeout, &result);

    if (r == -ETIMEDOUT)
        give_up(device, timeout);
    if (r < 0) {
        ctl_error("cannot start a thread for the I/O on %s: %s", device, strerror(-r));
        return r;
    }
    return result;
}

/* Load a configuration, printing its errors the way config check does. */
static struct conf *load_conf(const char *path)
{
    struct conf *c = calloc(1, sizeof(*c));
    struct conf_diag *diag = calloc(1, sizeof(*diag));
    int r;

    if (!c || !diag) {
        ctl_error("out of memory");
        goto fail;
    }
    r = conf_load(path, c, diag);
    if (r == 0) {
        free(diag);
        return c;
    }
    ctl_print_conf_errors(path, r, diag);
fail:
    free(c);
    free(diag);
    return NULL;
}

/* ---- init ---- */

struct init_io {
    const char *device;
    struct ctl_disk_probe probe;
    struct disk_header header;
    char err[CTL_DISK_MSG_LEN];
};

static int init_probe_io(void *arg)
{
    struct init_io *io = arg;

    return ctl_disk_probe(io->device, &io->probe, io->err, sizeof(io->err));
}

static int init_write_io(void *arg)
{
    struct init_io *io = arg;

    return ctl_disk_write_area(io->probe.fd, io->device, &io->header, io->err, sizeof(io->err));
}

/* close() waits for a FUSE daemon or a flush too: in the worker as well. */
static int init_close_io(void *arg)
{
    struct init_io *io = arg;
    int r = 0;

    if (io->probe.fd >= 0 && close(io->probe.fd) < 0)
        r = -errno;
    io->probe.fd = -1;
    return r;
}

int ctl_disk_init(const char *device, const struct conf *c, bool force, vg_usec_t timeout,
                  FILE *out)
{
    struct init_io *io = calloc(1, sizeof(*io));
    struct ctl_disk_verdict *v = calloc(1, sizeof(*v));
    char a[32], b[32];
    int r, code = CTL_EXIT_FAIL;

    if (!io || !v) {
        ctl_error("out of memory");
        goto out;
    }
    io->device = device;
    io->probe.fd = -1;
    r = ctl_disk_run_bounded(device, timeout, init_probe_io, io);
    if (r < 0) {
        if (io->err[0])
            ctl_error("%s", io->err);
        goto close;
    }

    ctl_disk_decide(&io->probe, device, c, force, v);
    for (int i = 0; i < v->n_refusals; i++)
        ctl_error("%s", v->refusals[i]);
    if (!v->write) {
        ctl_error("not initialising %s", device);
        goto close;
    }
    for (int i = 0; i < v->n_warnings; i++)
        ctl_error("warning: %s", v->warnings[i]);

    ctl_disk_header_for(c, device, (uint64_t)time(NULL), &io->header);
    r = ctl_disk_run_bounded(device, timeout, init_write_io, io);
    if (r < 0) {
        ctl_error("%s", io->err);
        goto close;
    }
    r = ctl_disk_run_bounded(device, timeout, init_close_io, io);
    if (r < 0) {
        ctl_error("cannot close %s: %s; run init again", device, strerror(-r));
        goto out;
    }
    fprintf(out,
            "initialised %s for cluster \"%s\": %u slots and mailboxes (node ids 1..%u), "
            "%llu bytes; interval %s, timeout %s\n",
            device, c->cluster_name, io->header.slots, io->header.slots,
            (unsigned long long)disk_size_needed(io->header.slots),
            conf_format_duration(io->header.interval, a, sizeof(a)),
            conf_format_duration(io->header.timeout, b, sizeof(b)));
    if (io->probe.kind == CTL_DISK_FILE)
        fprintf(out,
                "note: %s is a regular file: fine for tests on this machine; a cluster "
                "needs a partition of a disk that every node sees\n",
                device);
    code = CTL_EXIT_OK;
    goto out;
close:
    if (io->probe.fd >= 0)
        ctl_disk_run_bounded(device, timeout, init_close_io, io);
out:
    free(io);
    free(v);
    return code;
}

/* ---- dump ---- */

struct dump_io {
    const char *device;
    struct ctl_disk_image img;
    char err[CTL_DISK_MSG_LEN];
};

static int dump_read_io(void *arg)
{
    struct dump_io *io = arg;

    return ctl_disk_read_image(io->device, &io->img, io->err, sizeof(io->err));
}

static uint64_t wall_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * VG_USEC_PER_SEC + (uint64_t)ts.tv_nsec / 1000;
}

int ctl_disk_dump(const char *device, const struct conf *c, bool json, vg_usec_t timeout, FILE *out)
{
    struct dump_io *io = calloc(1, sizeof(*io));
    int r, code = CTL_EXIT_FAIL;

    if (!io) {
        ctl_error("out of memory");
        return CTL_EXIT_FAIL;
    }
    io->device = device;
    r = ctl_disk_run_bounded(device, timeout, dump_read_io, io);
    if (r < 0) {
        if (io->err[0])
            ctl_error("%s", io->err);
        goto out;
    }
    if (json)
        r = ctl_disk_dump_json(&io->img, device, c, wall_now(), out);
    else
        r = ctl_disk_dump_text(&io->img, device, c, wall_now(), out);
    if (r < 0)
        ctl_error("cannot write the dump of %s: %s", device, strerror(-r));
    else if (r > 0)
        ctl_error("%s: %d problem%s found (see above)", device, r, r == 1 ? "" : "s");
    else
        code = CTL_EXIT_OK;
out:
    ctl_disk_image_free(&io->img);
    free(io);
    return code;
}

/* ---- command line ---- */

/* The value of an option given as "--name VALUE", "--name=VALUE" or
 * "-n VALUE"; NULL when a is not that option. *i moves past a separate
 * value; a missing value gives "". */
static const char *option_value(int argc, char **argv, int *i, const char *longname,
                                const char *shortname)
{
    const char *a = argv[*i];
    size_t n = strlen(longname);

    if (strncmp(a, longname, n) == 0 && a[n] == '=')
        return a + n + 1;
    if (strcmp(a, longname) != 0 && (!shortname || strcmp(a, shortname) != 0))
        return NULL;
    if (*i + 1 >= argc)
        return "";
    return argv[++*i];
}

static int disk_run(const struct ctl_ctx *ctx, int argc, char **argv)
{
    const char *sub, *device = NULL, *conf_path = NULL, *timeout_text = NULL, *val;
    const char *words[3] = {NULL, NULL, NULL}; /* DEVICE [NODE REQUEST] */
    int n_words = 0;
    vg_usec_t timeout = CTL_DISK_DEFAULT_TIMEOUT;
    bool force = false, json = false, init, message;
    int opts_done = 0, code;
    struct conf *c = NULL;

    if (argc < 2)
        return ctl_usage_error(disk_usage, "disk: missing subcommand (init, dump or message)");
    sub = argv[1];
    if (ctl_is_help(sub)) {
        disk_usage(stdout);
        return CTL_EXIT_OK;
    }
    if (strcmp(sub, "init") != 0 && strcmp(sub, "dump") != 0 && strcmp(sub, "message") != 0)
        return ctl_usage_error(disk_usage, "disk: unknown subcommand '%s' (init, dump or message)",
                               sub);
    init = strcmp(sub, "init") == 0;
    message = strcmp(sub, "message") == 0;

    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];

        if (opts_done || a[0] != '-' || a[1] == '\0') {
            if (n_words >= (message ? 3 : 1))
                return ctl_usage_error(disk_usage, "disk %s: unexpected argument '%s'", sub, a);
            words[n_words++] = a;
        } else if (ctl_is_help(a)) {
            disk_usage(stdout);
            return CTL_EXIT_OK;
        } else if (strcmp(a, "--") == 0) {
            opts_done = 1;
        } else if ((val = option_value(argc, argv, &i, "--config", "-c"))) {
            if (!*val)
                return ctl_usage_error(disk_usage, "disk %s: option '%s' needs a FILE", sub, a);
            conf_path = val;
        } else if ((val = option_value(argc, argv, &i, "--timeout", NULL))) {
            if (!*val)
                return ctl_usage_error(disk_usage, "disk %s: option '--timeout' needs a DURATION",
                                       sub);
            timeout_text = val;
        } else if (init && (strcmp(a, "--force") == 0 || strcmp(a, "-f") == 0)) {
            force = true;
        } else if (!init && (strcmp(a, "--json") == 0 || strcmp(a, "-j") == 0)) {
            json = true;
        } else {
            return ctl_usage_error(disk_usage, "disk %s: unknown option '%s'", sub, a);
        }
    }
    device = words[0];
    if (!device || !*device)
        return ctl_usage_error(disk_usage, "disk %s: missing DEVICE", sub);
    if (message && n_words < 3)
        return ctl_usage_error(disk_usage, "disk message: expected DEVICE NODE REQUEST");
    if ((init || message) && !conf_path)
        return ctl_usage_error(disk_usage, "disk %s: missing -c FILE (the cluster configuration)",
                               sub);
    if (timeout_text && conf_parse_duration(timeout_text, &timeout) < 0)
        return ctl_usage_error(disk_usage,
                               "disk %s: bad --timeout '%s': expected a duration with a unit, "
                               "e.g. 5s or 500ms",
                               sub, timeout_text);

    if (conf_path) {
        c = load_conf(conf_path);
        if (!c)
            return CTL_EXIT_FAIL;
    }
    if (init)
        code = ctl_disk_init(device, c, force, timeout, stdout);
    else if (message)
        code = ctl_disk_message(device, c, words[1], words[2], timeout, stdout);
    else
        code = ctl_disk_dump(device, c, json, timeout, stdout);
    free(c);
    return code;
}

const struct ctl_command ctl_cmd_disk = {
    .name = "disk",
    .summary = "prepare, show or message the disk heartbeat area (disk init|dump|message)",
    .run = disk_run,
    .usage = disk_usage,
};
