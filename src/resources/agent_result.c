/* What an agent's exit means (pure): the outcome for each kind and action,
 * and one sentence saying so, with the agent's own last word. The table is
 * in docs/agents.md. */
#include "agent.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define EXIT_REASON_PREFIX "ocf-exit-reason:"
#define WORD_MAX 300         /* of the agent's own words quoted in a reason */
#define SYSTEMCTL_INACTIVE 3 /* `systemctl is-active`: the unit is not active */

const char *agent_action_name(enum agent_action a)
{
    static const char *const names[AGENT_ACTION_COUNT] = {
        [AGENT_ACTION_START] = "start",
        [AGENT_ACTION_STOP] = "stop",
        [AGENT_ACTION_MONITOR] = "monitor",
        [AGENT_ACTION_META_DATA] = "meta-data",
        [AGENT_ACTION_VALIDATE_ALL] = "validate-all",
    };

    return (unsigned)a < AGENT_ACTION_COUNT ? names[a] : "unknown-action";
}

const char *agent_outcome_name(enum agent_outcome o)
{
    switch (o) {
    case AGENT_OK:
        return "ok";
    case AGENT_NOT_RUNNING:
        return "not running";
    case AGENT_FAILED:
        return "failed";
    case AGENT_TIMED_OUT:
        return "timed out";
    case AGENT_CANNOT_RUN:
        return "cannot run";
    }
    return "unknown";
}

const char *agent_kind_name(enum agent_kind k)
{
    switch (k) {
    case AGENT_KIND_EXEC:
        return "exec";
    case AGENT_KIND_OCF:
        return "ocf";
    case AGENT_KIND_SYSTEMD:
        return "systemd";
    }
    return "unknown";
}

const char *agent_ocf_code_name(int code)
{
    static const char *const names[] = {
        "OCF_SUCCESS",           "OCF_ERR_GENERIC", "OCF_ERR_ARGS",
        "OCF_ERR_UNIMPLEMENTED", "OCF_ERR_PERM",    "OCF_ERR_INSTALLED",
        "OCF_ERR_CONFIGURED",    "OCF_NOT_RUNNING", "OCF_RUNNING_PROMOTED",
        "OCF_FAILED_PROMOTED",
    };

    return code >= 0 && (size_t)code < sizeof(names) / sizeof(names[0]) ? names[code] : NULL;
}

/* What an OCF code means to an operator, in a few words. */
static const char *ocf_code_meaning(int code)
{
    static const char *const meanings[] = {
        "success",
        "generic error",
        "bad or missing parameters",
        "action not implemented by the agent",
        "insufficient privileges",
        "something the agent needs is not installed on this node",
        "the resource's configuration is wrong",
        "not running",
        "running, promoted",
        "failed, promoted",
    };

    return code >= 0 && (size_t)code < sizeof(meanings) / sizeof(meanings[0]) ? meanings[code]
                                                                              : NULL;
}

/* The outcome of an exit code. exec and OCF share OCF's 0 and 7 (a stop
 * that finds nothing running has done its job); OCF adds the promoted
 * codes; systemctl says 3 for an inactive unit. */
static enum agent_outcome exit_outcome(enum agent_kind kind, enum agent_action action, int code)
{
    bool promoted_running = kind == AGENT_KIND_OCF && code == OCF_RUNNING_PROMOTED;

    if (kind == AGENT_KIND_SYSTEMD && action == AGENT_ACTION_MONITOR)
        return code == 0 ? AGENT_OK : code == SYSTEMCTL_INACTIVE ? AGENT_NOT_RUNNING : AGENT_FAILED;
    if (code == 0)
        return AGENT_OK;
    if (kind == AGENT_KIND_SYSTEMD)
        return AGENT_FAILED;
    switch (action) {
    case AGENT_ACTION_MONITOR:
        if (code == OCF_NOT_RUNNING)
            return AGENT_NOT_RUNNING;
        return promoted_running ? AGENT_OK : AGENT_FAILED;
    case AGENT_ACTION_START:
        return promoted_running ? AGENT_OK : AGENT_FAILED;
    case AGENT_ACTION_STOP:
        return code == OCF_NOT_RUNNING ? AGENT_OK : AGENT_FAILED;
    default:
        return AGENT_FAILED;
    }
}

/* The last line of out that starts with prefix (NULL: the last non-blank
 * line), without the prefix and surrounding blanks. */
static bool last_line(const struct spawn_output *out, const char *prefix, const char **text,
                      size_t *len)
{
    size_t plen = prefix ? strlen(prefix) : 0;
    const char *p, *end;
    bool found = false;

    if (!out->data)
        return false;
    p = out->data;
    end = out->data + out->len;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end, *s = p;

        if (!prefix || ((size_t)(e - s) >= plen && memcmp(s, prefix, plen) == 0)) {
            s += plen;
            while (s < e && (*s == ' ' || *s == '\t'))
                s++;
            while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
                e--;
            if (e > s || prefix) {
                *text = s;
                *len = (size_t)(e - s);
                found = true;
            }
        }
        p = nl ? nl + 1 : end;
    }
    return found;
}

