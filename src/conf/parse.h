/* Internal to src/conf: the state of one conf_parse_text() call, shared by
 * parse.c (lines and section headers), keys.c (key = value pairs),
 * validate.c (checks that need the whole file) and value.c/address.c/url.c
 * (value syntax). Nothing outside src/conf includes this. */
#ifndef VIGIL_CONF_PARSE_H
#define VIGIL_CONF_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "conf.h"

#define CONF_DURATION_EXPECT "expected a duration with a unit, e.g. 200ms or 1s"
#define CONF_NAME_EXPECT "expected 1 to 63 characters of A-Z a-z 0-9 _ . -"

/* A node section may hold 'id' plus one address per link; keys beyond this
 * many cannot all be link names. */
#define CONF_NODE_KEYS_MAX (2 * VIGIL_MAX_LINKS)
/* Longest address value kept ("[" IPv6 "]" is 47 characters at most). */
#define CONF_ADDR_TEXT_MAX 64
/* Unknown keys of a link section, kept until its type is known. */
#define CONF_LINK_UNKNOWN_MAX 8
/* Room for "[node \"NAME\"]", "[resource \"GROUP/NAME\"]" and the like. */
#define CONF_LABEL_MAX (2 * VIGIL_NAME_MAX + 16)
/* Keys of one [resource] section: those of its type and the OCF parameters. */
#define CONF_RESOURCE_KEYS_MAX (RK_COUNT + CONF_OCF_PARAMS_MAX)

enum conf_sec {
    SEC_NONE,
    SEC_CLUSTER,
    SEC_NODE,
    SEC_LINK,
    SEC_NP,
    SEC_GROUP,
    SEC_RESOURCE,
    SEC_FENCE,
    SEC_WATCHDOG,
    SEC_SKIP
};

enum cluster_key {
    CK_NAME,
    CK_KEY_FILE,
    CK_INTERVAL,
    CK_TIMEOUT,
    CK_INITIAL_TIMEOUT,
    CK_REALTIME,
    CK_QUORUM,
    CK_ALLOW_SPLIT_BRAIN,
    CK_FENCING,
    CK_FENCE_ACTION,
    CK_COUNT
};

enum link_key {
    LK_TYPE,
    LK_PRIORITY,
    LK_PORT,
    LK_FAMILY,
    LK_DEVICE,
    LK_URL,
    LK_TOKEN_FILE,
    LK_PROXY,
    LK_CA_FILE,
    LK_INTERVAL,
    LK_TIMEOUT,
    LK_COUNT
};

/* What `type =` said: nothing yet, one of the kinds, or junk. */
enum raw_link_type { RLT_UNSET, RLT_UDP, RLT_DISK, RLT_WITNESS, RLT_BAD };

enum np_key { NPK_TYPE, NPK_TARGETS, NPK_COUNT, NPK_URL, NPK_INTERVAL, NPK_TIMEOUT, NPK_KEYS };

/* What `type =` said in an [np] section. */
enum raw_np_type { RNP_UNSET, RNP_PING, RNP_HTTP, RNP_BAD };

enum group_key {
    GK_NODES,
    GK_FAILBACK,
    GK_MIGRATION_THRESHOLD,
    GK_FAILURE_TIMEOUT,
    GK_MONITOR_INTERVAL,
    GK_COUNT
};

enum res_key {
    RK_TYPE,
    RK_ADDRESS,
    RK_INTERFACE,
    RK_ANNOUNCE_COUNT,
    RK_PROBE_TIMEOUT,
    RK_START,
    RK_STOP,
    RK_MONITOR,
    RK_AGENT,
    RK_UNIT,
    RK_MONITOR_INTERVAL,
    RK_MONITOR_TIMEOUT,
    RK_START_TIMEOUT,
    RK_STOP_TIMEOUT,
    RK_MONITOR_RETRIES,
    RK_COUNT
};

/* What `type =` said in a [resource] section. */
enum raw_res_type { RRT_UNSET, RRT_IP, RRT_EXEC, RRT_OCF, RRT_SYSTEMD, RRT_BAD };

/* A key remembered with its line, for checks that must wait for the end. */
struct raw_key {
    char key[VIGIL_NAME_MAX];
    char value[CONF_ADDR_TEXT_MAX];
    int line;
    bool key_long;   /* key was cut to fit */
    bool value_long; /* value was cut to fit */
};

