/* Running one action of a fence agent (fence_agent.h): finding the agent,
 * its stdin, the child process, and what its exit means. */
#include "fence_agent.h"

#include "../common/errbuf.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STATUS_EXIT_OFF 2 /* fence-agents: `status` says the plug is off */
#define WORD_MAX 300      /* of the agent's own words quoted in a reason */
#define META_OUTPUT_LIMIT (1024 * 1024)

struct fence_op {
    struct spawn *spawn;
    fence_done_fn done;
    void *userdata;
    enum fence_action action;
    bool in_callback;
    char label[FENCE_REASON_MAX / 2];
};

const char *fence_action_name(enum fence_action a)
{
    static const char *const names[FENCE_ACTION_COUNT] = {
        [FENCE_ACTION_OFF] = "off",         [FENCE_ACTION_ON] = "on",
        [FENCE_ACTION_REBOOT] = "reboot",   [FENCE_ACTION_STATUS] = "status",
        [FENCE_ACTION_MONITOR] = "monitor", [FENCE_ACTION_METADATA] = "metadata",
    };

    return (unsigned)a < FENCE_ACTION_COUNT ? names[a] : "unknown-action";
}

const char *fence_outcome_name(enum fence_outcome o)
{
    switch (o) {
    case FENCE_OK:
        return "ok";
    case FENCE_POWERED_OFF:
        return "powered off";
    case FENCE_FAILED:
        return "failed";
    case FENCE_TIMED_OUT:
        return "timed out";
    case FENCE_CANNOT_RUN:
        return "cannot run";
    }
    return "unknown";
}

static bool is_executable_file(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

static bool agent_name_valid(const char *name)
{
    if (!name[0] || name[0] == '.' || strlen(name) >= FENCE_AGENT_NAME_MAX)
        return false;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '.' || *p == '+' || *p == '-'))
            return false;
    return true;
}

int fence_agent_find(const char *name, const char *dirs, char *path, size_t pathlen, char *err,
                     size_t errlen)
{
    char list[PATH_MAX];
    char *save = NULL;

    if (!name || !name[0])
        return errbuf_fail(err, errlen, -EINVAL, "no fence agent named");
    if (name[0] == '/') {
        if (strlen(name) >= pathlen)
            return errbuf_fail(err, errlen, -ENAMETOOLONG, "fence agent path too long: %s", name);
        if (!is_executable_file(name))
            return errbuf_fail(err, errlen, -ENOENT,
                               "fence agent %s is not an executable file: install it, or name "
                               "another agent",
                               name);
        snprintf(path, pathlen, "%s", name);
        return 0;
    }
    if (!agent_name_valid(name))
        return errbuf_fail(err, errlen, -EINVAL,
                           "fence agent '%s' is neither an absolute path nor a plain name "
                           "(letters, digits, _ . + -)",
                           name);
    if (!dirs)
        dirs = FENCE_AGENT_DIRS;
    if (strlen(dirs) >= sizeof(list))
        return errbuf_fail(err, errlen, -ENAMETOOLONG, "fence agent directories too long");
    snprintf(list, sizeof(list), "%s", dirs);
    for (char *dir = strtok_r(list, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
        int n = snprintf(path, pathlen, "%s/%s", dir, name);
        if (n < 0 || (size_t)n >= pathlen)
            return errbuf_fail(err, errlen, -ENAMETOOLONG, "fence agent path too long: %s/%s", dir,
                               name);
        if (is_executable_file(path))
            return 0;
    }
    path[0] = '\0';
    return errbuf_fail(err, errlen, -ENOENT,
                       "fence agent %s not found in %s: install it (Debian: fence-agents) or "
                       "give its absolute path",
                       name, dirs);
}

bool fence_param_name_valid(const char *name)
{
    size_t n = name ? strlen(name) : 0;

    if (n == 0 || n >= FENCE_NAME_MAX)
        return false;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '-' || *p == '.'))
            return false;
    return true;
}

bool fence_param_reserved(const char *name)
{
    static const char *const reserved[] = {"action", "plug", "port", "nodename"};

    for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
        if (strcmp(name, reserved[i]) == 0)
            return true;
    return false;
}

/* A value fit for one stdin line: no line break, no control byte (a tab is
 * fine: passwords may hold one). */
static bool value_valid(const char *v)
{
    for (; *v; v++)
        if (((unsigned char)*v < 0x20 && *v != '\t') || *v == 0x7f)
            return false;
    return true;
}

