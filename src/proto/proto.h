/* The datagram format of udp links (docs/wire-format.md): encode and decode,
 * authenticated with HMAC-SHA256 over the whole datagram. Pure functions: no
 * sockets, no globals. State-dependent checks (unknown node, replay,
 * incarnation) belong to the membership layer. */
#ifndef VIGIL_PROTO_H
#define VIGIL_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "../common/limits.h"

#define WIRE_MAGIC 0x5647494cU /* "VGIL" */
#define WIRE_VERSION 1
#define WIRE_HEADER_LEN 44
#define WIRE_MAC_LEN 32
#define WIRE_MAX_DATAGRAM 1400

enum wire_type {
    WIRE_HEARTBEAT = 1,
    WIRE_VIEW = 2,
    WIRE_ASSIGN = 3,      /* coordinator -> member: where every group runs, the admin state */
    WIRE_REQUEST = 4,     /* any node -> coordinator: an admin command */
    WIRE_REQUEST_ACK = 5, /* coordinator -> the requester: what became of it */
};

/* "No node" and "no group" in the one-byte indexes of group messages. */
#define WIRE_NONE 0xff

/* Why a datagram was dropped; counted per reason and shown in status. */
enum drop_reason {
    DROP_SHORT, /* shorter than header + MAC, or than its payload length */
    DROP_BAD_MAGIC,
    DROP_BAD_VERSION,
    DROP_WRONG_CLUSTER,
    DROP_BAD_MAC,
    DROP_MALFORMED,           /* authenticated but the payload does not parse */
    DROP_UNKNOWN_NODE,        /* sender id not in the configuration */
    DROP_WRONG_DESTINATION,   /* addressed to another node */
    DROP_WRONG_LINK,          /* says it was sent on another link than it came in on */
    DROP_REPLAY,              /* sequence not newer than the last seen on that link */
    DROP_STALE_INCARNATION,   /* from an incarnation the sender has already replaced */
    DROP_UNKNOWN_INCARNATION, /* a non-heartbeat from an incarnation not yet heard in a heartbeat */
    DROP_UNEXPECTED,          /* well-formed, but of a type this daemon does not take (yet) */
    DROP__MAX
};

const char *wire_drop_name(enum drop_reason r);

struct wire_header {
    uint8_t type;
    uint8_t link; /* index of the link the sender sent it on */
    uint32_t cluster_id;
    uint16_t sender; /* node id */
    uint16_t dest;   /* node id */
    uint64_t incarnation;
    uint64_t seq;
    uint64_t send_time; /* sender's CLOCK_MONOTONIC, usec */
};

struct wire_seen {
    uint16_t node;
    uint8_t links; /* bit i: the sender sees `node` on link i */
};

/* A group on the node that reports it (docs/groups.md, "What every node
 * reports"). */
enum wire_group_state {
    WIRE_GROUP_STOPPED = 0,
    WIRE_GROUP_STARTING = 1,
    WIRE_GROUP_RUNNING = 2,
    WIRE_GROUP_STOPPING = 3,
    WIRE_GROUP_FAILED = 4,      /* failed past the threshold; stopped again here */
    WIRE_GROUP_STOP_FAILED = 5, /* a stop failed: it may still be active here */
};

struct wire_group_report {
    uint8_t state;    /* enum wire_group_state */
    uint8_t failures; /* its failure count on the sender, saturating at 255 */
};

/* A node's reports of every group as they also travel through its disk slot
 * and to the witness (docs/groups.md, "Confirming a stop"): `at` is the
 * reporter's CLOCK_MONOTONIC (usec) when they were current, so that reports
 * of one incarnation that came by different paths can be ordered. n 0: no
 * reports (still probing, or no groups). */
struct group_reports {
    uint64_t at;
    uint8_t n;
    struct wire_group_report g[VIGIL_MAX_GROUPS];
};

/* "stopped", "starting", ... (the names status and the witness use);
 * "invalid" past WIRE_GROUP_STOP_FAILED. */
const char *wire_group_state_name(int state);
/* The state of a name above; -EINVAL for any other text. */
int wire_group_state_parse(const char *name);

