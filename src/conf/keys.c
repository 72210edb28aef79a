/* The keys of each section: one table per section kind says which keys exist,
 * what a good value looks like (for messages) and how to store it. Checks
 * that need other sections (links named in node sections, unique ids and
 * priorities, timing relations) wait for validate.c. */
#include "parse.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#define STR_(x) #x
#define STR(x) STR_(x)

/* Link types as bits, for key_def.types. */
#define T_UDP (1u << RLT_UDP)
#define T_DISK (1u << RLT_DISK)
#define T_WITNESS (1u << RLT_WITNESS)
#define T_ALL (T_UDP | T_DISK | T_WITNESS)

void conf_key_err(struct conf_parser *p, const char *key, const char *fmt, ...)
{
    char label[CONF_LABEL_MAX], msg[CONF_DIAG_LEN];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    conf_err(p, p->lineno, "%s %.64s: %s", conf_sec_label(p, label, sizeof(label)), key, msg);
}

/* "name, key-file, interval" from a table, for "unknown key" messages: the
 * keys that apply to one of `types`, or every key when types is 0. */
const char *conf_key_list(const struct key_def *defs, int n, unsigned types, char *buf, size_t len)
{
    size_t off = 0;

    buf[0] = '\0';
    for (int i = 0; i < n && off < len; i++) {
        int w;

        if (types && !(defs[i].types & types))
            continue;
        w = snprintf(buf + off, len - off, "%s%s", off ? ", " : "", defs[i].name);
        if (w < 0)
            break;
        off += (size_t)w;
    }
    return buf;
}

/* Looks key up in defs; reports a duplicate or an empty value. Returns the
 * index of the key to set, -ENOENT when the key is unknown (not reported), or
 * -EINVAL when an error was reported. lines[] remembers where each key was. */
int conf_find_key(struct conf_parser *p, const struct key_def *defs, int n, int *lines,
                  const char *key, const char *value)
{
    for (int i = 0; i < n; i++) {
        if (strcmp(defs[i].name, key) != 0)
            continue;
        if (lines[i]) {
            conf_key_err(p, key, "duplicate key (first set on line %d): set each key once",
                         lines[i]);
            return -EINVAL;
        }
        lines[i] = p->lineno;
        if (value[0] == '\0') {
            conf_key_err(p, key, "empty value: expected %s", defs[i].expect);
            return -EINVAL;
        }
        return i;
    }
    return -ENOENT;
}

static bool value_fits(struct conf_parser *p, const char *key, const char *value, size_t size)
{
    size_t n = strlen(value);

    if (n < size)
        return true;
    conf_key_err(p, key, "value too long (%zu bytes): expected at most %zu bytes", n, size - 1);
    return false;
}

/* --- [cluster] ------------------------------------------------------------ */

static void set_name(struct conf_parser *p, const char *key, const char *value)
{
    if (!value_fits(p, key, value, sizeof(p->out->cluster_name)))
        return;
    if (!conf_text_valid(value)) {
        conf_key_err(p, key, "not valid text: expected printable UTF-8 without control characters");
        return;
    }
    snprintf(p->out->cluster_name, sizeof(p->out->cluster_name), "%s", value);
}

/* An absolute path of printable text into dst (size bytes); `example` shows
 * a good one in the message. */
static void set_path(struct conf_parser *p, const char *key, const char *value, char *dst,
                     size_t size, const char *example)
{
    if (!value_fits(p, key, value, size))
        return;
    if (value[0] != '/' || !conf_text_valid(value)) {
        conf_key_err(p, key, "'%.64s' is not an absolute path: expected e.g. %s", value, example);
        return;
    }
    snprintf(dst, size, "%s", value);
}

static void set_key_file(struct conf_parser *p, const char *key, const char *value)
{
    set_path(p, key, value, p->out->key_file, sizeof(p->out->key_file), CONF_DEFAULT_KEY_FILE);
}

