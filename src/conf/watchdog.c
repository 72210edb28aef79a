/* The [watchdog] section (docs/configuration.md, "[watchdog]";
 * docs/fencing.md says what vigild does with it): the device every node
 * arms, and its timeout, which must be whole seconds (the kernel's unit)
 * and longer than the heartbeat timeout: a stall too short for the peers to
 * notice must not reset a node. */
#include "parse.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

enum { WK_DEVICE, WK_TIMEOUT, WK_COUNT };

void conf_open_watchdog(struct conf_parser *p, const char *name)
{
    if (name) {
        conf_err(p, p->lineno, "section [watchdog] takes no name: write [watchdog]");
        return;
    }
    if (p->watchdog_line) {
        conf_err(p, p->lineno, "duplicate section [watchdog] (first on line %d): merge them",
                 p->watchdog_line);
        return;
    }
    p->watchdog_line = p->lineno;
    p->sec = SEC_WATCHDOG;
    snprintf(p->out->watchdog_device, sizeof(p->out->watchdog_device), "%s",
             CONF_WATCHDOG_DEFAULT_DEVICE);
    p->out->watchdog_timeout = CONF_WATCHDOG_DEFAULT_TIMEOUT;
}

static void set_device(struct conf_parser *p, const char *key, const char *value)
{
    if (value[0] != '/' || strlen(value) >= sizeof(p->out->watchdog_device) ||
        !conf_text_valid(value))
        conf_key_err(p, key, "bad device '%.64s': expected an absolute path, e.g. /dev/watchdog",
                     value);
    else
        snprintf(p->out->watchdog_device, sizeof(p->out->watchdog_device), "%s", value);
}

static void set_timeout(struct conf_parser *p, const char *key, const char *value)
{
    vg_usec_t t;

    if (conf_set_duration(p, key, value, &t, CONF_WATCHDOG_TIMEOUT_MIN, CONF_WATCHDOG_TIMEOUT_MAX) <
        0)
        return;
    if (t % VG_USEC_PER_SEC) {
        conf_key_err(p, key,
                     "'%.64s' is not a whole number of seconds: the kernel's watchdog counts in "
                     "seconds, e.g. 10s",
                     value);
        return;
    }
    p->out->watchdog_timeout = t;
}

static const struct key_def watchdog_keys[WK_COUNT] = {
    [WK_DEVICE] = {"device", "an absolute path, e.g. /dev/watchdog", set_device, 0},
    [WK_TIMEOUT] = {"timeout", "whole seconds, e.g. 10s", set_timeout, 0},
};

void conf_key_watchdog(struct conf_parser *p, const char *key, const char *value)
{
    char list[64];
    int i = conf_find_key(p, watchdog_keys, WK_COUNT, p->watchdog_key_line, key, value);

    if (i >= 0)
        watchdog_keys[i].set(p, key, value);
    else if (i == -ENOENT)
        conf_key_err(p, key, "unknown key in [watchdog]: expected one of %s",
                     conf_key_list(watchdog_keys, WK_COUNT, 0, list, sizeof(list)));
}

void conf_watchdog_check(struct conf_parser *p)
{
    char a[32], b[32];

    if (!p->watchdog_line)
        return;
    p->out->watchdog = true;
    p->out->watchdog_line = p->watchdog_line;
    if (p->timing_bad)
        return;
    if (p->out->watchdog_timeout <= p->out->timeout)
        conf_err(p,
                 p->watchdog_key_line[WK_TIMEOUT] ? p->watchdog_key_line[WK_TIMEOUT]
                                                  : p->watchdog_line,
                 "[watchdog] timeout: %s is not longer than [cluster] timeout %s: a stall "
                 "shorter than what the peers notice would reset this node; use at least %llus",
                 conf_format_duration(p->out->watchdog_timeout, a, sizeof(a)),
                 conf_format_duration(p->out->timeout, b, sizeof(b)),
                 (unsigned long long)(p->out->timeout / VG_USEC_PER_SEC + 1));
}
