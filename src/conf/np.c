/* [np "NAME"] sections: network-partition resolution (docs/configuration.md,
 * "[np]"; docs/membership.md says how a tie uses them). Like a link, an np
 * section's `type` decides which keys it takes and may come last, so unknown
 * keys and keys of the other type wait for conf_np_check(). Values are
 * checked as they come: ping targets with the node address rules
 * (address.c), an http url with the witness url rules (url.c). */
#include "parse.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#define STR_(x) #x
#define STR(x) STR_(x)

/* np types as bits, for key_def.types. */
#define T_PING (1u << RNP_PING)
#define T_HTTP (1u << RNP_HTTP)
#define T_ALL (T_PING | T_HTTP)

#define TARGETS_EXAMPLE "192.0.2.254, 2001:db8::1"
#define URL_EXAMPLE "https://witness.example:8443"
#define DURATION_EXAMPLE "a duration with a unit, e.g. 200ms or 1s"

const char *conf_np_type_name(enum np_type t)
{
    switch (t) {
    case NP_PING:
        return "ping";
    case NP_HTTP:
        return "http";
    }
    return "unknown";
}

static const char *raw_type_name(enum raw_np_type t)
{
    return t == RNP_PING ? "ping" : t == RNP_HTTP ? "http" : "unknown";
}

void conf_open_np(struct conf_parser *p, const char *name)
{
    struct raw_np *n;

    for (int i = 0; i < p->n_nps; i++) {
        if (strcmp(p->nps[i].name, name) == 0) {
            conf_err(p, p->lineno, "duplicate section [np \"%s\"] (first on line %d): merge them",
                     name, p->nps[i].line);
            return;
        }
    }
    if (p->n_nps >= CONF_NP_MAX) {
        conf_err(p, p->lineno,
                 "too many np sections: [np \"%s\"] is one more than the %d allowed (all types "
                 "together)",
                 name, CONF_NP_MAX);
        return;
    }
    n = &p->nps[p->n_nps];
    snprintf(n->name, sizeof(n->name), "%s", name);
    n->line = p->lineno;
    p->sec = SEC_NP;
    p->sec_index = p->n_nps++;
}

static struct raw_np *cur_np(struct conf_parser *p)
{
    return &p->nps[p->sec_index];
}

static void set_type(struct conf_parser *p, const char *key, const char *value)
{
    struct raw_np *n = cur_np(p);

    if (strcmp(value, "ping") == 0) {
        n->type = RNP_PING;
    } else if (strcmp(value, "http") == 0) {
        n->type = RNP_HTTP;
    } else {
        n->type = RNP_BAD;
        conf_key_err(p, key, "unknown np type '%.64s': expected ping or http", value);
    }
}

static bool same_target(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family)
        return false;
    if (a->ss_family == AF_INET)
        return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
               ((const struct sockaddr_in *)b)->sin_addr.s_addr;
    return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
                  &((const struct sockaddr_in6 *)b)->sin6_addr, sizeof(struct in6_addr)) == 0;
}

/* address.c speaks of node addresses and of the [link] port: say the same
 * for a ping target. */
static void target_err(struct conf_parser *p, const char *key, const char *text, const char *why)
{
    static const char node[] = "a node address";
    const char *at = strstr(why, node);

    if (strstr(why, "a port does not go here"))
        conf_key_err(
            p, key,
            "invalid address '%s': a port does not go here: ping targets are addresses only", text);
    else if (at)
        conf_key_err(p, key, "invalid address '%s': %.*sa ping target%s", text, (int)(at - why),
                     why, at + strlen(node));
    else
        conf_key_err(p, key, "invalid address '%s': %s", text, why);
}

/* One entry of the targets list (n bytes at s, blanks trimmed); false after
 * an error. */
static bool add_target(struct conf_parser *p, const char *key, const char *s, size_t len)
{
    struct raw_np *n = cur_np(p);
    char text[CONF_ADDR_TEXT_MAX];
    const char *why;

    if (len == 0) {
        conf_key_err(
            p, key,
            "empty entry in the list: expected IPv4 or IPv6 addresses separated by commas, "
            "e.g. " TARGETS_EXAMPLE);
        return false;
    }
    if (len >= sizeof(text)) {
        conf_key_err(p, key, "'%.*s...' is too long: expected an IPv4 or IPv6 address", 32, s);
        return false;
    }
    memcpy(text, s, len);
    text[len] = '\0';
    if (conf_parse_address(text, &n->targets[n->n_targets], &n->target_len[n->n_targets], &why) <
        0) {
        target_err(p, key, text, why);
        return false;
    }
    for (int i = 0; i < n->n_targets; i++) {
        if (same_target(&n->targets[i], &n->targets[n->n_targets])) {
            conf_key_err(p, key, "%s is listed twice: list each target once", text);
            return false;
        }
    }
    n->n_targets++;
    return true;
}