/* Append "name=value\n"; -ENOSPC. */
static int put_line(char *buf, size_t size, size_t *off, const char *name, const char *value)
{
    int n = snprintf(buf + *off, size - *off, "%s=%s\n", name, value);

    if (n < 0 || (size_t)n >= size - *off)
        return -ENOSPC;
    *off += (size_t)n;
    return 0;
}

int fence_agent_stdin(const struct fence_agent *a, enum fence_action action, const char *plug,
                      char *buf, size_t size, size_t *len, char *err, size_t errlen)
{
    size_t off = 0;

    if (!a || !buf || size == 0)
        return errbuf_fail(err, errlen, -EINVAL, "no fence device given");
    if ((unsigned)action >= FENCE_ACTION_COUNT)
        return errbuf_fail(err, errlen, -EINVAL, "unknown fence action %d", (int)action);
    buf[0] = '\0';
    if (put_line(buf, size, &off, "action", fence_action_name(action)) < 0)
        return errbuf_fail(err, errlen, -ENOSPC, "fence agent input too long");
    if (plug) {
        if (!plug[0] || !value_valid(plug))
            return errbuf_fail(err, errlen, -EINVAL,
                               "plug '%s' is empty or holds a line break or control character",
                               plug);
        if (put_line(buf, size, &off, "plug", plug) < 0)
            return errbuf_fail(err, errlen, -ENOSPC, "fence agent input too long");
    }
    for (size_t i = 0; i < a->n_params; i++) {
        const struct fence_param *p = &a->params[i];
        if (!fence_param_name_valid(p->name))
            return errbuf_fail(
                err, errlen, -EINVAL,
                "fence parameter name '%s' is not usable: letters, digits, _ - and . "
                "only",
                p->name ? p->name : "");
        if (fence_param_reserved(p->name))
            return errbuf_fail(err, errlen, -EINVAL,
                               "fence parameter '%s' is set by Vigil for each action and node: "
                               "remove it (use plug-map for the plug of each node)",
                               p->name);
        if (!p->value || !value_valid(p->value))
            return errbuf_fail(err, errlen, -EINVAL,
                               "fence parameter '%s' holds a line break or control character",
                               p->name);
        if (put_line(buf, size, &off, p->name, p->value) < 0)
            return errbuf_fail(err, errlen, -ENOSPC,
                               "fence agent input longer than %d bytes: shorten the parameters",
                               FENCE_STDIN_MAX);
    }
    if (len)
        *len = off;
    return 0;
}

enum fence_outcome fence_outcome_of(enum fence_action action, const struct spawn_result *r)
{
    switch (r->outcome) {
    case SPAWN_FAILED:
        return FENCE_CANNOT_RUN;
    case SPAWN_TIMED_OUT:
        return FENCE_TIMED_OUT;
    case SPAWN_SIGNALED:
        return FENCE_FAILED;
    case SPAWN_EXITED:
        break;
    }
    if (r->exit_code == 0)
        return FENCE_OK;
    if (action == FENCE_ACTION_STATUS && r->exit_code == STATUS_EXIT_OFF)
        return FENCE_POWERED_OFF;
    return FENCE_FAILED;
}

/* The agent's last non-blank line of output, for the reason. */
static void last_word(const struct spawn_output *o, char *buf, size_t size)
{
    struct spawn_line lines[64];
    size_t n = 0, total = 0;

    buf[0] = '\0';
    if (!o->data || !o->len)
        return;
    /* keep the tail: split from the last few KiB */
    const char *start = o->len > 4096 ? o->data + o->len - 4096 : o->data;
    spawn_split_lines(start, (size_t)(o->data + o->len - start), lines, 64, &n, &total);
    for (size_t i = n; i-- > 0;) {
        const char *t = lines[i].text;
        size_t l = lines[i].len;
        while (l && (t[0] == ' ' || t[0] == '\t'))
            t++, l--;
        while (l && (t[l - 1] == ' ' || t[l - 1] == '\t' || t[l - 1] == '\r'))
            l--;
        if (l) {
            spawn_line_escape(t, l, buf, size);
            return;
        }
    }
}