/* A duration in [min, max] into *dst; -EINVAL after reporting a bad one. */
int conf_set_duration(struct conf_parser *p, const char *key, const char *value, vg_usec_t *dst,
                      vg_usec_t min, vg_usec_t max)
{
    char b1[32], b2[32];
    vg_usec_t v;
    int r = conf_parse_duration(value, &v);

    if (r == -ERANGE)
        conf_key_err(p, key, "bad duration '%.64s' (zero or too large): " CONF_DURATION_EXPECT,
                     value);
    else if (r < 0)
        conf_key_err(p, key, "bad duration '%.64s': " CONF_DURATION_EXPECT, value);
    else if (v < min)
        conf_key_err(p, key, "%s is too short: expected at least %s",
                     conf_format_duration(v, b1, sizeof(b1)),
                     conf_format_duration(min, b2, sizeof(b2)));
    else if (v > max)
        conf_key_err(p, key, "%s is too long: expected at most %s",
                     conf_format_duration(v, b1, sizeof(b1)),
                     conf_format_duration(max, b2, sizeof(b2)));
    else {
        *dst = v;
        return 0;
    }
    return -EINVAL;
}

/* `monitor-interval` of groups and resources: 0 (no monitor), or a duration
 * in [CONF_RES_TIME_MIN, CONF_RES_TIME_MAX]. */
void conf_set_monitor_interval(struct conf_parser *p, const char *key, const char *value,
                               vg_usec_t *dst)
{
    vg_usec_t v;

    if (conf_parse_duration_or_zero(value, &v) == 0 && v == 0)
        *dst = 0;
    else
        conf_set_duration(p, key, value, dst, CONF_RES_TIME_MIN, CONF_RES_TIME_MAX);
}

static bool is_list_blank(char c)
{
    return c == ' ' || c == '\t';
}

bool conf_split_list(struct conf_parser *p, const char *key, const char *value,
                     bool (*add)(struct conf_parser *p, const char *key, const char *s, size_t n))
{
    const char *s = value;

    for (;;) {
        const char *comma = strchr(s, ','), *end = comma ? comma : s + strlen(s);

        while (s < end && is_list_blank(*s))
            s++;
        while (end > s && is_list_blank(end[-1]))
            end--;
        if (!add(p, key, s, (size_t)(end - s)))
            return false;
        if (!comma)
            return true;
        s = comma + 1;
    }
}

static void set_interval(struct conf_parser *p, const char *key, const char *value)
{
    if (conf_set_duration(p, key, value, &p->out->interval, CONF_INTERVAL_MIN, CONF_INTERVAL_MAX) <
        0)
        p->timing_bad = true;
}

static void set_timeout(struct conf_parser *p, const char *key, const char *value)
{
    if (conf_set_duration(p, key, value, &p->out->timeout, CONF_INTERVAL_MIN, CONF_TIMEOUT_MAX) < 0)
        p->timing_bad = true;
}

static void set_initial_timeout(struct conf_parser *p, const char *key, const char *value)
{
    if (conf_set_duration(p, key, value, &p->out->initial_timeout, CONF_INTERVAL_MIN,
                          CONF_TIMEOUT_MAX) < 0)
        p->timing_bad = true;
}

static void set_realtime(struct conf_parser *p, const char *key, const char *value)
{
    if (conf_parse_bool(value, &p->out->realtime) < 0)
        conf_key_err(p, key,
                     "bad boolean '%.64s': expected yes or no (also true/false, on/off, 1/0)",
                     value);
}

static void set_quorum(struct conf_parser *p, const char *key, const char *value)
{
    if (strcmp(value, "majority") == 0)
        p->out->quorum = QUORUM_MAJORITY;
    else if (strcmp(value, "witness") == 0)
        p->out->quorum = QUORUM_WITNESS;
    else if (strcmp(value, "none") == 0)
        p->out->quorum = QUORUM_NONE;
    else
        conf_key_err(p, key, "unknown quorum mode '%.64s': expected majority, witness or none",
                     value);
}

static void set_allow_split_brain(struct conf_parser *p, const char *key, const char *value)
{
    if (conf_parse_bool(value, &p->out->allow_split_brain) < 0)
        conf_key_err(p, key, "bad boolean '%.64s': expected yes or no", value);
}