struct raw_link {
    char name[VIGIL_NAME_MAX];
    int line;
    int key_line[LK_COUNT]; /* 0: not set */
    enum raw_link_type type;
    int priority; /* 0: missing or bad */
    uint16_t port;
    int family;      /* AF_UNSPEC until `family =` or the first address */
    int family_line; /* the line that decided the family */
    int family_node; /* node whose address decided it; -1: the `family` key */
    char device[VIGIL_PATH_MAX];
    char url[CONF_URL_MAX];
    bool url_ok;    /* url was set and is well formed */
    bool url_https; /* and starts with https:// */
    char token_file[VIGIL_PATH_MAX];
    char proxy[CONF_URL_MAX];
    char ca_file[VIGIL_PATH_MAX];
    vg_usec_t interval, timeout; /* valid when their key_line is set and !timing_bad */
    bool timing_bad;             /* an interval or timeout key did not parse */
    struct raw_key unknown[CONF_LINK_UNKNOWN_MAX];
    int n_unknown;
};

struct raw_np {
    char name[VIGIL_NAME_MAX];
    int line;
    int key_line[NPK_KEYS]; /* 0: not set */
    enum raw_np_type type;
    struct sockaddr_storage targets[CONF_NP_TARGETS_MAX];
    socklen_t target_len[CONF_NP_TARGETS_MAX];
    int n_targets;
    int count;                   /* valid when its key_line is set */
    vg_usec_t interval, timeout; /* valid when their key_line is set and !timing_bad */
    bool timing_bad;             /* an interval or timeout key did not parse */
    char url[CONF_URL_MAX];
    struct raw_key unknown[CONF_LINK_UNKNOWN_MAX];
    int n_unknown;
};

struct raw_group {
    char name[VIGIL_NAME_MAX];
    int line;
    int key_line[GK_COUNT];          /* 0: not set */
    uint32_t nodes[VIGIL_MAX_NODES]; /* the names in `nodes =`: offsets in the pool */
    int n_nodes;
    bool failback;
    int migration_threshold;    /* valid when its key_line is set */
    vg_usec_t failure_timeout;  /* valid when its key_line is set; 0: never */
    vg_usec_t monitor_interval; /* valid when its key_line is set; 0: none */
};

/* A key = value of a [resource] section: offsets in the pool. */
struct raw_res_key {
    uint32_t key, value;
    int line;
};

/* A [resource] section. Its keys are kept as written and read once the
 * whole file is (conf_resource_check): what a key means depends on the
 * type, which may come last, and in an ocf resource any key that is not
 * one of the resource keys is a parameter of the agent. */
struct raw_resource {
    char group[VIGIL_NAME_MAX];
    char name[VIGIL_NAME_MAX];
    int line;
    struct raw_res_key keys[CONF_RESOURCE_KEYS_MAX];
    int n_keys;
    int reading; /* conf_resource_check(): the index of the key being read */

    /* filled by conf_resource_check() */
    enum raw_res_type type;
    int key_line[RK_COUNT]; /* 0: not set */
    int group_index;        /* in p->gr->groups; -1: no such group */
    vg_usec_t monitor_interval, monitor_timeout, start_timeout, stop_timeout;
    int monitor_retries;
    struct res_ip ip;
    uint32_t start, stop, monitor, unit; /* offsets in the pool; 0: not set */
    char provider[VIGIL_NAME_MAX], agent_type[VIGIL_NAME_MAX];
    struct raw_res_key params[CONF_OCF_PARAMS_MAX];
    int n_params;
};

/* The [group] and [resource] sections of a file, allocated with the first
 * of them, the resources and the pool as they grow (up to their bounds):
 * a file without groups costs nothing more to parse, a small one little. */
struct raw_groups {
    struct raw_group groups[VIGIL_MAX_GROUPS];
    int n_groups;
    struct raw_resource *resources; /* up to VIGIL_MAX_RESOURCES */
    int n_resources, cap_resources;
    /* text kept for the end: node names of [group] sections, keys and values
     * of [resource] sections, each with its NUL; offset 0 is "". At most
     * CONF_TEXT_MAX bytes. */
    char *pool;
    uint32_t pool_len, pool_cap;
};