/* A comma-separated list of 1..CONF_NP_TARGETS_MAX addresses. On an error
 * no target is kept (the key is set, so no "missing" message follows). */
static void set_targets(struct conf_parser *p, const char *key, const char *value)
{
    struct raw_np *n = cur_np(p);
    int entries = 1;

    for (const char *c = value; *c; c++)
        entries += *c == ',';
    if (entries > CONF_NP_TARGETS_MAX) {
        conf_key_err(p, key, "%d addresses: expected at most %d, separated by commas", entries,
                     CONF_NP_TARGETS_MAX);
        return;
    }
    if (!conf_split_list(p, key, value, add_target))
        n->n_targets = 0;
}

static void set_count(struct conf_parser *p, const char *key, const char *value)
{
    unsigned long count;

    if (conf_parse_uint(value, 1, CONF_NP_COUNT_MAX, &count) < 0)
        conf_key_err(p, key,
                     "bad count '%.64s': expected a number from 1 to %d (echo requests per round)",
                     value, CONF_NP_COUNT_MAX);
    else
        cur_np(p)->count = (int)count;
}

static void set_url(struct conf_parser *p, const char *key, const char *value)
{
    struct raw_np *n = cur_np(p);
    bool https;

    conf_set_url_value(p, key, value, false, n->url, sizeof(n->url), &https);
}

static void set_interval(struct conf_parser *p, const char *key, const char *value)
{
    struct raw_np *n = cur_np(p);

    if (conf_set_duration(p, key, value, &n->interval, CONF_NP_INTERVAL_MIN, CONF_NP_INTERVAL_MAX) <
        0)
        n->timing_bad = true;
}

static void set_timeout(struct conf_parser *p, const char *key, const char *value)
{
    struct raw_np *n = cur_np(p);

    if (conf_set_duration(p, key, value, &n->timeout, CONF_NP_INTERVAL_MIN, CONF_TIMEOUT_MAX) < 0)
        n->timing_bad = true;
}

static const struct key_def np_keys[NPK_KEYS] = {
    [NPK_TYPE] = {"type", "ping or http", set_type, T_ALL},
    [NPK_TARGETS] = {"targets", "IPv4 or IPv6 addresses separated by commas, e.g. " TARGETS_EXAMPLE,
                     set_targets, T_PING},
    [NPK_COUNT] = {"count", "a number from 1 to " STR(CONF_NP_COUNT_MAX), set_count, T_PING},
    [NPK_URL] = {"url", "http://HOST[:PORT][/PATH] or https://..., e.g. " URL_EXAMPLE, set_url,
                 T_HTTP},
    [NPK_INTERVAL] = {"interval", DURATION_EXAMPLE, set_interval, T_ALL},
    [NPK_TIMEOUT] = {"timeout", DURATION_EXAMPLE, set_timeout, T_ALL},
};

/* The keys a section of this type takes; all of them while the type is unknown. */
static unsigned np_types(const struct raw_np *n)
{
    return n->type == RNP_PING || n->type == RNP_HTTP ? 1u << n->type : T_ALL;
}

static void report_unknown(struct conf_parser *p, const struct raw_np *n, const struct raw_key *k)
{
    char list[160];

    conf_err(p, k->line, "unknown key '%s%s' in [np \"%s\"]: expected one of %s", k->key,
             k->key_long ? "..." : "", n->name,
             conf_key_list(np_keys, NPK_KEYS, np_types(n), list, sizeof(list)));
}

void conf_key_np(struct conf_parser *p, const char *key, const char *value)
{
    struct raw_np *n = cur_np(p);
    int i = conf_find_key(p, np_keys, NPK_KEYS, n->key_line, key, value);

    if (i >= 0) {
        np_keys[i].set(p, key, value);
        return;
    }
    if (i != -ENOENT) {
        if (strcmp(key, "interval") == 0 || strcmp(key, "timeout") == 0)
            n->timing_bad = true;
        return;
    }
    if (n->n_unknown >= CONF_LINK_UNKNOWN_MAX) {
        struct raw_key now;

        conf_raw_key_set(p, &now, key);
        report_unknown(p, n, &now);
        return;
    }
    conf_raw_key_set(p, &n->unknown[n->n_unknown++], key);
}