struct wire_heartbeat {
    uint64_t epoch;      /* sender's installed view: its epoch (0: none) */
    uint64_t members;    /* and its members (bit i: node index i in the configuration) */
    uint64_t echo_time;  /* last send_time the sender got from the recipient on this link; 0 none */
    uint32_t echo_delay; /* usec between receiving that and sending this */
    uint8_t n_seen;
    struct wire_seen seen[VIGIL_MAX_NODES];
    /* Group reports; all zero (no groups) is valid. */
    uint64_t assign_seq; /* the last ASSIGN sequence the sender acted on (0: none) */
    uint64_t admin_seq;  /* the newest admin state the sender holds (0: none; docs/groups.md) */
    uint8_t n_groups;    /* every configured group, in configuration order */
    struct wire_group_report groups[VIGIL_MAX_GROUPS];
};

/* A view-agreement message (src/membership/view.h): kind is enum
 * view_msg_type (propose, ack, nack, commit). */
struct wire_view {
    uint8_t kind;
    uint64_t epoch;
    uint64_t members;
    uint64_t aux;
};

#define WIRE_ASSIGN_ADMIN_STOPPED 0x01 /* vigilctl stop */

/* Per group in an ASSIGN. Node indexes are < VIGIL_MAX_NODES or WIRE_NONE;
 * the decoder cannot know how many nodes are configured: the receiver
 * checks that an index names one. */
struct wire_assignment {
    uint8_t node;        /* the node index that should hold it, or WIRE_NONE */
    uint8_t move_target; /* vigilctl move: node index, or WIRE_NONE */
    uint8_t flags;       /* WIRE_ASSIGN_ADMIN_STOPPED; no other bit */
};

/* The coordinator's decisions and the admin state (docs/groups.md). */
struct wire_assign {
    uint64_t epoch;     /* the coordinator's installed view (never 0) */
    uint64_t seq;       /* assignment sequence, increasing (never 0) */
    uint64_t admin_seq; /* version of the admin state below */
    uint64_t standby;   /* nodes in standby, bits as the heartbeat's members */
    uint64_t fenced;    /* nodes the coordinator fenced since they left the view */
    uint8_t n_groups;   /* every configured group, in configuration order */
    struct wire_assignment groups[VIGIL_MAX_GROUPS];
};

enum wire_request_kind {
    WIRE_REQ_MOVE = 1,       /* group, node */
    WIRE_REQ_MOVE_CLEAR = 2, /* group */
    WIRE_REQ_STOP = 3,       /* group */
    WIRE_REQ_START = 4,      /* group */
    WIRE_REQ_STANDBY = 5,    /* node */
    WIRE_REQ_UNSTANDBY = 6,  /* node */
};

/* An admin command sent to the coordinator, repeated with the same id until
 * a REQUEST_ACK answers it. group and node: an index when the kind takes
 * one (< VIGIL_MAX_GROUPS, < VIGIL_MAX_NODES), WIRE_NONE when it does not. */
struct wire_request {
    uint64_t id;  /* random per request, never 0 */
    uint8_t kind; /* enum wire_request_kind */
    uint8_t group;
    uint8_t node;
};

enum wire_ack_result {
    WIRE_ACK_OK = 0,              /* applied (or already so): admin_seq holds it */
    WIRE_ACK_UNKNOWN_GROUP = 1,   /* no group at that index here */
    WIRE_ACK_UNKNOWN_NODE = 2,    /* no node at that index here */
    WIRE_ACK_NOT_COORDINATOR = 3, /* ask the coordinator of the current view */
    WIRE_ACK_REFUSED = 4,         /* see the reason */
};

enum wire_ack_reason {
    WIRE_REFUSED_NO_QUORUM = 1,     /* the coordinator's view is not quorate or not current */
    WIRE_REFUSED_NOT_IN_POLICY = 2, /* move: the node is not in the group's failover policy */
};

/* The coordinator's answer to a REQUEST. reason: an enum wire_ack_reason
 * with WIRE_ACK_REFUSED, 0 with any other result. */
struct wire_request_ack {
    uint64_t id;    /* the request's id */
    uint8_t result; /* enum wire_ack_result */
    uint8_t reason;
    uint64_t admin_seq; /* the coordinator's admin sequence once it handled it */
};

/* Any decoded datagram: h.type says which member of the union holds it. */
struct wire_msg {
    struct wire_header h;
    union {
        struct wire_heartbeat hb;
        struct wire_view view;
        struct wire_assign assign;
        struct wire_request request;
        struct wire_request_ack ack;
    };
};

