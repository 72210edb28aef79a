/* vigilctl move | stop | start | standby | unstandby: give the command to
 * vigild (which sends it to the coordinator), wait until the coordinator
 * took it, then watch this node's status until the cluster is where the
 * command asked, or the timeout ends (docs/vigilctl.md). */
#include "ctl.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>

#include "../common/clock.h"
#include "../conf/conf.h"

#define POLL_MS 100
#define DEFAULT_TIMEOUT (30 * VG_USEC_PER_SEC)

enum goal { GOAL_MOVE, GOAL_MOVE_CLEAR, GOAL_STOP, GOAL_START, GOAL_STANDBY, GOAL_UNSTANDBY };

struct group_cmd {
    const char *name; /* command */
    enum goal goal;
    const char *group, *node;
    vg_usec_t timeout;
    bool no_wait;
    char text[256]; /* "move web beta" */
};

static void group_usage(FILE *out)
{
    fprintf(out, "usage: vigilctl move GROUP NODE [--timeout DURATION] [--no-wait]\n"
                 "       vigilctl move GROUP --clear [--timeout DURATION] [--no-wait]\n"
                 "       vigilctl stop GROUP [--timeout DURATION] [--no-wait]\n"
                 "       vigilctl start GROUP [--timeout DURATION] [--no-wait]\n"
                 "       vigilctl standby NODE [--timeout DURATION] [--no-wait]\n"
                 "       vigilctl unstandby NODE [--timeout DURATION] [--no-wait]\n"
                 "\n"
                 "Change the admin state (docs/groups.md): vigild sends the command to the\n"
                 "coordinator, which applies it; vigilctl then waits until the cluster is\n"
                 "there: move: GROUP online on NODE (it stays there while NODE is healthy,\n"
                 "until 'move GROUP --clear' or a move back to its first node); stop: GROUP\n"
                 "offline everywhere; start: GROUP online somewhere; standby: NODE holds no\n"
                 "group and takes none; unstandby: NODE may take groups again.\n"
                 "\n"
                 "options:\n"
                 "  --timeout DURATION  give up after DURATION (default 30s), with the reason\n"
                 "  --no-wait           return once the coordinator took the command\n"
                 "  -h, --help          show this help\n"
                 "\n"
                 "exit status: 0 done, 1 refused or not done in time (the reason is printed),\n"
                 "2 bad command line.\n");
}

/* 0, -1 after --help, or CTL_EXIT_USAGE (said). */
static int parse(struct group_cmd *c, int argc, char **argv)
{
    const char *pos[2] = {NULL, NULL};
    int n_pos = 0;
    bool clear = false;

    c->timeout = DEFAULT_TIMEOUT;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (ctl_is_help(a)) {
            group_usage(stdout);
            return -1;
        } else if (strcmp(a, "--no-wait") == 0) {
            c->no_wait = true;
        } else if (strcmp(a, "--clear") == 0 && strcmp(c->name, "move") == 0) {
            clear = true;
        } else if (strcmp(a, "--timeout") == 0 || strncmp(a, "--timeout=", 10) == 0) {
            const char *v = a[9] == '=' ? a + 10 : (i + 1 < argc ? argv[++i] : NULL);
            if (!v || conf_parse_duration(v, &c->timeout) < 0 || c->timeout == 0)
                return ctl_usage_error(
                    group_usage, "%s: --timeout needs a duration above 0, like 30s or 2m", c->name);
        } else if (a[0] == '-' && a[1] != '\0') {
            return ctl_usage_error(group_usage, "%s: unknown option '%s'", c->name, a);
        } else if (n_pos < 2) {
            pos[n_pos++] = a;
        } else {
            return ctl_usage_error(group_usage, "%s: unexpected argument '%s'", c->name, a);
        }
    }
    if (strcmp(c->name, "move") == 0) {
        c->goal = clear ? GOAL_MOVE_CLEAR : GOAL_MOVE;
        if (n_pos != (clear ? 1 : 2))
            return ctl_usage_error(group_usage, "move needs GROUP and NODE, or GROUP --clear");
        c->group = pos[0];
        c->node = clear ? NULL : pos[1];
    } else {
        bool is_node = strcmp(c->name, "standby") == 0 || strcmp(c->name, "unstandby") == 0;
        c->goal = strcmp(c->name, "stop") == 0      ? GOAL_STOP
                  : strcmp(c->name, "start") == 0   ? GOAL_START
                  : strcmp(c->name, "standby") == 0 ? GOAL_STANDBY
                                                    : GOAL_UNSTANDBY;
        if (n_pos != 1)
            return ctl_usage_error(group_usage, "%s needs one %s", c->name,
                                   is_node ? "NODE" : "GROUP");
        if (is_node)
            c->node = pos[0];
        else
            c->group = pos[0];
    }
    snprintf(c->text, sizeof(c->text), "%s %s%s%s", c->name, c->group ? c->group : c->node,
             c->node && c->group ? " " : "", c->node && c->group ? c->node : "");
    if (clear)
        snprintf(c->text, sizeof(c->text), "move %s --clear", c->group);
    return 0;
}

