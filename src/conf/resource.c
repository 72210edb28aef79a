/* [resource "GROUP/NAME"] sections: the resources of failover groups
 * (docs/configuration.md, "[resource]"). A section's keys are kept as
 * written and read once the whole file is: the type decides what every
 * other key is, and it may come last; in an ocf resource every key that is
 * not a resource key is a parameter of the agent (OCF_RESKEY_<key>). Each
 * key is then read as if on its own line again (p->lineno, p->sec), so that
 * messages come out as for any other section. ip values go through the
 * floating-address parser of src/resources (ip_parse.c). */
#include "parse.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#define STR_(x) #x
#define STR(x) STR_(x)

/* Resource types as bits, for key_def.types. */
#define T_IP (1u << RRT_IP)
#define T_EXEC (1u << RRT_EXEC)
#define T_OCF (1u << RRT_OCF)
#define T_SYSTEMD (1u << RRT_SYSTEMD)
#define T_ALL (T_IP | T_EXEC | T_OCF | T_SYSTEMD)

#define TYPES_EXPECT "ip, exec, ocf or systemd"
#define DURATION_EXAMPLE "a duration with a unit, e.g. 200ms or 1s"
#define COMMAND_EXPECT "a command line, run with /bin/sh -c"
#define CRM_META "CRM_meta_"

static const char *raw_type_name(enum raw_res_type t)
{
    static const char *const names[] = {
        [RRT_IP] = "ip", [RRT_EXEC] = "exec", [RRT_OCF] = "ocf", [RRT_SYSTEMD] = "systemd"};

    return t >= RRT_IP && t <= RRT_SYSTEMD ? names[t] : "unknown";
}

const char *conf_res_type_name(enum conf_res_type t)
{
    switch (t) {
    case CONF_RES_IP:
        return "ip";
    case CONF_RES_EXEC:
        return "exec";
    case CONF_RES_OCF:
        return "ocf";
    case CONF_RES_SYSTEMD:
        return "systemd";
    }
    return "unknown";
}

/* --- the header ------------------------------------------------------------ */

/* "GROUP/NAME" into r's group and name; false when it is not that. */
static bool split_name(const char *s, struct raw_resource *r)
{
    const char *slash = strchr(s, '/');

    if (!slash || (size_t)(slash - s) >= sizeof(r->group))
        return false;
    snprintf(r->group, sizeof(r->group), "%.*s", (int)(slash - s), s);
    if (strlen(slash + 1) >= sizeof(r->name))
        return false;
    snprintf(r->name, sizeof(r->name), "%s", slash + 1);
    return conf_name_valid(r->group) && conf_name_valid(r->name);
}

void conf_open_resource(struct conf_parser *p, const char *name)
{
    struct raw_resource r = {.line = p->lineno, .group_index = -1}, *slot;
    int in_group = 0;

    if (!conf_raw_groups(p))
        return;
    if (!name) {
        conf_err(p, p->lineno,
                 "section [resource] needs a quoted name, e.g. [resource \"web/vip\"] (its group, "
                 "'/', its own name)");
        return;
    }
    if (!split_name(name, &r)) {
        conf_err(p, p->lineno,
                 "bad resource name '%.130s%s': expected GROUP/NAME, e.g. [resource \"web/vip\"], "
                 "each part 1 to 63 characters of A-Z a-z 0-9 _ . -",
                 name, strlen(name) > 130 ? "..." : "");
        return;
    }
    for (int i = 0; i < p->gr->n_resources; i++) {
        const struct raw_resource *o = &p->gr->resources[i];

        if (strcmp(o->group, r.group) != 0)
            continue;
        if (strcmp(o->name, r.name) == 0) {
            conf_err(p, p->lineno,
                     "duplicate section [resource \"%s\"] (first on line %d): merge them", name,
                     o->line);
            return;
        }
        in_group++;
    }
    if (in_group >= VIGIL_MAX_GROUP_RESOURCES) {
        conf_err(p, p->lineno,
                 "too many resources in group '%s': [resource \"%s\"] is one more than the %d "
                 "allowed",
                 r.group, name, VIGIL_MAX_GROUP_RESOURCES);
        return;
    }
    if (p->gr->n_resources >= VIGIL_MAX_RESOURCES) {
        conf_err(p, p->lineno,
                 "too many resources: [resource \"%s\"] is one more than the %d allowed (all "
                 "groups together)",
                 name, VIGIL_MAX_RESOURCES);
        return;
    }
    if (!(slot = conf_raw_resource_new(p)))
        return;
    *slot = r;
    p->sec = SEC_RESOURCE;
    p->sec_index = p->gr->n_resources++;
}

