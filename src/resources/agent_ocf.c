/* The `ocf` resource kind: ROOT/resource.d/PROVIDER/TYPE ACTION with the
 * OCF environment (OCF_ROOT, OCF_RESOURCE_*, OCF_RESKEY_<param>, the
 * timeout in OCF_RESKEY_CRM_meta_timeout) as the OCF resource agent API
 * defines it. Meta-data parsing is in agent_ocf_meta.c. */
#include "../common/errbuf.h"
#include "../common/limits.h"
#include "agent_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define OCF_PREFIX "ocf:"
#define OCF_VERSION_MAJOR "1"
#define OCF_VERSION_MINOR "0" /* no promotable clones, notifications or reload here */
#define CRM_META_PREFIX "CRM_meta_"
#define WHAT_MAX (sizeof(OCF_PREFIX) + 2 * AGENT_NAME_MAX)

/* A provider or type: it becomes a path component, so a plain file name. */
static bool ocf_name_valid(const char *s, size_t n)
{
    if (n == 0 || n >= AGENT_NAME_MAX || s[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '+' || c == '-'))
            return false;
    }
    return true;
}

int agent_ocf_parse(const char *spec, struct agent_ocf *out, char *err, size_t errlen)
{
    static const char form[] = "expected ocf:PROVIDER:TYPE, e.g. ocf:heartbeat:IPaddr2";
    const char *provider, *colon, *type;

    if (!spec || strncmp(spec, OCF_PREFIX, strlen(OCF_PREFIX)) != 0)
        return errbuf_fail(err, errlen, -EINVAL, "agent '%.100s' is not an OCF agent name: %s",
                           spec ? spec : "", form);
    provider = spec + strlen(OCF_PREFIX);
    if (!(colon = strchr(provider, ':')))
        return errbuf_fail(err, errlen, -EINVAL, "agent '%.100s' has no type: %s", spec, form);
    type = colon + 1;
    if (!ocf_name_valid(provider, (size_t)(colon - provider)))
        return errbuf_fail(err, errlen, -EINVAL,
                           "agent '%.100s': the provider must be 1 to %d letters, digits, '_', "
                           "'.', '+' or '-', not starting with '.' (%s)",
                           spec, AGENT_NAME_MAX - 1, form);
    if (!ocf_name_valid(type, strlen(type)))
        return errbuf_fail(err, errlen, -EINVAL,
                           "agent '%.100s': the type must be 1 to %d letters, digits, '_', '.', "
                           "'+' or '-', not starting with '.' (%s)",
                           spec, AGENT_NAME_MAX - 1, form);
    memset(out, 0, sizeof(*out));
    memcpy(out->provider, provider, (size_t)(colon - provider));
    memcpy(out->type, type, strlen(type));
    return 0;
}

static const char *ocf_root(const struct agent_ocf *o)
{
    return o->root ? o->root : AGENT_OCF_ROOT_DEFAULT;
}