static json_t *find_named(json_t *array, const char *name)
{
    size_t k;
    json_t *v;

    json_array_foreach(array, k, v)
    {
        const char *n = json_string_value(json_object_get(v, "name"));
        if (n && strcmp(n, name) == 0)
            return v;
    }
    return NULL;
}

static const char *str_of(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* Whether the status shows the goal reached; when not, *why says where
 * things stand (with the coordinator's placement reason when this node
 * knows it). */
static bool reached(const struct group_cmd *c, json_t *st, char *why, size_t size)
{
    json_t *groups = json_object_get(st, "groups"), *nodes = json_object_get(st, "nodes");
    json_t *g = c->group ? find_named(groups, c->group) : NULL;
    json_t *n = c->node ? find_named(nodes, c->node) : NULL;
    const char *gstate = str_of(g, "state"), *gnode = str_of(g, "node");
    const char *reason = str_of(json_object_get(g, "placement"), "reason");

    if ((c->group && !g) || (c->node && !n)) {
        snprintf(why, size, "this node's status does not show %s %s",
                 c->group && !g ? "group" : "node", c->group && !g ? c->group : c->node);
        return false;
    }
    if (g)
        snprintf(why, size, "group %s is %s%s%s%s%s", c->group, gstate, *gnode ? " on " : "", gnode,
                 *reason ? "; the coordinator: " : "", reason);
    switch (c->goal) {
    case GOAL_MOVE:
        return strcmp(gstate, "online") == 0 && strcmp(gnode, c->node) == 0;
    case GOAL_MOVE_CLEAR:
        snprintf(why, size, "group %s has no move target; it is %s%s%s (placed by its policy now)",
                 c->group, gstate, *gnode ? " on " : "", gnode);
        return json_is_null(json_object_get(g, "move_target"));
    case GOAL_STOP:
        /* failed with a node: its stop failed there, it may still run */
        return strcmp(gstate, "offline") == 0 || (strcmp(gstate, "failed") == 0 && !*gnode);
    case GOAL_START:
        return strcmp(gstate, "online") == 0;
    case GOAL_STANDBY: {
        size_t k;
        json_t *v;
        json_array_foreach(groups, k, v)
        {
            const char *s = str_of(json_object_get(json_object_get(v, "nodes"), c->node), "state");
            if (strcmp(str_of(v, "node"), c->node) == 0 ||
                (*s && strcmp(s, "stopped") != 0 && strcmp(s, "failed") != 0)) {
                snprintf(why, size, "%s still holds group %s (%s)", c->node, str_of(v, "name"),
                         *s ? s : str_of(v, "state"));
                return false;
            }
        }
        snprintf(why, size, "%s is %s", c->node, str_of(n, "state"));
        return strcmp(str_of(n, "state"), "standby") == 0 ||
               strcmp(str_of(n, "state"), "alive") != 0;
    }
    case GOAL_UNSTANDBY:
        snprintf(why, size, "%s is %s", c->node, str_of(n, "state"));
        return strcmp(str_of(n, "state"), "standby") != 0;
    }
    return false;
}

static void pause_ms(int ms)
{
    (void)poll(NULL, 0, ms);
}

/* Ask how command `id` stands until the coordinator answered or the
 * deadline: 0 with *admin_seq, or CTL_EXIT_FAIL (said). */
static int wait_answer(const struct ctl_ctx *ctx, const struct group_cmd *c, json_t *reply,
                       vg_usec_t deadline, uint64_t *admin_seq)
{
    char id[32], err[1024];

    snprintf(id, sizeof(id), "%s", str_of(reply, "id"));
    json_incref(reply);
    for (;;) {
        const char *state = str_of(reply, "state");
        if (strcmp(state, "done") == 0) {
            *admin_seq = (uint64_t)json_integer_value(json_object_get(reply, "admin_seq"));
            json_decref(reply);
            return 0;
        }
        if (strcmp(state, "failed") == 0 || clock_now() >= deadline) {
            ctl_error("%s: %s%s", c->text,
                      strcmp(state, "failed") == 0 ? "" : "not taken by the coordinator in time: ",
                      str_of(reply, "reason"));
            json_decref(reply);
            return CTL_EXIT_FAIL;
        }
        json_decref(reply);
        pause_ms(POLL_MS);
        json_t *req = json_pack("{s:s, s:s}", "command", "request", "id", id);
        int r = ctl_call_request(ctx->socket_path, req, &reply, err, sizeof(err));
        json_decref(req);
        if (r < 0) {
            ctl_error("%s: while waiting for the coordinator's answer: %s", c->text, err);
            return CTL_EXIT_FAIL;
        }
    }
}

static int group_run(const struct ctl_ctx *ctx, int argc, char **argv)
{
    struct group_cmd c = {.name = argv[0]};
    char err[1024], why[1024] = "";
    json_t *req, *reply;
    uint64_t admin_seq;
    int r = parse(&c, argc, argv);

    if (r != 0)
        return r < 0 ? CTL_EXIT_OK : r;
    vg_usec_t start = clock_now(), deadline = start + c.timeout;
    req = json_pack("{s:s, s:I}", "command", c.name, "timeout_ms",
                    (json_int_t)(c.timeout / VG_USEC_PER_MSEC));
    if (c.group)
        json_object_set_new(req, "group", json_string(c.group));
    if (c.node)
        json_object_set_new(req, "node", json_string(c.node));
    if (c.goal == GOAL_MOVE_CLEAR)
        json_object_set_new(req, "clear", json_true());
    r = ctl_call_request(ctx->socket_path, req, &reply, err, sizeof(err));
    json_decref(req);
    if (r < 0) {
        ctl_error("%s: %s", c.text, err);
        return CTL_EXIT_FAIL;
    }
    r = wait_answer(ctx, &c, reply, deadline, &admin_seq);
    json_decref(reply);
    if (r != 0)
        return r;
    if (c.no_wait) {
        printf("%s: taken by the coordinator (admin state %" PRIu64 ".%u)\n", c.text,
               admin_seq >> 8, (unsigned)(admin_seq & 0xff));
        return CTL_EXIT_OK;
    }
    for (;;) {
        json_t *st;
        if (ctl_call(ctx->socket_path, "status", &st, err, sizeof(err)) < 0) {
            ctl_error("%s: taken by the coordinator, but cannot read the status: %s", c.text, err);
            return CTL_EXIT_FAIL;
        }
        uint64_t seen =
            (uint64_t)json_integer_value(json_object_get(json_object_get(st, "admin"), "seq"));
        bool done = seen >= admin_seq && reached(&c, st, why, sizeof(why));
        json_decref(st);
        if (done) {
            char t[32];
            ctl_format_age(t, sizeof(t), (double)(clock_now() - start) / VG_USEC_PER_SEC);
            printf("%s: done in %s: %s\n", c.text, t, why);
            return CTL_EXIT_OK;
        }
        if (clock_now() >= deadline) {
            char t[32];
            ctl_format_age(t, sizeof(t), (double)c.timeout / VG_USEC_PER_SEC);
            ctl_error("%s: taken by the coordinator, not done after %s: %s%s (see vigilctl "
                      "status; raise --timeout if it is still under way)",
                      c.text, t,
                      seen >= admin_seq ? ""
                                        : "this node has not seen the new admin "
                                          "state yet; ",
                      why);
            return CTL_EXIT_FAIL;
        }
        pause_ms(POLL_MS);
    }
}

#define GROUP_COMMAND(n, s)                                                                        \
    const struct ctl_command ctl_cmd_##n = {                                                       \
        .name = #n, .summary = s, .run = group_run, .usage = group_usage}

GROUP_COMMAND(move, "move a group to a node (--clear: drop the move preference)");
GROUP_COMMAND(stop, "stop a group everywhere until 'start'");
GROUP_COMMAND(start, "let a stopped group run again");
GROUP_COMMAND(standby, "take every group off a node; it takes none");
GROUP_COMMAND(unstandby, "let a node in standby take groups again");