/* The 32-bit cluster id: first bytes of BLAKE2b(cluster name). */
uint32_t wire_cluster_id(const char *cluster_name);

/* Encode one message into buf; each returns the datagram's length, -ENOSPC
 * when it does not fit in cap, -EINVAL when a field is out of range (a
 * count past its maximum, an unknown state, kind or flag, an index: what a
 * receiver would drop as malformed; but a heartbeat's seen node ids are
 * written as given). h->type is not read: the function says it. */
int wire_encode_heartbeat(uint8_t *buf, size_t cap, const struct wire_header *h,
                          const struct wire_heartbeat *hb, const uint8_t key[VIGIL_KEY_BYTES]);
int wire_encode_view(uint8_t *buf, size_t cap, const struct wire_header *h,
                     const struct wire_view *v, const uint8_t key[VIGIL_KEY_BYTES]);
int wire_encode_assign(uint8_t *buf, size_t cap, const struct wire_header *h,
                       const struct wire_assign *a, const uint8_t key[VIGIL_KEY_BYTES]);
int wire_encode_request(uint8_t *buf, size_t cap, const struct wire_header *h,
                        const struct wire_request *r, const uint8_t key[VIGIL_KEY_BYTES]);
int wire_encode_request_ack(uint8_t *buf, size_t cap, const struct wire_header *h,
                            const struct wire_request_ack *a, const uint8_t key[VIGIL_KEY_BYTES]);
/* The one of the above that m->h.type names; -EINVAL for an unknown type. */
int wire_encode(uint8_t *buf, size_t cap, const struct wire_msg *m,
                const uint8_t key[VIGIL_KEY_BYTES]);

/* Check and decode one datagram. Returns -1 and sets *why when it must be
 * dropped, 0 when it is authentic and well-formed: then m->h.type says which
 * member of m's union was filled. */
int wire_decode(const uint8_t *buf, size_t len, uint32_t cluster_id,
                const uint8_t key[VIGIL_KEY_BYTES], struct wire_msg *m, enum drop_reason *why);

/* ---- Disk heartbeat layout (docs/disk-layout.md) ----
 * Block 0: header. Then per node id N (1..slots): block 2N-1 its heartbeat
 * slot (written only by N), block 2N its mailbox (written by others, cleared
 * by N). Every block carries its kind, and a BLAKE2b-128 checksum over the
 * rest, so a torn or foreign block is never taken for a valid one. */

#define DISK_BLOCK_SIZE 4096
#define DISK_MAGIC_HEADER 0x5647444bU /* "VGDK" */
#define DISK_MAGIC_SLOT 0x5647534cU   /* "VGSL" */
#define DISK_MAGIC_MBOX 0x56474d42U   /* "VGMB" */
#define DISK_VERSION 1

enum disk_block_kind { DISK_HEADER = 1, DISK_SLOT = 2, DISK_MAILBOX = 3 };

struct disk_header {
    uint32_t block_size;
    uint32_t slots; /* node ids 1..slots have a slot and a mailbox */
    uint32_t cluster_id;
    char cluster_name[256];
    uint64_t interval; /* usec, as configured at init (informative) */
    uint64_t timeout;
    uint64_t created; /* wall clock, seconds since the epoch */
};

enum disk_slot_state {
    DISK_SLOT_EMPTY = 0, /* never written since init */
    DISK_SLOT_RUNNING = 1,
    DISK_SLOT_STOOD_DOWN = 2, /* partitioned loser: stopped its groups */
    DISK_SLOT_STOPPED = 3,    /* vigild stopped cleanly */
};

struct disk_slot {
    uint16_t node;
    uint8_t state; /* enum disk_slot_state */
    uint64_t incarnation;
    uint64_t counter;    /* +1 per write: a peer is up while it advances */
    uint64_t write_time; /* writer's CLOCK_MONOTONIC usec (its own clock) */
    uint64_t wall_time;  /* writer's CLOCK_REALTIME usec, for humans (disk dump) */
    uint64_t epoch;
    /* the writer's group reports (n 0: none yet); `at` on the same clock as
     * write_time, taken when the reports were current, not at the write */
    struct group_reports groups;
};

/* TEST: the owner logs it and clears it (vigilctl disk message ... test),
 * to check the whole path; STAND_DOWN and RESET are acted on by the
 * membership and fencing issues. */