/* Kept for conf_resource_check(), with its line. */
void conf_key_resource(struct conf_parser *p, const char *key, const char *value)
{
    struct raw_resource *r = &p->gr->resources[p->sec_index];
    struct raw_res_key *k;

    if (r->n_keys >= CONF_RESOURCE_KEYS_MAX) {
        conf_key_err(p, key,
                     "too many keys in this section: at most %d (the keys of its type and up to "
                     "%d OCF parameters)",
                     CONF_RESOURCE_KEYS_MAX, CONF_OCF_PARAMS_MAX);
        return;
    }
    k = &r->keys[r->n_keys];
    if (conf_pool_add(p, key, key, &k->key) < 0 || conf_pool_add(p, key, value, &k->value) < 0)
        return;
    k->line = p->lineno;
    r->n_keys++;
}

/* --- the keys -------------------------------------------------------------- */

static struct raw_resource *cur(struct conf_parser *p)
{
    return &p->gr->resources[p->sec_index];
}

static void set_type(struct conf_parser *p, const char *key, const char *value)
{
    static const struct {
        const char *name;
        enum raw_res_type type;
    } types[] = {{"ip", RRT_IP}, {"exec", RRT_EXEC}, {"ocf", RRT_OCF}, {"systemd", RRT_SYSTEMD}};

    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        if (strcmp(value, types[i].name) == 0) {
            cur(p)->type = types[i].type;
            return;
        }
    }
    cur(p)->type = RRT_BAD;
    conf_key_err(p, key, "unknown resource type '%.64s': expected " TYPES_EXPECT, value);
}

/* address, interface, announce-count: the ip resource's own parser. */
static void set_ip(struct conf_parser *p, const char *key, const char *value)
{
    char err[RES_IP_ERR_MAX];

    if (res_ip_set_key(&cur(p)->ip, key, value, err, sizeof(err)) < 0)
        conf_key_err(p, key, "%s", err);
}

/* probe-timeout: 0 (no probe) or RES_IP_PROBE_TIMEOUT_MIN..MAX. */
static void set_probe_timeout(struct conf_parser *p, const char *key, const char *value)
{
    vg_usec_t v;

    if (conf_parse_duration_or_zero(value, &v) == 0 && v == 0)
        cur(p)->ip.probe_timeout = 0;
    else
        conf_set_duration(p, key, value, &cur(p)->ip.probe_timeout, RES_IP_PROBE_TIMEOUT_MIN,
                          RES_IP_PROBE_TIMEOUT_MAX);
}

/* A command: printable text; it stays in the pool where it is. */
static void set_command(struct conf_parser *p, const char *key, const char *value)
{
    struct raw_resource *r = cur(p);
    uint32_t off = r->keys[r->reading].value;

    if (strlen(value) >= CONF_COMMAND_MAX) {
        conf_key_err(p, key, "command too long (%zu bytes): at most %d", strlen(value),
                     CONF_COMMAND_MAX - 1);
        return;
    }
    if (!conf_text_valid(value)) {
        conf_key_err(p, key,
                     "not valid text: expected a command line of printable UTF-8 without "
                     "control characters (tabs included)");
        return;
    }
    if (strcmp(key, "start") == 0)
        r->start = off;
    else if (strcmp(key, "stop") == 0)
        r->stop = off;
    else
        r->monitor = off;
}