/* Unknown keys, and keys that belong to the other type. */
static void check_keys(struct conf_parser *p, const struct raw_np *n, const char *label)
{
    for (int i = 0; i < n->n_unknown; i++)
        report_unknown(p, n, &n->unknown[i]);
    if (n->type != RNP_PING && n->type != RNP_HTTP)
        return;
    for (int i = 0; i < NPK_KEYS; i++) {
        const struct key_def *d = &np_keys[i];
        int line = n->key_line[i];

        /* a bad value has had its message; one per line is enough */
        if (!line || (d->types & np_types(n)) || conf_line_has_error(p, line))
            continue;
        conf_err(p, line,
                 "%s %s: %s applies to %s sections only ('%s' is a%s %s section): remove this "
                 "line",
                 label, d->name, d->name, d->types == T_PING ? "ping" : "http", n->name,
                 n->type == RNP_HTTP ? "n" : "", raw_type_name(n->type));
    }
}

static void check_required(struct conf_parser *p, const struct raw_np *n, const char *label)
{
    switch (n->type) {
    case RNP_UNSET:
        if (!n->key_line[NPK_TYPE])
            conf_err(p, n->line,
                     "%s: missing required key 'type': expected 'type = ping' or 'type = http'",
                     label);
        break;
    case RNP_PING:
        if (!n->key_line[NPK_TARGETS])
            conf_err(p, n->line,
                     "%s: missing required key 'targets': expected the addresses this side must "
                     "reach, separated by commas, e.g. 'targets = " TARGETS_EXAMPLE "'",
                     label);
        break;
    case RNP_HTTP:
        if (!n->key_line[NPK_URL])
            conf_err(p, n->line,
                     "%s: missing required key 'url': expected the URL this side must reach, "
                     "e.g. 'url = " URL_EXAMPLE "'",
                     label);
        break;
    case RNP_BAD:
        break; /* reported with the type */
    }
}

/* The timeout, set or default, must be larger than the interval. */
static void check_timing(struct conf_parser *p, const struct raw_np *n, const char *label)
{
    const int *line = n->key_line;
    vg_usec_t interval, timeout;

    if (n->timing_bad || (!line[NPK_INTERVAL] && !line[NPK_TIMEOUT]))
        return;
    interval = line[NPK_INTERVAL] ? n->interval : CONF_NP_DEFAULT_INTERVAL;
    timeout = line[NPK_TIMEOUT] ? n->timeout : CONF_NP_DEFAULT_TIMEOUT;
    conf_check_timing_pair(p, label, interval, timeout, line[NPK_INTERVAL], line[NPK_TIMEOUT],
                           "the default", "section");
}

void conf_np_check(struct conf_parser *p)
{
    char label[CONF_LABEL_MAX];

    for (int i = 0; i < p->n_nps; i++) {
        const struct raw_np *n = &p->nps[i];

        conf_np_label(n, label, sizeof(label));
        check_keys(p, n, label);
        check_required(p, n, label);
        check_timing(p, n, label);
    }
}

void conf_np_build(struct conf_parser *p)
{
    struct conf *c = p->out;

    for (int i = 0; i < p->n_nps; i++) {
        const struct raw_np *n = &p->nps[i];
        struct conf_np *cn = &c->nps[c->n_nps++];

        snprintf(cn->name, sizeof(cn->name), "%s", n->name);
        cn->line = n->line;
        cn->interval = n->key_line[NPK_INTERVAL] ? n->interval : CONF_NP_DEFAULT_INTERVAL;
        cn->timeout = n->key_line[NPK_TIMEOUT] ? n->timeout : CONF_NP_DEFAULT_TIMEOUT;
        if (n->type == RNP_PING) {
            cn->type = NP_PING;
            cn->count = n->key_line[NPK_COUNT] ? n->count : CONF_NP_DEFAULT_COUNT;
            cn->n_targets = n->n_targets;
            for (int t = 0; t < n->n_targets; t++) {
                cn->targets[t] = n->targets[t];
                cn->target_len[t] = n->target_len[t];
            }
        } else {
            cn->type = NP_HTTP;
            snprintf(cn->url, sizeof(cn->url), "%s", n->url);
        }
    }
}