static void set_fencing(struct conf_parser *p, const char *key, const char *value)
{
    if (strcmp(value, "required") == 0)
        p->out->fencing = FENCING_REQUIRED;
    else if (strcmp(value, "none") == 0)
        p->out->fencing = FENCING_NONE;
    else
        conf_key_err(p, key, "unknown fencing mode '%.64s': expected required or none", value);
}

static void set_fence_action(struct conf_parser *p, const char *key, const char *value)
{
    if (strcmp(value, "reboot") == 0)
        p->out->fence_action = FENCE_ACT_REBOOT;
    else if (strcmp(value, "off") == 0)
        p->out->fence_action = FENCE_ACT_OFF;
    else
        conf_key_err(p, key, "unknown fence action '%.64s': expected reboot or off", value);
}

const char *conf_fence_action_name(enum conf_fence_action a)
{
    return a == FENCE_ACT_OFF ? "off" : "reboot";
}

const char *conf_fencing_name(enum conf_fencing f)
{
    return f == FENCING_NONE ? "none" : "required";
}

const char *conf_quorum_name(enum conf_quorum q)
{
    switch (q) {
    case QUORUM_MAJORITY:
        return "majority";
    case QUORUM_WITNESS:
        return "witness";
    case QUORUM_NONE:
        return "none";
    }
    return "?";
}

#define DURATION_EXAMPLE "a duration with a unit, e.g. 200ms or 1s"

/* types 0: any [cluster] */
static const struct key_def cluster_keys[CK_COUNT] = {
    [CK_NAME] = {"name", "the cluster name (any text)", set_name, 0},
    [CK_KEY_FILE] = {"key-file", "an absolute path, e.g. " CONF_DEFAULT_KEY_FILE, set_key_file, 0},
    [CK_INTERVAL] = {"interval", DURATION_EXAMPLE, set_interval, 0},
    [CK_TIMEOUT] = {"timeout", DURATION_EXAMPLE, set_timeout, 0},
    [CK_INITIAL_TIMEOUT] = {"initial-timeout", DURATION_EXAMPLE, set_initial_timeout, 0},
    [CK_REALTIME] = {"realtime", "yes or no", set_realtime, 0},
    [CK_QUORUM] = {"quorum", "majority, witness or none", set_quorum, 0},
    [CK_ALLOW_SPLIT_BRAIN] = {"allow-split-brain", "yes or no", set_allow_split_brain, 0},
    [CK_FENCING] = {"fencing", "required or none", set_fencing, 0},
    [CK_FENCE_ACTION] = {"fence-action", "reboot or off", set_fence_action, 0},
};

void conf_key_cluster(struct conf_parser *p, const char *key, const char *value)
{
    char list[160];
    int i = conf_find_key(p, cluster_keys, CK_COUNT, p->cluster_key_line, key, value);

    if (i >= 0) {
        cluster_keys[i].set(p, key, value);
    } else if (i == -ENOENT) {
        conf_err(p, p->lineno, "unknown key '%.64s' in [cluster]: expected one of %s", key,
                 conf_key_list(cluster_keys, CK_COUNT, 0, list, sizeof(list)));
    } else if (strcmp(key, "interval") == 0 || strcmp(key, "timeout") == 0 ||
               strcmp(key, "initial-timeout") == 0) {
        p->timing_bad = true;
    }
}

/* --- [node "NAME"] -------------------------------------------------------- */

static void set_node_id(struct conf_parser *p, struct raw_node *n, const char *value)
{
    unsigned long id;
    int r;

    if (n->id_line) {
        conf_key_err(p, "id", "duplicate key (first set on line %d): set each key once",
                     n->id_line);
        return;
    }
    n->id_line = p->lineno;
    if (value[0] == '\0') {
        conf_key_err(p, "id", "empty value: expected a number from 1 to %d", VIGIL_MAX_NODES);
        return;
    }
    r = conf_parse_uint(value, 1, VIGIL_MAX_NODES, &id);
    if (r == -ERANGE)
        conf_key_err(p, "id", "id %.64s is out of range: expected a number from 1 to %d", value,
                     VIGIL_MAX_NODES);
    else if (r < 0)
        conf_key_err(p, "id", "bad id '%.64s': expected a number from 1 to %d", value,
                     VIGIL_MAX_NODES);
    else
        n->id = (int)id;
}