/* Append ": \"the agent's own words\"" when it left any: OCF's exit reason
 * first, else its last line of output; stderr (kept apart for meta-data
 * only) before stdout. */
static void append_agent_word(enum agent_kind kind, const struct spawn_result *sr, char *reason,
                              size_t reason_len)
{
    const struct spawn_output *streams[] = {&sr->err, &sr->out};
    const size_t n_streams = sizeof(streams) / sizeof(streams[0]);
    char word[WORD_MAX];
    const char *text = NULL;
    size_t len = 0, used = strlen(reason);
    bool found = false;

    for (size_t i = 0; kind == AGENT_KIND_OCF && !found && i < n_streams; i++)
        found = last_line(streams[i], EXIT_REASON_PREFIX, &text, &len) && len > 0;
    for (size_t i = 0; !found && i < n_streams; i++)
        found = last_line(streams[i], NULL, &text, &len);
    if (!found || used >= reason_len)
        return;
    spawn_line_escape(text, len, word, sizeof(word));
    snprintf(reason + used, reason_len - used, ": \"%s\"", word);
}

/* "exit 6, OCF_ERR_CONFIGURED: the resource's configuration is wrong": the
 * code, its OCF name, and for a failure what it means (for a success or a
 * clean stop, the sentence around it says that already). */
static void exit_phrase(enum agent_kind kind, int code, bool failed, char *buf, size_t len)
{
    const char *name = kind == AGENT_KIND_OCF ? agent_ocf_code_name(code) : NULL;
    const char *meaning = NULL;
    size_t used;

    if (failed && kind == AGENT_KIND_OCF)
        meaning = ocf_code_meaning(code);
    else if (failed && kind == AGENT_KIND_EXEC && code == OCF_NOT_RUNNING)
        meaning = "not running";
    snprintf(buf, len, "exit %d", code);
    used = strlen(buf);
    if (name)
        used += (size_t)snprintf(buf + used, len - used, ", %s", name);
    if (meaning && used < len)
        snprintf(buf + used, len - used, ": %s", meaning);
}

/* What to do about an agent that could not be run. */
static const char *cannot_run_hint(enum agent_kind kind, int error)
{
    if (error == ENOENT && kind == AGENT_KIND_OCF)
        return ": install the agent on this node (ocf:heartbeat agents come with the "
               "resource-agents package) or fix the agent name";
    if (error == ENOENT && kind == AGENT_KIND_SYSTEMD)
        return ": systemctl is missing on this node; is systemd installed?";
    if (error == EACCES || error == ENOEXEC)
        return ": the file must be an executable program or script (chmod +x; #! line)";
    return "";
}

void agent_classify(enum agent_kind kind, enum agent_action action, const char *label,
                    const struct spawn_result *sr, struct agent_result *out, char *reason,
                    size_t reason_len)
{
    char what[512], phrase[160];

    memset(out, 0, sizeof(*out));
    out->kind = kind;
    out->action = action;
    out->exit_code = -1;
    out->duration = sr->duration;
    out->out = sr->out;
    out->err = sr->err;
    out->reason = reason;
    spawn_status_text(sr, what, sizeof(what));

    switch (sr->outcome) {
    case SPAWN_FAILED:
        out->outcome = AGENT_CANNOT_RUN;
        out->error = sr->error;
        snprintf(reason, reason_len, "%s: %s%s", label, what, cannot_run_hint(kind, sr->error));
        return;
    case SPAWN_TIMED_OUT:
        out->outcome = AGENT_TIMED_OUT;
        out->signal = sr->signal;
        out->still_running = sr->still_running;
        snprintf(reason, reason_len, "%s: %s%s", label, what,
                 action == AGENT_ACTION_STOP ? ": the resource may still be running" : "");
        return;
    case SPAWN_SIGNALED:
        out->outcome = AGENT_FAILED;
        out->signal = sr->signal;
        snprintf(reason, reason_len, "%s failed: %s", label, what);
        append_agent_word(kind, sr, reason, reason_len);
        return;
    case SPAWN_EXITED:
        break;
    }

    out->exit_code = sr->exit_code;
    out->outcome = exit_outcome(kind, action, sr->exit_code);
    exit_phrase(kind, sr->exit_code, out->outcome == AGENT_FAILED, phrase, sizeof(phrase));
    switch (out->outcome) {
    case AGENT_OK:
        if (action == AGENT_ACTION_MONITOR)
            snprintf(reason, reason_len, "%s: running (%s)", label, phrase);
        else if (action == AGENT_ACTION_STOP && sr->exit_code == OCF_NOT_RUNNING)
            snprintf(reason, reason_len, "%s: succeeded, it was not running (%s)", label, phrase);
        else
            snprintf(reason, reason_len, "%s: succeeded (%s)", label, phrase);
        return;
    case AGENT_NOT_RUNNING:
        snprintf(reason, reason_len, "%s: not running (%s)", label, phrase);
        break;
    default:
        snprintf(reason, reason_len, "%s failed: %s", label, phrase);
        break;
    }
    append_agent_word(kind, sr, reason, reason_len);
}
