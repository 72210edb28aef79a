/* The cluster configuration (vigil.conf): its in-memory form and the parser.
 *
 * Parsing is a pure function over text (conf_parse_text) so that it can be
 * unit-tested and fuzzed; conf_load() only adds reading the file. Every error
 * is collected with file, line and key in a struct conf_diag, so an admin sees
 * all problems of a file at once. */
#ifndef VIGIL_CONF_H
#define VIGIL_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "../common/clock.h"
#include "../common/limits.h"
#include "../resources/resources.h"

/* The kinds of heartbeat channel (DESIGN.md, "link"): udp carries cluster
 * messages and liveness; disk and witness carry liveness only. */
enum link_type { LINK_UDP, LINK_DISK, LINK_WITNESS };

/* How a view gets quorum (docs/membership.md):
 * majority: more than half of the votes (a tie goes to a tie-breaker);
 * witness:  only with the witness's grant, whatever the count;
 * none:     always (needs allow-split-brain = yes). */
enum conf_quorum { QUORUM_MAJORITY, QUORUM_WITNESS, QUORUM_NONE };

const char *conf_quorum_name(enum conf_quorum q);

/* How a node that left the view while it held a group counts (docs/groups.md,
 * "Safety rule 2"): required: its group may still run there until it says
 * it stopped (or, with issue 6, it was fenced); none: it counts as stopped
 * at once (unsafe: a node cut off but alive keeps running it). */
enum conf_fencing { FENCING_REQUIRED, FENCING_NONE };

const char *conf_fencing_name(enum conf_fencing f);

/* What fencing a node does to it (`[cluster] fence-action`, docs/fencing.md):
 * reboot (the default, as Pacemaker's stonith-action) or off. */
enum conf_fence_action { FENCE_ACT_REBOOT, FENCE_ACT_OFF };

const char *conf_fence_action_name(enum conf_fence_action a);

/* The kinds of network-partition resolution (docs/configuration.md, "[np]"):
 * in a tie, a side that cannot reach an [np] section's ping targets, or its
 * url over HTTP, loses. */
enum np_type { NP_PING, NP_HTTP };

/* The kinds of resource (DESIGN.md, "resource"), as written after `type =`
 * in a [resource] section. */
enum conf_res_type { CONF_RES_IP, CONF_RES_EXEC, CONF_RES_OCF, CONF_RES_SYSTEMD };

/* Defaults and bounds (docs/configuration.md lists them for users). */
#define CONF_DEFAULT_KEY_FILE "/etc/vigil/authkey"
#define CONF_DEFAULT_INTERVAL (200 * VG_USEC_PER_MSEC)
#define CONF_DEFAULT_TIMEOUT (1 * VG_USEC_PER_SEC)
#define CONF_DEFAULT_INITIAL_TIMEOUT (10 * VG_USEC_PER_SEC)
#define CONF_DEFAULT_PORT 5405
#define CONF_INTERVAL_MIN (10 * VG_USEC_PER_MSEC)
#define CONF_INTERVAL_MAX (60 * VG_USEC_PER_SEC)
#define CONF_TIMEOUT_MAX (3600 * VG_USEC_PER_SEC) /* timeout and initial-timeout */
#define CONF_URL_MAX 1024                         /* witness url and proxy, with the NUL */
#define CONF_LINE_MAX 4096                        /* characters per line, newline excluded */
#define CONF_FILE_MAX (1024 * 1024)               /* conf_load() refuses larger files */
#define CONF_NP_MAX 4                             /* [np] sections */
#define CONF_NP_TARGETS_MAX 8                     /* ping targets per [np] section */
#define CONF_NP_DEFAULT_COUNT 3
#define CONF_NP_COUNT_MAX 10
#define CONF_NP_DEFAULT_INTERVAL (1 * VG_USEC_PER_SEC)
#define CONF_NP_DEFAULT_TIMEOUT (3 * VG_USEC_PER_SEC)
#define CONF_NP_INTERVAL_MIN (100 * VG_USEC_PER_MSEC)
#define CONF_NP_INTERVAL_MAX (60 * VG_USEC_PER_SEC)
/* [group] and [resource]; the counts are VIGIL_MAX_GROUPS,
 * VIGIL_MAX_GROUP_RESOURCES and VIGIL_MAX_RESOURCES (common/limits.h) */