static void set_agent(struct conf_parser *p, const char *key, const char *value)
{
    struct raw_resource *r = cur(p);
    const char *why;

    if (conf_parse_ocf_agent(value, r->provider, r->agent_type, &why) < 0)
        conf_key_err(p, key, "bad agent '%.100s%s': %s", value, strlen(value) > 100 ? "..." : "",
                     why);
}

static void set_unit(struct conf_parser *p, const char *key, const char *value)
{
    struct raw_resource *r = cur(p);
    const char *why;

    if (conf_check_unit(value, &why) < 0) {
        conf_key_err(p, key, "bad unit '%.100s%s': %s", value, strlen(value) > 100 ? "..." : "",
                     why);
        return;
    }
    r->unit = r->keys[r->reading].value;
}

static void set_monitor_interval(struct conf_parser *p, const char *key, const char *value)
{
    conf_set_monitor_interval(p, key, value, &cur(p)->monitor_interval);
}

static void set_timeout(struct conf_parser *p, const char *key, const char *value)
{
    struct raw_resource *r = cur(p);
    vg_usec_t *dst = strcmp(key, "monitor-timeout") == 0 ? &r->monitor_timeout
                     : strcmp(key, "start-timeout") == 0 ? &r->start_timeout
                                                         : &r->stop_timeout;

    conf_set_duration(p, key, value, dst, CONF_RES_TIME_MIN, CONF_RES_TIME_MAX);
}

static void set_monitor_retries(struct conf_parser *p, const char *key, const char *value)
{
    unsigned long n;

    if (conf_parse_uint(value, 0, CONF_MONITOR_RETRIES_MAX, &n) < 0)
        conf_key_err(p, key,
                     "bad monitor-retries '%.64s': expected a number from 0 to %d (failed "
                     "monitors in a row before the resource counts as failed, minus one)",
                     value, CONF_MONITOR_RETRIES_MAX);
    else
        cur(p)->monitor_retries = (int)n;
}

static const struct key_def res_keys[RK_COUNT] = {
    [RK_TYPE] = {"type", TYPES_EXPECT, set_type, T_ALL},
    [RK_ADDRESS] = {"address", "ADDRESS/PREFIX, e.g. 192.0.2.100/24 or 2001:db8::100/64", set_ip,
                    T_IP},
    [RK_INTERFACE] = {"interface", "an interface name, e.g. eth0", set_ip, T_IP},
    [RK_ANNOUNCE_COUNT] = {"announce-count", "a number from 0 to " STR(RES_IP_ANNOUNCE_COUNT_MAX),
                           set_ip, T_IP},
    [RK_PROBE_TIMEOUT] = {"probe-timeout", "a duration from 10ms to 10s, e.g. 200ms (0: no probe)",
                          set_probe_timeout, T_IP},
    [RK_START] = {"start", COMMAND_EXPECT, set_command, T_EXEC},
    [RK_STOP] = {"stop", COMMAND_EXPECT, set_command, T_EXEC},
    [RK_MONITOR] = {"monitor", COMMAND_EXPECT, set_command, T_EXEC},
    [RK_AGENT] = {"agent", "ocf:PROVIDER:TYPE, e.g. ocf:heartbeat:IPaddr2", set_agent, T_OCF},
    [RK_UNIT] = {"unit", "a systemd unit, e.g. postgresql.service", set_unit, T_SYSTEMD},
    [RK_MONITOR_INTERVAL] = {"monitor-interval", DURATION_EXAMPLE " (0: no monitor)",
                             set_monitor_interval, T_ALL},
    [RK_MONITOR_TIMEOUT] = {"monitor-timeout", DURATION_EXAMPLE, set_timeout, T_ALL},
    [RK_START_TIMEOUT] = {"start-timeout", DURATION_EXAMPLE, set_timeout, T_ALL},
    [RK_STOP_TIMEOUT] = {"stop-timeout", DURATION_EXAMPLE, set_timeout, T_ALL},
    [RK_MONITOR_RETRIES] = {"monitor-retries", "a number from 0 to " STR(CONF_MONITOR_RETRIES_MAX),
                            set_monitor_retries, T_ALL},
};