enum fence_key {
    FK_TYPE,
    FK_AGENT,
    FK_NODES,
    FK_PLUG_MAP,
    FK_LEVEL,
    FK_TIMEOUT,
    FK_RETRIES,
    FK_COUNT
};

/* A [fence "NAME"] section as read: its keys, and every other key as an
 * agent parameter; node names wait for the end of the file. */
struct raw_fence {
    char name[VIGIL_NAME_MAX];
    int line;
    int key_line[FK_COUNT]; /* 0: not set */
    bool type_bad;          /* `type =` was not agent (reported) */
    char agent[CONF_FENCE_VALUE_MAX];
    char nodes[VIGIL_MAX_NODES][VIGIL_NAME_MAX];
    int n_nodes;
    struct {
        char node[VIGIL_NAME_MAX];
        char plug[CONF_FENCE_PLUG_MAX];
    } plugs[VIGIL_MAX_NODES];
    int n_plugs;
    int level, retries;
    vg_usec_t timeout;
    struct {
        char name[VIGIL_NAME_MAX];
        char value[CONF_FENCE_VALUE_MAX];
        int line;
    } params[CONF_FENCE_PARAMS_MAX];
    int n_params;
};

struct raw_node {
    char name[VIGIL_NAME_MAX];
    int line;
    int id;                                  /* 0: missing or bad */
    int id_line;                             /* 0: no `id =` key */
    int votes;                               /* default 1 */
    int votes_line;                          /* 0: no `votes =` key */
    struct raw_key keys[CONF_NODE_KEYS_MAX]; /* every key but id, in file order */
    int n_keys;
    /* resolved after the whole file: address on raw link i */
    struct sockaddr_storage addr[VIGIL_MAX_LINKS];
    socklen_t addr_len[VIGIL_MAX_LINKS];
    int addr_line[VIGIL_MAX_LINKS]; /* line of the key naming link i; 0: none */
};

struct conf_parser {
    const char *path;
    const char *text;
    size_t len;
    size_t pos;

    int lineno;      /* line last handed to inih */
    const char *raw; /* that line, after leading blanks (not NUL-terminated) */
    size_t raw_len;
    bool kv_pending; /* handed to inih as key = value, handler not called yet */

    enum conf_sec sec; /* the section the current line belongs to */
    int sec_index;     /* index in nodes[] or links[] */

    int cluster_line; /* 0: no [cluster] */
    int cluster_key_line[CK_COUNT];
    bool timing_bad; /* a timing key did not parse: skip the cross checks */

    struct raw_link links[VIGIL_MAX_LINKS];
    int n_links;
    struct raw_node nodes[VIGIL_MAX_NODES];
    int n_nodes;
    struct raw_np nps[CONF_NP_MAX];
    int n_nps;
    struct raw_groups *gr; /* NULL until the first [group] or [resource] header */
    struct raw_fence fences[CONF_FENCE_MAX];
    int n_fences;
    int watchdog_line;        /* 0: no [watchdog] */
    int watchdog_key_line[2]; /* device, timeout */

    struct conf *out; /* cluster keys are written straight into it */

    struct conf_diag diag;
    int diag_line[CONF_DIAG_MAX];
    int errors;
};

/* "timeout must be larger than interval" for a section with timing of its
 * own; `from` says where an unset one comes from ("from [cluster]"), `what`
 * names the section kind in the hint ("link"). Reports nothing when fine. */
void conf_check_timing_pair(struct conf_parser *p, const char *label, vg_usec_t interval,
                            vg_usec_t timeout, int interval_line, int timeout_line,
                            const char *from, const char *what);

/* p->gr, allocated on first use; NULL after reporting (at the current
 * line) that memory ran out. conf_raw_resource_new(): room for one more
 * resource in p->gr (not counted yet), or NULL after reporting. */
struct raw_groups *conf_raw_groups(struct conf_parser *p);
struct raw_resource *conf_raw_resource_new(struct conf_parser *p);

/* Keep s in p->gr->pool: its offset in *off, or -ENOSPC after reporting it
 * for `key` of the current section. */
int conf_pool_add(struct conf_parser *p, const char *key, const char *s, uint32_t *off);