#define CONF_DEFAULT_MIGRATION_THRESHOLD 3
#define CONF_MIGRATION_THRESHOLD_MAX 1000
#define CONF_DEFAULT_FAILURE_TIMEOUT (600 * VG_USEC_PER_SEC)
#define CONF_FAILURE_TIMEOUT_MIN (1 * VG_USEC_PER_SEC)
#define CONF_FAILURE_TIMEOUT_MAX (720 * 3600 * VG_USEC_PER_SEC) /* 30 days */
#define CONF_DEFAULT_MONITOR_INTERVAL (10 * VG_USEC_PER_SEC)
#define CONF_DEFAULT_RES_TIMEOUT (20 * VG_USEC_PER_SEC) /* start, stop and monitor */
#define CONF_RES_TIME_MIN (100 * VG_USEC_PER_MSEC)      /* monitor-interval (but 0) and timeouts */
#define CONF_RES_TIME_MAX (24 * 3600 * VG_USEC_PER_SEC)
#define CONF_MONITOR_RETRIES_MAX 10
#define CONF_OCF_PARAMS_MAX 32     /* OCF parameters per resource */
#define CONF_COMMAND_MAX 4096      /* an exec command, with the NUL */
#define CONF_UNIT_MAX 256          /* a systemd unit name, with the NUL */
#define CONF_TEXT_MAX (128 * 1024) /* conf.text: the strings of every resource */
/* [fence] sections (docs/fencing.md) */
#define CONF_FENCE_MAX 8
#define CONF_FENCE_LEVELS 4      /* level = 1..4 */
#define CONF_FENCE_PARAMS_MAX 16 /* agent parameters per device */
#define CONF_FENCE_VALUE_MAX 256 /* a parameter's value or an agent, with the NUL */
#define CONF_FENCE_PLUG_MAX 64   /* a plug-map value, with the NUL */
#define CONF_FENCE_DEFAULT_TIMEOUT (60 * VG_USEC_PER_SEC)
#define CONF_FENCE_DEFAULT_RETRIES 2
#define CONF_FENCE_RETRIES_MAX 10
/* [watchdog] */
#define CONF_WATCHDOG_DEFAULT_DEVICE "/dev/watchdog"
#define CONF_WATCHDOG_DEFAULT_TIMEOUT (10 * VG_USEC_PER_SEC)
#define CONF_WATCHDOG_TIMEOUT_MIN (1 * VG_USEC_PER_SEC)
#define CONF_WATCHDOG_TIMEOUT_MAX (3600 * VG_USEC_PER_SEC)

/* One heartbeat channel. Fields that do not apply to a link's type are zero
 * (priority, port, family on disk and witness links) or the empty string. */
struct conf_link {
    char name[VIGIL_NAME_MAX];
    enum link_type type;
    int priority;  /* udp: 1 = highest, unique among udp links; others: 0 */
    uint16_t port; /* udp; others: 0 */
    int family;    /* udp: AF_INET or AF_INET6, from `family =` or the first node address;
                    * others: AF_UNSPEC */
    int line;      /* line of the [link] header, for later messages */

    /* disk: the shared partition or file, an absolute path, the same on every node */
    char device[VIGIL_PATH_MAX];
    /* witness: http(s)://HOST[:PORT][/PATH], checked for shape only (never
     * resolved); the file holding the cluster's token (absolute path); an
     * optional http://HOST:PORT proxy; an optional CA bundle (https only) */
    char url[CONF_URL_MAX];
    char token_file[VIGIL_PATH_MAX];
    char proxy[CONF_URL_MAX];     /* "": direct */
    char ca_file[VIGIL_PATH_MAX]; /* "": the system's CAs */

    /* Heartbeat interval and down-timeout on this link: the link's own
     * `interval` / `timeout` keys (disk and witness links only), else the
     * [cluster] values. Always filled; timeout > interval. */
    vg_usec_t interval, timeout;
};

struct conf_node {
    char name[VIGIL_NAME_MAX];
    int id;    /* 1..VIGIL_MAX_NODES */
    int votes; /* quorum votes, default 1 (0..VIGIL_MAX_NODES) */
    /* addr[i]: the node's address on links[i] (port filled in from the link) */
    struct sockaddr_storage addr[VIGIL_MAX_LINKS];
    socklen_t addr_len[VIGIL_MAX_LINKS];
    int line;
};

/* One network-partition resolution section. Fields that do not apply to
 * its type are zero or the empty string. */