static int find_key(const char *key)
{
    for (int i = 0; i < RK_COUNT; i++)
        if (strcmp(res_keys[i].name, key) == 0)
            return i;
    return -1;
}

/* "type, start, stop, ..." for a type, with the parameters of ocf. */
static const char *keys_of(enum raw_res_type t, char *buf, size_t len)
{
    size_t off;

    conf_key_list(res_keys, RK_COUNT, 1u << t, buf, len);
    off = strlen(buf);
    if (t == RRT_OCF)
        snprintf(buf + off, len - off, " and the agent's parameters (names of A-Z a-z 0-9 _)");
    return buf;
}

/* A key of an ocf resource that is no resource key: OCF_RESKEY_<key>. */
static void add_param(struct conf_parser *p, struct raw_resource *r, const struct raw_res_key *k)
{
    const char *key = p->gr->pool + k->key, *value = p->gr->pool + k->value;

    if (strncmp(key, CRM_META, strlen(CRM_META)) == 0) {
        conf_key_err(p, key,
                     "parameters that start with " CRM_META " are set by vigild itself (timeout, "
                     "interval): remove this line and use the resource's timeout keys");
        return;
    }
    if (r->n_params >= CONF_OCF_PARAMS_MAX) {
        conf_key_err(p, key, "too many OCF parameters: an ocf resource takes at most %d",
                     CONF_OCF_PARAMS_MAX);
        return;
    }
    if (value[0] == '\0') {
        conf_key_err(p, key, "empty value: expected the value of the agent's parameter '%s'", key);
        return;
    }
    if (!conf_text_valid(value)) {
        conf_key_err(p, key, "not valid text: expected printable UTF-8 without control characters");
        return;
    }
    r->params[r->n_params++] = *k;
}

/* The one type in a mask of a single bit. */
static enum raw_res_type mask_type(unsigned types)
{
    enum raw_res_type t = RRT_IP;

    while (t < RRT_SYSTEMD && !(types & (1u << t)))
        t++;
    return t;
}

/* Key i, with p->lineno and p->sec set to its line and section. */
static void read_key(struct conf_parser *p, struct raw_resource *r, int i)
{
    const struct raw_res_key *k = &r->keys[i];
    const char *key = p->gr->pool + k->key, *value = p->gr->pool + k->value;
    unsigned types = r->type >= RRT_IP && r->type <= RRT_SYSTEMD ? 1u << r->type : T_ALL;
    char label[CONF_LABEL_MAX], list[256];
    int d = find_key(key);

    p->lineno = k->line;
    r->reading = i;
    if (d >= 0 && (res_keys[d].types & types)) {
        r->key_line[d] = k->line;
        if (value[0] == '\0')
            conf_key_err(p, key, "empty value: expected %s", res_keys[d].expect);
        else
            res_keys[d].set(p, key, value);
    } else if (r->type == RRT_OCF && conf_ocf_param_name_valid(key)) {
        add_param(p, r, k);
    } else if (d >= 0) {
        conf_key_err(p, key, "key '%s' is for type %s; type %s takes %s: remove this line", key,
                     raw_type_name(mask_type(res_keys[d].types)), raw_type_name(r->type),
                     keys_of(r->type, list, sizeof(list)));
    } else if (types != T_ALL) {
        conf_err(p, k->line, "unknown key '%.64s%s' in %s: expected one of %s", key,
                 strlen(key) > 64 ? "..." : "", conf_resource_label(r, label, sizeof(label)),
                 keys_of(r->type, list, sizeof(list)));
    }
    /* a type that is missing or bad has had its message: its other keys
     * cannot be told from parameters */
}

static const char *const required_hint[RK_COUNT] = {
    [RK_ADDRESS] = "the floating address with its prefix length, e.g. 'address = 192.0.2.100/24'",
    [RK_START] = "the command that starts the resource, run with /bin/sh -c, e.g. "
                 "'start = /usr/local/sbin/app start'",
    [RK_STOP] = "the command that stops the resource, run with /bin/sh -c, e.g. "
                "'stop = /usr/local/sbin/app stop'",
    [RK_AGENT] = "the OCF resource agent, e.g. 'agent = ocf:heartbeat:IPaddr2'",
    [RK_UNIT] = "the systemd unit, e.g. 'unit = postgresql.service'",
};