static void set_node_votes(struct conf_parser *p, struct raw_node *n, const char *value)
{
    unsigned long v;

    if (n->votes_line) {
        conf_key_err(p, "votes", "duplicate key (first set on line %d): set each key once",
                     n->votes_line);
        return;
    }
    n->votes_line = p->lineno;
    if (conf_parse_uint(value, 0, VIGIL_MAX_NODES, &v) < 0)
        conf_key_err(p, "votes", "bad votes '%.64s': expected a number from 0 to %d (default 1)",
                     value, VIGIL_MAX_NODES);
    else
        n->votes = (int)v;
}

/* Any key but `id` and `votes` should name a link, which may be defined further down:
 * keep it with its line for validate.c. */
void conf_key_node(struct conf_parser *p, const char *key, const char *value)
{
    struct raw_node *n = &p->nodes[p->sec_index];
    struct raw_key *k;

    if (strcmp(key, "id") == 0) {
        set_node_id(p, n, value);
        return;
    }
    if (strcmp(key, "votes") == 0) {
        set_node_votes(p, n, value);
        return;
    }
    for (int i = 0; i < n->n_keys; i++) {
        if (!n->keys[i].key_long && strcmp(n->keys[i].key, key) == 0) {
            conf_key_err(p, key,
                         "duplicate key (first set on line %d): a node has one address per link",
                         n->keys[i].line);
            return;
        }
    }
    if (n->n_keys >= CONF_NODE_KEYS_MAX) {
        conf_key_err(p, key,
                     "too many keys in this section: a node has 'id' and one address per link (at "
                     "most %d links)",
                     VIGIL_MAX_LINKS);
        return;
    }
    k = &n->keys[n->n_keys++];
    k->line = p->lineno;
    k->key_long = strlen(key) >= sizeof(k->key);
    k->value_long = strlen(value) >= sizeof(k->value);
    snprintf(k->key, sizeof(k->key), "%s", key);
    snprintf(k->value, sizeof(k->value), "%s", value);
}

/* --- [link "NAME"] -------------------------------------------------------- */

static struct raw_link *cur_link(struct conf_parser *p)
{
    return &p->links[p->sec_index];
}

#define DEVICE_EXAMPLE "/dev/disk/by-partlabel/vigil-hb"
#define URL_EXPECT "http://HOST[:PORT][/PATH] or https://..., e.g. https://witness.example:8443"
#define PROXY_EXPECT "http://HOST:PORT, e.g. http://proxy.example:3128"
#define TOKEN_FILE_EXAMPLE "/etc/vigil/witness.token"
#define CA_FILE_EXAMPLE "/etc/vigil/witness-ca.pem"

const char *conf_raw_link_type_name(enum raw_link_type t)
{
    switch (t) {
    case RLT_UDP:
        return "udp";
    case RLT_DISK:
        return "disk";
    case RLT_WITNESS:
        return "witness";
    case RLT_UNSET:
    case RLT_BAD:
        break;
    }
    return "unknown";
}

static void set_type(struct conf_parser *p, const char *key, const char *value)
{
    struct raw_link *l = cur_link(p);

    if (strcmp(value, "udp") == 0) {
        l->type = RLT_UDP;
    } else if (strcmp(value, "disk") == 0) {
        l->type = RLT_DISK;
    } else if (strcmp(value, "witness") == 0) {
        l->type = RLT_WITNESS;
    } else {
        l->type = RLT_BAD;
        conf_key_err(p, key, "unknown link type '%.64s': expected udp, disk or witness", value);
    }
}

static void set_priority(struct conf_parser *p, const char *key, const char *value)
{
    unsigned long prio;

    if (conf_parse_uint(value, 1, VIGIL_MAX_LINKS, &prio) < 0)
        conf_key_err(p, key, "bad priority '%.64s': expected a number from 1 to %d (1 = highest)",
                     value, VIGIL_MAX_LINKS);
    else
        cur_link(p)->priority = (int)prio;
}

static void set_port(struct conf_parser *p, const char *key, const char *value)
{
    unsigned long port;

    if (conf_parse_uint(value, 1, 65535, &port) < 0)
        conf_key_err(p, key, "bad port '%.64s': expected a number from 1 to 65535", value);
    else
        cur_link(p)->port = (uint16_t)port;
}