/* Fill k for `key` on the current line (kept to be reported later). */
void conf_raw_key_set(struct conf_parser *p, struct raw_key *k, const char *key);

/* Record one error: "PATH:LINE: " then the formatted text. */
void conf_err(struct conf_parser *p, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Whether an error was recorded for this line (among the first CONF_DIAG_MAX). */
bool conf_line_has_error(const struct conf_parser *p, int line);

/* "[cluster]", "[node \"alpha\"]", "[link \"lan1\"]" for the current section. */
const char *conf_sec_label(const struct conf_parser *p, char *buf, size_t len);
const char *conf_node_label(const struct raw_node *n, char *buf, size_t len);
const char *conf_link_label(const struct raw_link *l, char *buf, size_t len);
const char *conf_np_label(const struct raw_np *n, char *buf, size_t len);
const char *conf_group_label(const struct raw_group *g, char *buf, size_t len);
const char *conf_resource_label(const struct raw_resource *r, char *buf, size_t len);

/* "FILE:LINE: [section] key: " and the message, at the current line. */
void conf_key_err(struct conf_parser *p, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* One key of a section kind: its name, what a good value looks like (for
 * messages), how to store it, and for link and np keys the types it applies
 * to (a mask of 1 << RLT_... or 1 << RNP_...; 0 for other sections). */
struct key_def {
    const char *name;
    const char *expect;
    void (*set)(struct conf_parser *p, const char *key, const char *value);
    unsigned types;
};

/* keys.c, shared with np.c. conf_find_key(): the index of key in defs,
 * -ENOENT when unknown (not reported), -EINVAL after reporting a duplicate or
 * an empty value; lines[] remembers where each key was. conf_key_list():
 * "type, priority, port" for the keys that apply to one of `types` (all when
 * 0). conf_set_duration(): a duration in [min, max] into *dst, or -EINVAL
 * after reporting it. conf_set_url_value(): a url (or proxy) checked by
 * conf_parse_url() into dst, or false after reporting it. */
int conf_find_key(struct conf_parser *p, const struct key_def *defs, int n, int *lines,
                  const char *key, const char *value);
const char *conf_key_list(const struct key_def *defs, int n, unsigned types, char *buf, size_t len);
int conf_set_duration(struct conf_parser *p, const char *key, const char *value, vg_usec_t *dst,
                      vg_usec_t min, vg_usec_t max);
bool conf_set_url_value(struct conf_parser *p, const char *key, const char *value, bool proxy,
                        char *dst, size_t size, bool *https);
/* conf_set_monitor_interval(): `monitor-interval` of a group or a resource,
 * 0 or a duration in [CONF_RES_TIME_MIN, CONF_RES_TIME_MAX], into *dst.
 * conf_split_list(): add() on each entry of a comma-separated list (blanks
 * around it trimmed; an empty entry too), in order; false as soon as one
 * add() is. */
void conf_set_monitor_interval(struct conf_parser *p, const char *key, const char *value,
                               vg_usec_t *dst);
bool conf_split_list(struct conf_parser *p, const char *key, const char *value,
                     bool (*add)(struct conf_parser *p, const char *key, const char *s, size_t n));

/* keys.c: one key = value of the current section. */
void conf_key_cluster(struct conf_parser *p, const char *key, const char *value);
void conf_key_node(struct conf_parser *p, const char *key, const char *value);
void conf_key_link(struct conf_parser *p, const char *key, const char *value);
/* Once the link's type is known: its unknown keys, and the keys it has that
 * belong to another type of link. */
void conf_link_check_keys(struct conf_parser *p, const struct raw_link *l);
/* "disk" for RLT_DISK, and so on; "unknown" for RLT_UNSET and RLT_BAD. */
const char *conf_raw_link_type_name(enum raw_link_type t);

/* np.c: [np "NAME"] sections. conf_open_np() acts on the header (name
 * checked already), conf_key_np() on one key, conf_np_check() once the file
 * is read (keys of the type, required keys, timing), conf_np_build() fills
 * p->out->nps from a file with no errors. */
void conf_open_np(struct conf_parser *p, const char *name);
void conf_key_np(struct conf_parser *p, const char *key, const char *value);
void conf_np_check(struct conf_parser *p);
void conf_np_build(struct conf_parser *p);

/* group.c: [group "NAME"] sections, as np.c: conf_open_group() on the header
 * (name checked already), conf_key_group() on one key, conf_group_check()
 * once the file is read (required keys, the nodes of the policy),
 * conf_group_build() fills p->out->groups and their resources from a file
 * with no errors, once p->out->nodes is. */
void conf_open_group(struct conf_parser *p, const char *name);
void conf_key_group(struct conf_parser *p, const char *key, const char *value);
void conf_group_check(struct conf_parser *p);
void conf_group_build(struct conf_parser *p);

/* resource.c: [resource "GROUP/NAME"] sections. conf_open_resource() on the
 * header (name may be NULL), conf_key_resource() keeps one key,
 * conf_resource_check() reads them all once the file is (after the node
 * addresses: a floating address may not be one of them); conf_group_build()
 * takes the result with conf_resource_build(). */
void conf_open_resource(struct conf_parser *p, const char *name);
void conf_key_resource(struct conf_parser *p, const char *key, const char *value);
void conf_resource_check(struct conf_parser *p);
void conf_resource_build(struct conf_parser *p, const struct raw_resource *r, int group,
                         struct conf_resource *out);

/* fence.c: [fence "NAME"] sections, as np.c: conf_open_fence() on the
 * header (name checked already), conf_key_fence() on one key (a key that is
 * not one of Vigil's is a parameter of the agent), conf_fence_check() once
 * the file is read (required keys, node names, fencing = none),
 * conf_fence_build() fills p->out->fences once p->out->nodes is. */
void conf_open_fence(struct conf_parser *p, const char *name);
void conf_key_fence(struct conf_parser *p, const char *key, const char *value);
void conf_fence_check(struct conf_parser *p);
void conf_fence_build(struct conf_parser *p);
const char *conf_fence_label(const struct raw_fence *f, char *buf, size_t len);

/* watchdog.c: the [watchdog] section: its header, one key, the checks once
 * the file is read (against [cluster] timeout), the result into p->out. */
void conf_open_watchdog(struct conf_parser *p, const char *name);
void conf_key_watchdog(struct conf_parser *p, const char *key, const char *value);
void conf_watchdog_check(struct conf_parser *p);

/* validate.c: checks that need the whole file, then the result in p->out. */
void conf_validate(struct conf_parser *p);

/* value.c: value syntax, all pure. */
int conf_parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out);
int conf_parse_bool(const char *s, bool *out);
bool conf_name_valid(const char *s);
bool conf_text_valid(const char *s);
/* A duration that may be zero ("0", "0s", "0.0ms"): 0 with *out = 0, else
 * as conf_parse_duration(). */
int conf_parse_duration_or_zero(const char *s, vg_usec_t *out);
/* "ocf:PROVIDER:TYPE", each part 1..63 of [A-Za-z0-9_.-] not starting
 * with '.' (they are file names). -EINVAL with *why. */
int conf_parse_ocf_agent(const char *s, char provider[VIGIL_NAME_MAX], char type[VIGIL_NAME_MAX],
                         const char **why);
/* An OCF parameter name: [A-Za-z_][A-Za-z0-9_]*, 1..63 characters. */
bool conf_ocf_param_name_valid(const char *s);
/* A systemd unit that can be started and stopped: NAME.service and the
 * like (value.c lists the types). -EINVAL with *why. */
int conf_check_unit(const char *s, const char **why);

/* address.c: an IPv4 or IPv6 literal (IPv6 optionally in brackets) into
 * *ss with port 0. -EINVAL with *why saying what is wrong. */
int conf_parse_address(const char *s, struct sockaddr_storage *ss, socklen_t *len,
                       const char **why);
const char *conf_family_name(int family);

/* url.c: the shape of a witness URL, http(s)://HOST[:PORT][/PATH], or with
 * `proxy` of a proxy URL, http://HOST:PORT. HOST is a DNS name, an IPv4
 * literal or a bracketed IPv6 literal; nothing is resolved. 0 with *https
 * set, or -EINVAL with *why saying what is wrong. */
int conf_parse_url(const char *s, bool proxy, bool *https, const char **why);

#endif