static void check_required(struct conf_parser *p, const struct raw_resource *r, const char *label)
{
    static const unsigned required[RK_COUNT] = {
        [RK_ADDRESS] = T_IP, [RK_START] = T_EXEC,   [RK_STOP] = T_EXEC,
        [RK_AGENT] = T_OCF,  [RK_UNIT] = T_SYSTEMD,
    };

    if (r->type == RRT_UNSET && !r->key_line[RK_TYPE])
        conf_err(p, r->line,
                 "%s: missing required key 'type': expected 'type = ip', 'type = exec', "
                 "'type = ocf' or 'type = systemd'",
                 label);
    for (int i = 0; r->type != RRT_UNSET && r->type != RRT_BAD && i < RK_COUNT; i++)
        if ((required[i] & (1u << r->type)) && !r->key_line[i])
            conf_err(p, r->line, "%s: missing required key '%s': expected %s", label,
                     res_keys[i].name, required_hint[i]);
}

/* An exec resource without a monitor command is never monitored: keys
 * that tune its monitor are mistakes (but a monitor-interval or
 * monitor-retries of 0, which say so). */
static void check_exec_monitor(struct conf_parser *p, const struct raw_resource *r,
                               const char *label)
{
    static const int keys[] = {RK_MONITOR_INTERVAL, RK_MONITOR_TIMEOUT, RK_MONITOR_RETRIES};

    if (r->type != RRT_EXEC || r->key_line[RK_MONITOR])
        return;
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        int line = r->key_line[keys[i]];

        if (!line || conf_line_has_error(p, line) ||
            (keys[i] == RK_MONITOR_INTERVAL && r->monitor_interval == 0) ||
            (keys[i] == RK_MONITOR_RETRIES && r->monitor_retries == 0))
            continue;
        conf_err(p, line,
                 "%s %s: this exec resource has no 'monitor' command, so it is never "
                 "monitored: add 'monitor = COMMAND' or remove this line",
                 label, res_keys[keys[i]].name);
    }
}

static int group_index(const struct conf_parser *p, const char *name)
{
    for (int i = 0; i < p->gr->n_groups; i++)
        if (strcmp(p->gr->groups[i].name, name) == 0)
            return i;
    return -1;
}

/* The index of the first key named as key i (i itself when it is the first). */
static int first_of(const struct conf_parser *p, const struct raw_resource *r, int i)
{
    for (int j = 0; j < i; j++)
        if (strcmp(p->gr->pool + r->keys[j].key, p->gr->pool + r->keys[i].key) == 0)
            return j;
    return i;
}

/* The type, then every other key in file order, then what the type requires. */
static void check_keys(struct conf_parser *p, int ri)
{
    struct raw_resource *r = &p->gr->resources[ri];
    char label[CONF_LABEL_MAX];

    conf_resource_label(r, label, sizeof(label));
    p->sec = SEC_RESOURCE;
    p->sec_index = ri;
    res_ip_init(&r->ip);
    for (int i = 0; i < r->n_keys; i++) {
        int first = first_of(p, r, i);

        if (first != i) {
            p->lineno = r->keys[i].line;
            conf_key_err(p, p->gr->pool + r->keys[i].key,
                         "duplicate key (first set on line %d): set each key once",
                         r->keys[first].line);
        } else if (strcmp(p->gr->pool + r->keys[i].key, "type") == 0) {
            read_key(p, r, i);
            if (r->type == RRT_UNSET)
                r->type = RRT_BAD; /* empty: reported */
        }
    }
    for (int i = 0; i < r->n_keys; i++)
        if (first_of(p, r, i) == i && strcmp(p->gr->pool + r->keys[i].key, "type") != 0)
            read_key(p, r, i);
    check_required(p, r, label);
    check_exec_monitor(p, r, label);
}