static void set_family(struct conf_parser *p, const char *key, const char *value)
{
    struct raw_link *l = cur_link(p);

    if (strcmp(value, "ipv4") == 0)
        l->family = AF_INET;
    else if (strcmp(value, "ipv6") == 0)
        l->family = AF_INET6;
    else {
        conf_key_err(p, key, "bad family '%.64s': expected ipv4 or ipv6", value);
        return;
    }
    l->family_line = p->lineno;
    l->family_node = -1;
}

static void set_device(struct conf_parser *p, const char *key, const char *value)
{
    struct raw_link *l = cur_link(p);

    set_path(p, key, value, l->device, sizeof(l->device), DEVICE_EXAMPLE);
}

static void set_token_file(struct conf_parser *p, const char *key, const char *value)
{
    struct raw_link *l = cur_link(p);

    set_path(p, key, value, l->token_file, sizeof(l->token_file), TOKEN_FILE_EXAMPLE);
}

static void set_ca_file(struct conf_parser *p, const char *key, const char *value)
{
    struct raw_link *l = cur_link(p);

    set_path(p, key, value, l->ca_file, sizeof(l->ca_file), CA_FILE_EXAMPLE);
}

/* A url or proxy value: its shape checked by conf_parse_url(), then kept in dst. */
bool conf_set_url_value(struct conf_parser *p, const char *key, const char *value, bool proxy,
                        char *dst, size_t size, bool *https)
{
    const char *why;

    if (!value_fits(p, key, value, size))
        return false;
    if (conf_parse_url(value, proxy, https, &why) < 0) {
        conf_key_err(p, key, "bad %s '%.80s%s': %s", proxy ? "proxy" : "url", value,
                     strlen(value) > 80 ? "..." : "", why);
        return false;
    }
    snprintf(dst, size, "%s", value);
    return true;
}

static void set_url(struct conf_parser *p, const char *key, const char *value)
{
    struct raw_link *l = cur_link(p);

    l->url_ok = conf_set_url_value(p, key, value, false, l->url, sizeof(l->url), &l->url_https);
}

static void set_proxy(struct conf_parser *p, const char *key, const char *value)
{
    struct raw_link *l = cur_link(p);
    bool https;

    conf_set_url_value(p, key, value, true, l->proxy, sizeof(l->proxy), &https);
}

static void set_link_interval(struct conf_parser *p, const char *key, const char *value)
{
    struct raw_link *l = cur_link(p);

    if (conf_set_duration(p, key, value, &l->interval, CONF_INTERVAL_MIN, CONF_INTERVAL_MAX) < 0)
        l->timing_bad = true;
}

static void set_link_timeout(struct conf_parser *p, const char *key, const char *value)
{
    struct raw_link *l = cur_link(p);

    if (conf_set_duration(p, key, value, &l->timeout, CONF_INTERVAL_MIN, CONF_TIMEOUT_MAX) < 0)
        l->timing_bad = true;
}

/* Every key of every link type: which types take it is checked once the
 * whole section has been read, since `type` may come last. */
static const struct key_def link_keys[LK_COUNT] = {
    [LK_TYPE] = {"type", "udp, disk or witness", set_type, T_ALL},
    [LK_PRIORITY] = {"priority", "a number from 1 to " STR(VIGIL_MAX_LINKS), set_priority, T_UDP},
    [LK_PORT] = {"port", "a number from 1 to 65535", set_port, T_UDP},
    [LK_FAMILY] = {"family", "ipv4 or ipv6", set_family, T_UDP},
    [LK_DEVICE] = {"device", "an absolute path, e.g. " DEVICE_EXAMPLE, set_device, T_DISK},
    [LK_URL] = {"url", URL_EXPECT, set_url, T_WITNESS},
    [LK_TOKEN_FILE] = {"token-file", "an absolute path, e.g. " TOKEN_FILE_EXAMPLE, set_token_file,
                       T_WITNESS},
    [LK_PROXY] = {"proxy", PROXY_EXPECT, set_proxy, T_WITNESS},
    [LK_CA_FILE] = {"ca-file", "an absolute path, e.g. " CA_FILE_EXAMPLE, set_ca_file, T_WITNESS},
    [LK_INTERVAL] = {"interval", DURATION_EXAMPLE, set_link_interval, T_DISK | T_WITNESS},
    [LK_TIMEOUT] = {"timeout", DURATION_EXAMPLE, set_link_timeout, T_DISK | T_WITNESS},
};

