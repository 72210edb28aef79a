/* The `systemd` resource kind: a unit started, stopped and checked with
 * systemctl (start, stop, is-active --quiet), which waits for the job to
 * finish; the timeout is ours. */
#include "../common/errbuf.h"
#include "agent_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>

/* The unit types that a resource can start and stop (not device, slice or
 * scope). A name without one of them is a service, as for systemctl. */
static const char *const unit_suffixes[] = {
    ".service", ".socket", ".target", ".mount", ".automount", ".swap", ".timer", ".path",
};

static bool unit_char_valid(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ':' ||
           c == '-' || c == '_' || c == '.' || c == '\\' || c == '@';
}

static bool has_unit_suffix(const char *s, size_t n)
{
    for (size_t i = 0; i < sizeof(unit_suffixes) / sizeof(unit_suffixes[0]); i++) {
        size_t l = strlen(unit_suffixes[i]);

        if (n > l && strcmp(s + n - l, unit_suffixes[i]) == 0)
            return true;
    }
    return false;
}

int agent_systemd_parse_unit(const char *s, struct agent_systemd *out, char *err, size_t errlen)
{
    static const char form[] = "expected a unit name such as app.service or app@1.service";
    const char *at;
    size_t n = s ? strlen(s) : 0;
    bool suffix;

    if (n == 0)
        return errbuf_fail(err, errlen, -EINVAL, "empty unit name: %s", form);
    for (size_t i = 0; i < n; i++)
        if (!unit_char_valid(s[i]))
            return errbuf_fail(err, errlen, -EINVAL,
                               "unit '%.100s': only letters, digits and ':-_.\\@' are allowed (%s)",
                               s, form);
    if (s[0] == '-' || s[0] == '.' || s[0] == '@')
        return errbuf_fail(err, errlen, -EINVAL,
                           "unit '%.100s' may not start with '-', '.' or '@' (%s)", s, form);
    suffix = has_unit_suffix(s, n);
    if (n + (suffix ? 0 : strlen(".service")) >= AGENT_UNIT_MAX)
        return errbuf_fail(err, errlen, -EINVAL, "unit '%.100s...' is longer than %d characters", s,
                           AGENT_UNIT_MAX - 1);
    if ((at = strchr(s, '@')) && (strchr(at + 1, '@') || at[1] == '.' || at[1] == '\0'))
        return errbuf_fail(err, errlen, -EINVAL,
                           "unit '%.100s': a template needs exactly one '@' and an instance "
                           "after it, e.g. app@1.service",
                           s);
    memset(out, 0, sizeof(*out));
    snprintf(out->unit, sizeof(out->unit), "%s%s", s, suffix ? "" : ".service");
    return 0;
}

bool agent_systemd_available(char *why, size_t whylen)
{
    if (sd_booted() > 0)
        return true;
    errbuf_set(why, whylen,
               "systemd is not running on this machine (no /run/systemd/system): systemd "
               "resources cannot be managed here");
    return false;
}

int agent_systemd_run(sd_event *ev, const struct agent_systemd *u, const struct agent_request *req,
                      agent_done_fn done, void *userdata, struct agent_op **ret, char *err,
                      size_t errlen)
{
    char what[AGENT_UNIT_MAX + 16], label[AGENT_LABEL_MAX];
    const char *systemctl;
    struct spawn_env env = {0};
    int r;

    if (!u || !u->unit[0])
        return errbuf_fail(err, errlen, -EINVAL, "no systemd unit given");
    if ((r = agent_check_request(req, err, errlen)) < 0)
        return r;
    snprintf(what, sizeof(what), "unit %s", u->unit);
    agent_label(req, what, label, sizeof(label));
    systemctl = u->systemctl ? u->systemctl : AGENT_SYSTEMCTL_DEFAULT;
    if (systemctl[0] != '/')
        return errbuf_fail(err, errlen, -EINVAL, "%s: systemctl '%.100s' is not an absolute path",
                           label, systemctl);
    if (req->action != AGENT_ACTION_START && req->action != AGENT_ACTION_STOP &&
        req->action != AGENT_ACTION_MONITOR)
        return errbuf_fail(err, errlen, -EOPNOTSUPP,
                           "%s: a systemd resource has only start, stop and monitor", label);
    if ((r = agent_env_common(&env, req, err, errlen)) < 0)
        goto out;
    {
        char *start[] = {(char *)systemctl, "--no-ask-password", "start", (char *)u->unit, NULL};
        char *stop[] = {(char *)systemctl, "--no-ask-password", "stop", (char *)u->unit, NULL};
        char *monitor[] = {(char *)systemctl, "--no-ask-password", "is-active",
                           "--quiet",         (char *)u->unit,     NULL};
        struct agent_launch l = {
            .kind = AGENT_KIND_SYSTEMD,
            .action = req->action,
            .label = label,
            .argv = req->action == AGENT_ACTION_START  ? start
                    : req->action == AGENT_ACTION_STOP ? stop
                                                       : monitor,
            .envp = env.vars,
        };

        r = agent_launch(ev, req, &l, done, userdata, ret, err, errlen);
    }
out:
    spawn_env_free(&env);
    return r;
}