int agent_ocf_path(const struct agent_ocf *o, char *buf, size_t len)
{
    int n;

    if (ocf_root(o)[0] != '/' || !ocf_name_valid(o->provider, strlen(o->provider)) ||
        !ocf_name_valid(o->type, strlen(o->type)))
        return -EINVAL;
    n = snprintf(buf, len, "%s/resource.d/%s/%s", ocf_root(o), o->provider, o->type);
    return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* OCF_RESOURCE_INSTANCE: the caller's, or GROUP-RESOURCE. Agents make file
 * names of it, so no '/'. */
static int ocf_instance(const struct agent_ocf *o, const struct agent_request *req, char *buf,
                        size_t len, const char *label, char *err, size_t errlen)
{
    int n;

    if (o->instance)
        n = snprintf(buf, len, "%s", o->instance);
    else if (req->group && req->group[0])
        n = snprintf(buf, len, "%s-%s", req->group, req->resource);
    else
        n = snprintf(buf, len, "%s", req->resource);
    if (n < 0 || (size_t)n >= len)
        return errbuf_fail(err, errlen, -EINVAL,
                           "%s: the instance name is longer than %zu characters", label, len - 1);
    if (!buf[0] || strchr(buf, '/'))
        return errbuf_fail(err, errlen, -EINVAL,
                           "%s: the instance name '%s' must be non-empty and without '/' (agents "
                           "make file names of OCF_RESOURCE_INSTANCE)",
                           label, buf);
    return 0;
}

/* Each parameter as OCF_RESKEY_<name>, after checking that the name can be
 * one, is not reserved and is not given twice. */
static int ocf_env_params(struct spawn_env *env, const struct agent_ocf *o, const char *label,
                          char *err, size_t errlen)
{
    char var[sizeof("OCF_RESKEY_") + AGENT_NAME_MAX];
    int r;

    if (o->n_params && !o->params)
        return errbuf_fail(err, errlen, -EINVAL, "%s: parameters missing", label);
    for (size_t i = 0; i < o->n_params; i++) {
        const char *name = o->params[i].name;

        if (!name || !spawn_env_name_valid(name) || strlen(name) >= AGENT_NAME_MAX)
            return errbuf_fail(err, errlen, -EINVAL,
                               "%s: parameter '%.100s' cannot be passed: an OCF parameter name "
                               "is 1 to %d letters, digits and '_', not starting with a digit",
                               label, name ? name : "", AGENT_NAME_MAX - 1);
        if (strncmp(name, CRM_META_PREFIX, strlen(CRM_META_PREFIX)) == 0)
            return errbuf_fail(err, errlen, -EINVAL,
                               "%s: parameter '%s': names starting with " CRM_META_PREFIX
                               " are reserved for the cluster manager; rename or remove it",
                               label, name);
        for (size_t j = 0; j < i; j++)
            if (strcmp(o->params[j].name, name) == 0)
                return errbuf_fail(err, errlen, -EINVAL,
                                   "%s: parameter '%s' is given twice; keep one", label, name);
        snprintf(var, sizeof(var), "OCF_RESKEY_%s", name);
        if ((r = spawn_env_set_str(env, var, o->params[i].value, err, errlen)) < 0)
            return r;
    }
    return 0;
}

/* A duration in whole milliseconds, as OCF_RESKEY_CRM_meta_* carry them. */
static int env_set_ms(struct spawn_env *env, const char *name, vg_usec_t usec, char *err,
                      size_t errlen)
{
    char ms[32];

    snprintf(ms, sizeof(ms), "%" PRIu64, usec / VG_USEC_PER_MSEC);
    return spawn_env_set_str(env, name, ms, err, errlen);
}

/* The whole OCF environment of one action. */
static int ocf_env(struct spawn_env *env, const struct agent_ocf *o,
                   const struct agent_request *req, const char *label, char *err, size_t errlen)
{
    char dir[VIGIL_PATH_MAX], instance[AGENT_INSTANCE_MAX];
    bool meta = req->action == AGENT_ACTION_META_DATA;
    int r;

    snprintf(dir, sizeof(dir), "%s/lib/heartbeat", ocf_root(o));
    if ((r = agent_env_common(env, req, err, errlen)) < 0 ||
        (r = spawn_env_set_str(env, "OCF_ROOT", ocf_root(o), err, errlen)) < 0 ||
        (r = spawn_env_set_str(env, "OCF_FUNCTIONS_DIR", dir, err, errlen)) < 0 ||
        (r = spawn_env_set_str(env, "OCF_RA_VERSION_MAJOR", OCF_VERSION_MAJOR, err, errlen)) < 0 ||
        (r = spawn_env_set_str(env, "OCF_RA_VERSION_MINOR", OCF_VERSION_MINOR, err, errlen)) < 0 ||
        (r = spawn_env_set_str(env, "OCF_RESOURCE_TYPE", o->type, err, errlen)) < 0 ||
        (r = spawn_env_set_str(env, "OCF_RESOURCE_PROVIDER", o->provider, err, errlen)) < 0 ||
        (r = env_set_ms(env, "OCF_RESKEY_CRM_meta_timeout", agent_request_timeout(req), err,
                        errlen)) < 0)
        return r;
    if (meta)
        return 0; /* meta-data describes the agent, not an instance */
    if ((r = ocf_instance(o, req, instance, sizeof(instance), label, err, errlen)) < 0 ||
        (r = spawn_env_set_str(env, "OCF_RESOURCE_INSTANCE", instance, err, errlen)) < 0 ||
        (r = ocf_env_params(env, o, label, err, errlen)) < 0)
        return r;
    if (req->action == AGENT_ACTION_MONITOR)
        return env_set_ms(env, "OCF_RESKEY_CRM_meta_interval", req->interval, err, errlen);
    return 0;
}

int agent_ocf_run(sd_event *ev, const struct agent_ocf *o, const struct agent_request *req,
                  agent_done_fn done, void *userdata, struct agent_op **ret, char *err,
                  size_t errlen)
{
    char path[VIGIL_PATH_MAX], what[WHAT_MAX], label[AGENT_LABEL_MAX];
    struct spawn_env env = {0};
    int r;

    if (!o)
        return errbuf_fail(err, errlen, -EINVAL, "no OCF agent given");
    if ((r = agent_check_request(req, err, errlen)) < 0)
        return r;
    snprintf(what, sizeof(what), OCF_PREFIX "%s:%s", o->provider, o->type);
    agent_label(req, what, label, sizeof(label));
    if ((r = agent_ocf_path(o, path, sizeof(path))) == -ENAMETOOLONG)
        return errbuf_fail(err, errlen, r, "%s: the agent's path is too long (OCF root %.100s)",
                           label, ocf_root(o));
    if (r < 0)
        return errbuf_fail(err, errlen, r,
                           "%s: bad agent name, or OCF root '%.100s' is not an absolute path",
                           label, ocf_root(o));
    if ((r = ocf_env(&env, o, req, label, err, errlen)) < 0)
        goto out;
    {
        char *argv[] = {path, (char *)agent_action_name(req->action), NULL};
        struct agent_launch l = {
            .kind = AGENT_KIND_OCF,
            .action = req->action,
            .label = label,
            .argv = argv,
            .envp = env.vars,
            .meta_data = req->action == AGENT_ACTION_META_DATA,
        };

        r = agent_launch(ev, req, &l, done, userdata, ret, err, errlen);
    }
out:
    spawn_env_free(&env);
    return r;
}