struct conf_np {
    char name[VIGIL_NAME_MAX];
    enum np_type type;
    /* ping: the addresses to reach, port 0, in the order written */
    struct sockaddr_storage targets[CONF_NP_TARGETS_MAX];
    socklen_t target_len[CONF_NP_TARGETS_MAX];
    int n_targets;
    int count; /* ping: echo requests per round, 1..10, default 3; http: 0 */
    /* how often a round runs (default 1s); a target (or the url) that answered
     * nothing for `timeout` (default 3s, > interval) is unreachable */
    vg_usec_t interval, timeout;
    char url[CONF_URL_MAX]; /* http: as a witness url; ping: "" */
    int line;               /* line of the [np] header */
};

/* A fence device: a fence agent of the fence-agents family that can fence
 * the nodes in `nodes` (docs/fencing.md). */
struct conf_fence {
    char name[VIGIL_NAME_MAX];
    char agent[CONF_FENCE_VALUE_MAX]; /* as written: a plain name or an absolute path */
    uint64_t nodes;                   /* bit i: conf.nodes[i] */
    /* the plug= value per node index: from plug-map, else the node's name */
    char plug[VIGIL_MAX_NODES][CONF_FENCE_PLUG_MAX];
    int level;         /* 1..CONF_FENCE_LEVELS; devices of one level must all succeed */
    vg_usec_t timeout; /* per action; default 60s */
    int retries;       /* attempts after the first; default 2 */
    struct {
        char name[VIGIL_NAME_MAX];
        char value[CONF_FENCE_VALUE_MAX];
    } params[CONF_FENCE_PARAMS_MAX]; /* every other key, in file order */
    int n_params;
    int line; /* line of the [fence] header */
};

/* A failover group. Its resources are conf.resources[first_resource ..
 * first_resource + n_resources - 1], in start order (the order of the file). */
struct conf_group {
    char name[VIGIL_NAME_MAX];
    int nodes[VIGIL_MAX_NODES];      /* failover policy: indexes in conf.nodes, preferred first */
    int n_nodes;                     /* 1..n_nodes of the cluster, each node once */
    bool failback;                   /* move back to a more preferred node; default no */
    int migration_threshold;         /* failures on a node before the group leaves it; default 3 */
    vg_usec_t failure_timeout;       /* a failure count expires this long after its last
                                      * failure; default 10m; 0: never (`never`) */
    vg_usec_t monitor_interval;      /* the default of its resources; default 10s; 0: none */
    int first_resource, n_resources; /* n_resources >= 1 */
    int line;                        /* line of the [group] header */
};

/* One OCF parameter, OCF_RESKEY_<name>=<value>: offsets in conf.text. */
struct conf_param {
    uint32_t name, value;
};

/* A resource of a group. Strings of variable length are offsets in
 * conf.text (conf_text() turns one into a string; 0 is ""). Fields of
 * another type are zero. */
struct conf_resource {
    char name[VIGIL_NAME_MAX]; /* NAME of [resource "GROUP/NAME"] */
    int group;                 /* index in conf.groups */
    enum conf_res_type type;
    int line; /* line of the [resource] header */

    /* every type: the monitor's period (its own `monitor-interval`, else the
     * group's; 0: not monitored, also for exec without a monitor command),
     * the timeouts of the actions (default 20s) and the failures in a row
     * before the monitor counts as failed (default 0) */
    vg_usec_t monitor_interval, monitor_timeout, start_timeout, stop_timeout;
    int monitor_retries;
    /* which timeouts the section sets; an ocf resource takes its agent's
     * advice (meta-data) for the others (src/groups/ocf_check.h) */
    bool monitor_timeout_set, start_timeout_set, stop_timeout_set;

    struct res_ip ip;                  /* ip: address, interface ("": found per node) */
    uint32_t start, stop, monitor;     /* exec: /bin/sh -c commands; monitor 0: none */
    char ocf_provider[VIGIL_NAME_MAX]; /* ocf: agent = ocf:PROVIDER:TYPE */
    char ocf_type[VIGIL_NAME_MAX];
    struct conf_param params[CONF_OCF_PARAMS_MAX]; /* ocf: in file order */
    int n_params;
    uint32_t unit; /* systemd: "NAME.service" and the like */
};

struct conf {
    char path[VIGIL_PATH_MAX];
    char cluster_name[VIGIL_NAME_MAX * 4]; /* any UTF-8 */
    char key_file[VIGIL_PATH_MAX];
    vg_usec_t interval;                  /* heartbeat interval, default 200ms */
    vg_usec_t timeout;                   /* link down after this, default 1s; > interval */
    vg_usec_t initial_timeout;           /* unseen peer dead after this, default 10s; >= timeout */
    bool realtime;                       /* lock memory and take SCHED_FIFO, default yes */
    enum conf_quorum quorum;             /* docs/membership.md; default majority */
    bool allow_split_brain;              /* the acknowledgement quorum = none needs */
    enum conf_fencing fencing;           /* `fencing =`; default required */
    enum conf_fence_action fence_action; /* `fence-action =`; default reboot */