enum disk_request {
    DISK_REQ_NONE = 0,
    DISK_REQ_STAND_DOWN = 1,
    DISK_REQ_RESET = 2,
    DISK_REQ_TEST = 3,
};

struct disk_mailbox {
    uint16_t node;     /* the owner */
    uint16_t from;     /* who wrote the request */
    uint8_t request;   /* enum disk_request */
    uint64_t sequence; /* per writer, increasing */
    uint64_t epoch;
    uint64_t incarnation; /* the owner's incarnation the request is meant for; 0 = any */
};

/* Offset in bytes of a node's slot and mailbox blocks. */
uint64_t disk_slot_offset(int node_id);
uint64_t disk_mailbox_offset(int node_id);
/* Bytes a device needs for `slots` node ids. */
uint64_t disk_size_needed(uint32_t slots);

/* Encode one block of DISK_BLOCK_SIZE bytes. */
void disk_header_encode(uint8_t *block, const struct disk_header *h);
void disk_slot_encode(uint8_t *block, const struct disk_slot *s);
void disk_mailbox_encode(uint8_t *block, const struct disk_mailbox *m);

/* Decode one block; 0, or -EINVAL with a reason in err (bad magic, kind,
 * version, checksum, out-of-range field). An all-zero block gives -ENODATA. */
int disk_header_decode(const uint8_t *block, struct disk_header *h, char *err, size_t errlen);
int disk_slot_decode(const uint8_t *block, struct disk_slot *s, char *err, size_t errlen);
int disk_mailbox_decode(const uint8_t *block, struct disk_mailbox *m, char *err, size_t errlen);

const char *disk_slot_state_name(int state);
const char *disk_request_name(int request);

/* ---- Witness client messages (docs/witness-api.md) ---- */

struct witness_seen_node {
    char name[VIGIL_NAME_MAX];
    uint64_t age_ms; /* how long ago the witness last heard from it */
    char state[VIGIL_NAME_MAX];
    char incarnation[17];
    uint64_t timeout_ms;         /* the node's link timeout, as it told the witness (0: none) */
    struct group_reports groups; /* its group reports in that report (n 0: none) */
};

struct witness_answer {
    int n;
    struct witness_seen_node nodes[VIGIL_MAX_NODES];
};

/* Build the body of POST /v1/alive; malloc'd text or NULL. `sees_json` is a
 * compact JSON object {"peer": ["link", ...]} (NULL: {}); `groups` the
 * node's group reports (NULL or n 0: no "groups" field). */
char *witness_alive_body(const char *cluster, const char *node, uint64_t incarnation,
                         uint64_t timeout_ms, const char *state, const char *sees_json,
                         const struct group_reports *groups);

/* The "groups" field of an alive report or of a node in the answer, both
 * ways (pure): {"at": N, "list": [{"state": "running", "failures": 0}, ...]}.
 * The parser is strict: `at` 0..2^63-1, at most VIGIL_MAX_GROUPS entries,
 * a known state name, failures 0..255, nothing else in an entry; 0, or
 * -EINVAL with what is wrong in err. */
json_t *group_reports_json(const struct group_reports *r);
int group_reports_parse(const json_t *v, struct group_reports *out, char *err, size_t errlen);

/* Parse the answer of POST /v1/alive for `cluster` (pure). 0, or -EINVAL
 * with what is wrong in err. Unknown fields are ignored; nodes past
 * VIGIL_MAX_NODES are an error. */
int witness_alive_answer_parse(const char *body, size_t len, const char *cluster,
                               struct witness_answer *out, char *err, size_t errlen);

/* Build the body of POST /v1/arbitrate: this node asks that the view of
 * `epoch` it installed be granted, on behalf of the side `members` (names,
 * this node among them); `parent` is the epoch of the last view known to
 * have been quorate (0: none), older than `epoch`. malloc'd text or NULL. */
char *witness_arbitrate_body(const char *cluster, const char *node, uint64_t epoch, uint64_t parent,
                             const char *const *members, int n_members);

/* Parse its answer (pure): 0 with *granted, or -EINVAL with what is wrong
 * in err. `reason` (may be NULL) gets the witness's reason for a refusal. */
int witness_arbitrate_answer_parse(const char *body, size_t len, uint64_t epoch, bool *granted,
                                   char *reason, size_t reason_len, char *err, size_t errlen);

#endif