/* The keys a link of this type takes; all of them while the type is unknown. */
static unsigned link_types(const struct raw_link *l)
{
    return l->type == RLT_UDP || l->type == RLT_DISK || l->type == RLT_WITNESS ? 1u << l->type
                                                                               : T_ALL;
}

static void report_link_unknown(struct conf_parser *p, const struct raw_link *l,
                                const struct raw_key *k)
{
    char list[160];

    conf_err(p, k->line, "unknown key '%s%s' in [link \"%s\"]: expected one of %s", k->key,
             k->key_long ? "..." : "", l->name,
             conf_key_list(link_keys, LK_COUNT, link_types(l), list, sizeof(list)));
}

void conf_raw_key_set(struct conf_parser *p, struct raw_key *k, const char *key)
{
    memset(k, 0, sizeof(*k));
    k->line = p->lineno;
    k->key_long = strlen(key) >= sizeof(k->key);
    snprintf(k->key, sizeof(k->key), "%s", key);
}

/* Unknown keys wait for the end: which keys a link takes depends on its
 * type, which may come last in the section. */
void conf_key_link(struct conf_parser *p, const char *key, const char *value)
{
    struct raw_link *l = cur_link(p);
    int i = conf_find_key(p, link_keys, LK_COUNT, l->key_line, key, value);

    if (i >= 0) {
        link_keys[i].set(p, key, value);
        return;
    }
    if (i != -ENOENT) {
        if (strcmp(key, "interval") == 0 || strcmp(key, "timeout") == 0)
            l->timing_bad = true;
        return;
    }
    if (l->n_unknown >= CONF_LINK_UNKNOWN_MAX) {
        struct raw_key now;

        conf_raw_key_set(p, &now, key);
        report_link_unknown(p, l, &now);
        return;
    }
    conf_raw_key_set(p, &l->unknown[l->n_unknown++], key);
}

/* "udp", "disk" or "disk and witness": the link types in a mask. */
static const char *types_text(unsigned types, char *buf, size_t len)
{
    static const enum raw_link_type all[] = {RLT_UDP, RLT_DISK, RLT_WITNESS};
    int n = 0, left = 0;
    size_t off = 0;

    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        left += (types >> all[i]) & 1;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]) && off < len; i++) {
        int w;

        if (!((types >> all[i]) & 1))
            continue;
        n++;
        w = snprintf(buf + off, len - off, "%s%s",
                     n == 1      ? ""
                     : n == left ? " and "
                                 : ", ",
                     conf_raw_link_type_name(all[i]));
        if (w < 0)
            break;
        off += (size_t)w;
    }
    return buf;
}

void conf_link_check_keys(struct conf_parser *p, const struct raw_link *l)
{
    char label[CONF_LABEL_MAX], types[32];

    for (int i = 0; i < l->n_unknown; i++)
        report_link_unknown(p, l, &l->unknown[i]);
    if (l->type != RLT_UDP && l->type != RLT_DISK && l->type != RLT_WITNESS)
        return;
    conf_link_label(l, label, sizeof(label));
    for (int i = 0; i < LK_COUNT; i++) {
        const struct key_def *d = &link_keys[i];
        int line = l->key_line[i];

        /* a bad value has had its message; one per line is enough */
        if (!line || (d->types & link_types(l)) || conf_line_has_error(p, line))
            continue;
        conf_err(p, line,
                 "%s %s: %s applies to %s links only ('%s' is a %s link): remove this line%s",
                 label, d->name, d->name, types_text(d->types, types, sizeof(types)), l->name,
                 conf_raw_link_type_name(l->type),
                 l->type == RLT_UDP && (i == LK_INTERVAL || i == LK_TIMEOUT)
                     ? " (udp links use the [cluster] timing)"
                     : "");
    }
}