    /* udp links sorted by priority (links[0] carries cluster messages first),
     * then disk and witness links in file order. The index of a link here is
     * its index on the wire (the links a peer is seen on), the same on every
     * node that reads the same file. */
    struct conf_link links[VIGIL_MAX_LINKS];
    int n_links;
    /* nodes sorted by id */
    struct conf_node nodes[VIGIL_MAX_NODES];
    int n_nodes;
    /* [np] sections in file order */
    struct conf_np nps[CONF_NP_MAX];
    int n_nps;
    /* [group] sections in file order; resources by group, then in file
     * order within a group (the start order) */
    struct conf_group groups[VIGIL_MAX_GROUPS];
    int n_groups;
    struct conf_resource resources[VIGIL_MAX_RESOURCES];
    int n_resources;
    char text[CONF_TEXT_MAX]; /* the strings of the resources, each with its NUL */
    uint32_t text_len;
    /* [fence] sections in file order */
    struct conf_fence fences[CONF_FENCE_MAX];
    int n_fences;
    /* [watchdog] (docs/fencing.md): every node arms its own; a lost node
     * that had one counts as reset 2 x timeout after it left */
    bool watchdog;                        /* the section is there */
    char watchdog_device[VIGIL_PATH_MAX]; /* default /dev/watchdog */
    vg_usec_t watchdog_timeout;           /* whole seconds; default 10s; > timeout */
    int watchdog_line;
};

#define CONF_DIAG_MAX 64
#define CONF_DIAG_LEN 512

/* Every error found while parsing, each one full sentence:
 * "FILE:LINE: [section] key: what is wrong; what is expected". */
struct conf_diag {
    char msg[CONF_DIAG_MAX][CONF_DIAG_LEN];
    int n;
    int dropped; /* errors past CONF_DIAG_MAX */
};

/* Parse `text` (the contents of `path`, used only in messages) into *out.
 * Returns 0, or -EINVAL with every error in *diag (sorted by line) and *out
 * zeroed. Does no I/O and keeps no state, but sets libinih's global options
 * for the time of the call, so it is not thread-safe. diag may be NULL. */
int conf_parse_text(const char *text, size_t len, const char *path, struct conf *out,
                    struct conf_diag *diag);

/* Read and parse a file. -errno when unreadable (with a message in *diag). */
int conf_load(const char *path, struct conf *out, struct conf_diag *diag);

/* Parse a duration with a unit: "150ms", "3s", "2m", "500us", "1h", also
 * "1.5s". 0, -EINVAL (no unit, bad syntax) or -ERANGE (zero or too large). */
int conf_parse_duration(const char *s, vg_usec_t *out);

/* Write `usec` in the largest unit that keeps it exact ("200ms", "1s",
 * "1500ms"), as conf_parse_duration() reads it back. Returns buf. */
const char *conf_format_duration(vg_usec_t usec, char *buf, size_t len);

/* Lookups; NULL / -1 when absent. */
const struct conf_node *conf_node_by_name(const struct conf *c, const char *name);
const struct conf_node *conf_node_by_id(const struct conf *c, int id);
int conf_link_index(const struct conf *c, const char *name);
const struct conf_group *conf_group_by_name(const struct conf *c, const char *name);
const struct conf_resource *conf_resource_by_name(const struct conf *c, const char *group,
                                                  const char *name);

/* A string of a resource (an offset in c->text); "" for 0 or a bad offset. */
const char *conf_text(const struct conf *c, uint32_t off);

/* "ip", "exec", "ocf" or "systemd", as written after `type =`. */
const char *conf_res_type_name(enum conf_res_type t);

/* "udp", "disk" or "witness", as written after `type =`. */
const char *conf_link_type_name(enum link_type t);

/* "ping" or "http", as written after `type =` in an [np] section. */
const char *conf_np_type_name(enum np_type t);

/* Describe what differs between two configurations other than timing
 * (interval, timeout, initial-timeout, and each link's interval and timeout;
 * every change to an [np], [group] or [resource] section, its timing
 * included, is beyond timing).
 * Writes a human sentence into buf and returns true when something else
 * changed (the daemon refuses such a change on SIGHUP for now). */
bool conf_diff_beyond_timing(const struct conf *a, const struct conf *b, char *buf, size_t len);

#endif
