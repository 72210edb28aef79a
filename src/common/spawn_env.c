/* Environments for children: validated "NAME=value" arrays (spawn.h). */
#include "errbuf.h"
#include "spawn.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

bool spawn_env_name_valid(const char *name)
{
    if (!name || !(name[0] == '_' || (name[0] >= 'A' && name[0] <= 'Z') ||
                   (name[0] >= 'a' && name[0] <= 'z')))
        return false;
    for (const char *p = name + 1; *p; p++)
        if (!(*p == '_' || (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
              (*p >= '0' && *p <= '9')))
            return false;
    return true;
}

/* Index of NAME in env, or -1. */
static long env_find(const struct spawn_env *env, const char *name, size_t name_len)
{
    for (size_t i = 0; i < env->n; i++)
        if (strncmp(env->vars[i], name, name_len) == 0 && env->vars[i][name_len] == '=')
            return (long)i;
    return -1;
}

int spawn_env_set(struct spawn_env *env, const char *name, const char *value, size_t value_len,
                  char *err, size_t errlen)
{
    size_t name_len;
    char *var;
    long i;

    if (!env || (!value && value_len))
        return -EINVAL;
    if (!spawn_env_name_valid(name))
        return errbuf_fail(err, errlen, -EINVAL,
                           "environment variable name '%s' is not valid: use letters, digits "
                           "and '_', not starting with a digit",
                           name ? name : "");
    if (value_len && memchr(value, '\0', value_len))
        return errbuf_fail(err, errlen, -EINVAL,
                           "environment variable %s: the value holds a NUL byte", name);

    name_len = strlen(name);
    if (!(var = malloc(name_len + 1 + value_len + 1)))
        return -ENOMEM;
    memcpy(var, name, name_len);
    var[name_len] = '=';
    if (value_len)
        memcpy(var + name_len + 1, value, value_len);
    var[name_len + 1 + value_len] = '\0';

    if ((i = env_find(env, name, name_len)) >= 0) {
        free(env->vars[i]);
        env->vars[i] = var;
        return 0;
    }
    if (env->n + 2 > env->cap) {
        size_t cap = env->cap ? env->cap * 2 : 16;
        char **v = realloc(env->vars, cap * sizeof(*v));

        if (!v) {
            free(var);
            return -ENOMEM;
        }
        env->vars = v;
        env->cap = cap;
    }
    env->vars[env->n++] = var;
    env->vars[env->n] = NULL;
    return 0;
}

int spawn_env_set_str(struct spawn_env *env, const char *name, const char *value, char *err,
                      size_t errlen)
{
    return spawn_env_set(env, name, value ? value : "", value ? strlen(value) : 0, err, errlen);
}

void spawn_env_free(struct spawn_env *env)
{
    if (!env)
        return;
    for (size_t i = 0; i < env->n; i++)
        free(env->vars[i]);
    free(env->vars);
    env->vars = NULL;
    env->n = env->cap = 0;
}