static void on_spawn_done(struct spawn *s, const struct spawn_result *r, void *userdata)
{
    struct fence_op *op = userdata;
    char status[256], word[WORD_MAX], reason[FENCE_REASON_MAX];
    struct fence_result fr = {
        .action = op->action,
        .exit_code = r->outcome == SPAWN_EXITED ? r->exit_code : -1,
        .signal = r->signal,
        .error = r->error,
        .still_running = r->still_running,
        .duration = r->duration,
        .out = r->out,
    };

    (void)s;
    fr.outcome = fence_outcome_of(op->action, r);
    spawn_status_text(r, status, sizeof(status));
    last_word(&r->out, word, sizeof(word));
    switch (fr.outcome) {
    case FENCE_OK:
        snprintf(reason, sizeof(reason), "%s: %s (%s)", op->label,
                 op->action == FENCE_ACTION_STATUS ? "the plug is on" : "succeeded", status);
        break;
    case FENCE_POWERED_OFF:
        snprintf(reason, sizeof(reason), "%s: the plug is off (%s)", op->label, status);
        break;
    default:
        snprintf(reason, sizeof(reason), "%s: %s (%s)%s%s%s", op->label,
                 fence_outcome_name(fr.outcome), status, word[0] ? ": \"" : "", word,
                 word[0] ? "\"" : "");
        break;
    }
    fr.reason = reason;
    op->in_callback = true;
    op->done(op, &fr, op->userdata);
    free(op);
}

int fence_agent_run(sd_event *ev, const struct fence_agent *a, enum fence_action action,
                    const char *plug, const char *label, vg_usec_t timeout, vg_usec_t kill_grace,
                    int64_t priority, fence_done_fn done, void *userdata, struct fence_op **ret,
                    char *err, size_t errlen)
{
    char input[FENCE_STDIN_MAX];
    size_t len = 0;
    struct fence_op *op;
    int rc;

    if (!ev || !done || !a || !a->path || a->path[0] != '/')
        return errbuf_fail(err, errlen, -EINVAL, "fence agent run: no loop, callback or path");
    if ((rc = fence_agent_stdin(a, action, plug, input, sizeof(input), &len, err, errlen)) < 0)
        return rc;
    if (!(op = calloc(1, sizeof(*op))))
        return errbuf_fail(err, errlen, -ENOMEM, "out of memory");
    op->done = done;
    op->userdata = userdata;
    op->action = action;
    if (label && label[0])
        snprintf(op->label, sizeof(op->label), "%s", label);
    else
        snprintf(op->label, sizeof(op->label), "%s by %s", fence_action_name(action), a->path);

    char *argv[] = {(char *)a->path, NULL};
    char *envp[] = {"PATH=" AGENT_PATH_ENV, "LANG=C", NULL};
    struct spawn_opts o = {
        .path = a->path,
        .argv = argv,
        .envp = envp,
        .stdin_data = input,
        .stdin_len = len,
        .timeout = timeout ? timeout : FENCE_TIMEOUT_DEFAULT,
        .kill_grace = kill_grace,
        .output_limit = action == FENCE_ACTION_METADATA ? META_OUTPUT_LIMIT : 0,
        .separate_stderr = action == FENCE_ACTION_METADATA,
        .priority = priority,
    };
    if ((rc = spawn_start(ev, &o, on_spawn_done, op, &op->spawn)) < 0) {
        errbuf_fail(err, errlen, rc, "%s: cannot start the agent: %s", op->label, strerror(-rc));
        free(op);
        return rc;
    }
    if (ret)
        *ret = op;
    return 0;
}

void fence_op_cancel(struct fence_op *op)
{
    if (!op || op->in_callback)
        return;
    spawn_cancel(op->spawn);
    free(op);
}

int fence_agent_check_params(const struct fence_agent *a, const struct agent_ocf_meta *m,
                             const char *agent_name, const char *where, char *err, size_t errlen)
{
    for (size_t i = 0; i < m->n_params; i++) {
        const struct agent_ocf_param_meta *pm = &m->params[i];
        bool given = false;
        if (!pm->required || fence_param_reserved(pm->name))
            continue;
        for (size_t k = 0; k < a->n_params && !given; k++)
            given = strcmp(a->params[k].name, pm->name) == 0;
        if (!given)
            return errbuf_fail(err, errlen, -EINVAL,
                               "%s: fence agent %s requires parameter '%s'%s%s%s: add "
                               "'%s = ...' to the section",
                               where, agent_name, pm->name, pm->shortdesc[0] ? " (" : "",
                               pm->shortdesc, pm->shortdesc[0] ? ")" : "", pm->name);
    }
    for (size_t k = 0; k < a->n_params; k++)
        if (!agent_ocf_meta_param(m, a->params[k].name))
            return errbuf_fail(err, errlen, -EINVAL,
                               "%s: fence agent %s has no parameter '%s' (its metadata lists "
                               "them: %s -o metadata): remove it or fix its name",
                               where, agent_name, a->params[k].name, a->path);
    return 0;
}