/* Are a and b (both parsed) the same address, whatever their prefixes? */
static bool same_ip(const struct res_ip_addr *a, const struct res_ip_addr *b)
{
    return a->family == b->family && memcmp(a->bytes, b->bytes, sizeof(a->bytes)) == 0;
}

static bool node_has_ip(const struct sockaddr_storage *ss, socklen_t len,
                        const struct res_ip_addr *a)
{
    if (!len || ss->ss_family != a->family)
        return false;
    if (a->family == AF_INET)
        return memcmp(&((const struct sockaddr_in *)ss)->sin_addr, a->bytes, 4) == 0;
    return memcmp(&((const struct sockaddr_in6 *)ss)->sin6_addr, a->bytes, 16) == 0;
}

/* A floating address belongs to one resource and is no node's own. */
static void check_address(struct conf_parser *p, int ri, const char *label)
{
    const struct raw_resource *r = &p->gr->resources[ri];
    char other[CONF_LABEL_MAX], text[RES_IP_TEXT_MAX];
    int line = r->key_line[RK_ADDRESS];

    if (r->type != RRT_IP || !r->ip.addr.family)
        return;
    res_ip_format_host(&r->ip.addr, text, sizeof(text));
    for (int j = 0; j < ri; j++) {
        const struct raw_resource *o = &p->gr->resources[j];

        if (o->type == RRT_IP && same_ip(&o->ip.addr, &r->ip.addr)) {
            conf_err(p, line,
                     "%s address: %s is already the address of %s (line %d): a floating "
                     "address belongs to one resource",
                     label, text, conf_resource_label(o, other, sizeof(other)),
                     o->key_line[RK_ADDRESS]);
            return;
        }
    }
    for (int n = 0; n < p->n_nodes; n++) {
        const struct raw_node *node = &p->nodes[n];

        for (int li = 0; li < p->n_links; li++) {
            if (!node_has_ip(&node->addr[li], node->addr_len[li], &r->ip.addr))
                continue;
            conf_err(p, line,
                     "%s address: %s is the address of %s on link '%s' (line %d): a floating "
                     "address must not be a node's own address",
                     label, text, conf_node_label(node, other, sizeof(other)), p->links[li].name,
                     node->addr_line[li]);
            return;
        }
    }
}

/* OCF agents keep state files named after OCF_RESOURCE_INSTANCE, which is
 * GROUP-NAME: two ocf resources may not have the same (a-b/c and a/b-c). */
static void check_instance(struct conf_parser *p, int ri, const char *label)
{
    const struct raw_resource *r = &p->gr->resources[ri];
    char mine[2 * VIGIL_NAME_MAX], theirs[2 * VIGIL_NAME_MAX], other[CONF_LABEL_MAX];

    if (r->type != RRT_OCF)
        return;
    snprintf(mine, sizeof(mine), "%s-%s", r->group, r->name);
    for (int j = 0; j < ri; j++) {
        const struct raw_resource *o = &p->gr->resources[j];

        if (o->type != RRT_OCF)
            continue;
        snprintf(theirs, sizeof(theirs), "%s-%s", o->group, o->name);
        if (strcmp(mine, theirs) == 0) {
            conf_err(p, r->line,
                     "%s: its OCF instance name '%s' (GROUP-NAME, which agents name their state "
                     "files after) is also that of %s (line %d): rename one of them",
                     label, mine, conf_resource_label(o, other, sizeof(other)), o->line);
            return;
        }
    }
}

void conf_resource_check(struct conf_parser *p)
{
    char label[CONF_LABEL_MAX];
    int lineno = p->lineno;
    bool used[VIGIL_MAX_GROUPS] = {false};

    if (!p->gr)
        return;

    for (int ri = 0; ri < p->gr->n_resources; ri++) {
        struct raw_resource *r = &p->gr->resources[ri];

        check_keys(p, ri);
        conf_resource_label(r, label, sizeof(label));
        r->group_index = group_index(p, r->group);
        if (r->group_index < 0)
            conf_err(p, r->line,
                     "%s: there is no [group \"%s\"] section: add one (with 'nodes = ...') or "
                     "fix the group name",
                     label, r->group);
        else
            used[r->group_index] = true;
        check_address(p, ri, label);
        check_instance(p, ri, label);
    }
    p->lineno = lineno;
    p->sec = SEC_NONE;
    for (int gi = 0; gi < p->gr->n_groups; gi++)
        if (!used[gi])
            conf_err(p, p->gr->groups[gi].line,
                     "[group \"%s\"]: group '%s' has no resources: add a [resource \"%s/NAME\"] "
                     "section",
                     p->gr->groups[gi].name, p->gr->groups[gi].name, p->gr->groups[gi].name);
}

/* Copies s into c->text: never fails, since c->text holds a part of the
 * pool, which is as large. */
static uint32_t keep_text(struct conf *c, const char *s)
{
    size_t n = strlen(s) + 1;

    if (c->text_len == 0)
        c->text_len = 1; /* offset 0 is "" */
    if (n > sizeof(c->text) - c->text_len)
        return 0;
    memcpy(c->text + c->text_len, s, n);
    c->text_len += (uint32_t)n;
    return c->text_len - (uint32_t)n;
}

static uint32_t keep(struct conf_parser *p, uint32_t pool_off)
{
    return pool_off ? keep_text(p->out, p->gr->pool + pool_off) : 0;
}

void conf_resource_build(struct conf_parser *p, const struct raw_resource *r, int group,
                         struct conf_resource *out)
{
    const struct conf_group *g = &p->out->groups[group];
    static const enum conf_res_type types[] = {[RRT_IP] = CONF_RES_IP,
                                               [RRT_EXEC] = CONF_RES_EXEC,
                                               [RRT_OCF] = CONF_RES_OCF,
                                               [RRT_SYSTEMD] = CONF_RES_SYSTEMD};
    const int *line = r->key_line;

    snprintf(out->name, sizeof(out->name), "%s", r->name);
    out->group = group;
    out->type = types[r->type];
    out->line = r->line;
    out->monitor_interval = line[RK_MONITOR_INTERVAL] ? r->monitor_interval : g->monitor_interval;
    if (r->type == RRT_EXEC && !r->monitor)
        out->monitor_interval = 0; /* nothing to run */
    out->monitor_timeout = line[RK_MONITOR_TIMEOUT] ? r->monitor_timeout : CONF_DEFAULT_RES_TIMEOUT;
    out->start_timeout = line[RK_START_TIMEOUT] ? r->start_timeout : CONF_DEFAULT_RES_TIMEOUT;
    out->stop_timeout = line[RK_STOP_TIMEOUT] ? r->stop_timeout : CONF_DEFAULT_RES_TIMEOUT;
    out->monitor_timeout_set = line[RK_MONITOR_TIMEOUT] != 0;
    out->start_timeout_set = line[RK_START_TIMEOUT] != 0;
    out->stop_timeout_set = line[RK_STOP_TIMEOUT] != 0;
    out->monitor_retries = r->monitor_retries;
    switch (r->type) {
    case RRT_IP:
        out->ip = r->ip;
        break;
    case RRT_EXEC:
        out->start = keep(p, r->start);
        out->stop = keep(p, r->stop);
        out->monitor = keep(p, r->monitor);
        break;
    case RRT_OCF:
        snprintf(out->ocf_provider, sizeof(out->ocf_provider), "%s", r->provider);
        snprintf(out->ocf_type, sizeof(out->ocf_type), "%s", r->agent_type);
        for (int i = 0; i < r->n_params; i++) {
            out->params[i].name = keep(p, r->params[i].key);
            out->params[i].value = keep(p, r->params[i].value);
        }
        out->n_params = r->n_params;
        break;
    case RRT_SYSTEMD:
        out->unit = keep(p, r->unit);
        break;
    case RRT_UNSET:
    case RRT_BAD:
        break; /* reported: nothing is built */
    }
}
