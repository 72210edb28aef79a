/* vigild's state: one struct, built in main.c, passed to every part of the
 * daemon. The daemon wires the subsystems together; nothing else does. */
#ifndef VIGIL_DAEMON_H
#define VIGIL_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "../api/api.h"
#include "../common/clock.h"
#include "../common/limits.h"
#include "../conf/conf.h"
#include "../links/links.h"
#include "../links/ping.h"
#include "../links/witness_http.h"
#include "../membership/peer.h"
#include "../membership/view.h"
#include "../proto/proto.h"
#include "fencing.h"
#include "groups.h"
#include "watchdog_run.h"

/* sd-event priorities: lower runs first. Heartbeat work always goes first,
 * and received heartbeats before timers: after a stall of our own, what
 * waits in the socket shows the peers alive before any expiry runs. */
#define PRIO_RECEIVE (-110)
#define PRIO_HEARTBEAT (-100)
#define PRIO_SIGNAL (-10)
#define PRIO_CONTROL 0

struct daemon_opts {
    const char *config_path;
    const char *node_name;
    const char *state_dir;
    const char *socket_path;
    bool foreground;
};

struct daemon {
    struct daemon_opts opts;
    sd_event *ev;
    struct conf conf;
    int self; /* index of this node in conf.nodes */
    uint8_t key[VIGIL_KEY_BYTES];
    uint32_t cluster_id;
    uint64_t incarnation;
    vg_usec_t started_at;

    struct peer peers[VIGIL_MAX_NODES]; /* by index in conf.nodes; peers[self] unused */
    struct peer_timing timing;          /* from conf, per link */
    struct view_machine view;           /* membership: the installed view */
    bool was_quorate, quorum_reported;
    char quorum_how[384];        /* the reason logged last */
    uint64_t last_quorate_epoch; /* the last view this node was quorate in */
    bool stood_down; /* this node lost a tie-break: said on the disk and to the witness */
    bool witness_stood_down[VIGIL_MAX_NODES]; /* what the witness says of each node */
    node_mask last_quorate_members;           /* and its members */
    char tiebreak_why[384];                   /* the disk tie-break's last verdict */
    uint64_t tie_epoch;                       /* the view and side a tie-break runs for, */
    node_mask tie_side;
    vg_usec_t tie_since; /* and since when */
    bool tie_won;        /* won this tie already: keep it while the np checks pass */
    struct {
        uint64_t view_epoch; /* the view the arbitration is for */
        enum { ARB_NONE, ARB_ASKING, ARB_GRANTED, ARB_DENIED, ARB_ERROR } state;
        vg_usec_t next_try;
        char why[384];
    } arb;
    struct udp_link udp[VIGIL_MAX_LINKS];
    uint64_t seq[VIGIL_MAX_LINKS];

    /* the heartbeat path: preallocated, touched by nothing else */
    sd_event_source *hb_timer;
    sd_event_source *expiry_timer;
    sd_event_source *rx[VIGIL_MAX_LINKS];
    vg_usec_t hb_next;
    vg_usec_t hb_sent; /* when the last heartbeats went out */
    uint8_t txbuf[WIRE_MAX_DATAGRAM];
    uint8_t rxbuf[WIRE_MAX_DATAGRAM + 1];

    /* this node's own side of each link: udp socket bound, disk answering,
     * witness reachable */
    bool local_up[VIGIL_MAX_LINKS];
    char local_why[VIGIL_MAX_LINKS][512];

    /* disk links, by link index */
    struct disk_link disk[VIGIL_MAX_LINKS];
    sd_event_source *disk_ev[VIGIL_MAX_LINKS];
    uint64_t disk_counter[VIGIL_MAX_LINKS][VIGIL_MAX_NODES]; /* by node index */
    bool disk_counter_known[VIGIL_MAX_LINKS][VIGIL_MAX_NODES];
    uint8_t disk_state[VIGIL_MAX_LINKS][VIGIL_MAX_NODES]; /* each peer's slot state, last read */
    uint8_t disk_own_state;                               /* what this node writes in its slot */
    uint64_t disk_own_epoch;
    bool disk_mailbox_valid[VIGIL_MAX_LINKS];
    struct disk_mailbox disk_mailbox[VIGIL_MAX_LINKS]; /* the last request read */
    /* a peer's slot written after it left the view (disklink.c, fresh_slot):
     * its content at the last round, the departure it counts for, and how
     * many times it changed since a round that began after the departure
     * (0: no such round yet) */
    uint64_t disk_fresh_inc[VIGIL_MAX_LINKS][VIGIL_MAX_NODES];
    uint64_t disk_fresh_counter[VIGIL_MAX_LINKS][VIGIL_MAX_NODES];
    vg_usec_t disk_fresh_left[VIGIL_MAX_LINKS][VIGIL_MAX_NODES];
    uint8_t disk_fresh_seen[VIGIL_MAX_LINKS][VIGIL_MAX_NODES];

    /* witness links, by link index */
    struct witness_http *witness[VIGIL_MAX_LINKS];
    struct witness_http *witness_arb[VIGIL_MAX_LINKS]; /* arbitration requests */
    sd_event_source *witness_timer[VIGIL_MAX_LINKS];
    struct witness_answer witness_answer;    /* scratch for parsing */
    vg_usec_t witness_sent[VIGIL_MAX_LINKS]; /* when the alive request under way was sent */
    /* network-partition resolution, by [np] index */
    struct pinger *np_ping[CONF_NP_MAX];
    struct witness_http *np_http[CONF_NP_MAX];
    sd_event_source *np_timer[CONF_NP_MAX];
    vg_usec_t np_http_last_ok[CONF_NP_MAX];
    char np_http_error[CONF_NP_MAX][160];

    uint64_t drops[DROP__MAX];
    uint64_t sent, received, send_errors, late_timers;

    bool memory_locked;
    bool realtime_sched;

    struct daemon_groups groups;   /* groups*.c */
    struct daemon_fencing fencing; /* fencing.c */
    struct daemon_watchdog wd;     /* watchdog_run.c */

    sd_event_source *sig_term, *sig_int, *sig_hup;
    struct api_server *api;
};

/* heartbeat.c: start the heartbeat path (sockets, timers). */
int heartbeat_start(struct daemon *d);
void heartbeat_stop(struct daemon *d);
/* Re-arm timers after a timing change. */
void heartbeat_retime(struct daemon *d);
/* Re-arm the expiry timer after a peer's links changed. */
void heartbeat_rearm(struct daemon *d);
/* Send the next heartbeats now (at most every interval/8) rather than at
 * the end of the interval: they carry a report a peer waits for. */
void heartbeat_soon(struct daemon *d);
/* Log what one change of a peer's state machine did. */
void peer_report(struct daemon *d, int i, const struct peer_change *chg);
/* This node's own side of link l went up or down; `why` is logged. */
void link_set_local(struct daemon *d, int l, bool up, const char *why);

/* disklink.c: disk heartbeat links. */
int disklink_start(struct daemon *d);
/* Stop the disk threads; true when one is stuck in an I/O that hangs. */
bool disklink_stop(struct daemon *d, bool clean);
/* From the heartbeat timer: notice an I/O that hangs past the timeout. */
void disklink_watch(struct daemon *d, vg_usec_t now);
/* What this node writes in its slot (DISK_SLOT_RUNNING, _STOOD_DOWN). */
void disklink_set_state(struct daemon *d, uint8_t state, uint64_t epoch);
/* This node's group reports, for its slot from now on. */
void disklink_set_groups(struct daemon *d, const struct group_reports *r);
/* Peer i (index) is up on a disk link and its slot says it stood down. */
bool disklink_stood_down(const struct daemon *d, int i);
/* Peer i is up on a disk link (its counter advances). */
bool disklink_alive(const struct daemon *d, int i);
bool disklink_configured(const struct daemon *d);

/* membership.c: views and quorum (docs/membership.md). */
void membership_start(struct daemon *d);
/* From the heartbeat timer, after the peers were expired. */
void membership_tick(struct daemon *d, vg_usec_t now);
void membership_on_message(struct daemon *d, int i, const struct wire_view *v);
void membership_on_heartbeat(struct daemon *d, int i, const struct wire_heartbeat *hb);
/* Send a cluster message to node index `to` on its best udp link. */
int cluster_send(struct daemon *d, int to, struct wire_msg *m);
/* Quorate now; *how says why or why not, for log and status. */
bool membership_quorate(const struct daemon *d, const char **how);
/* The witness answered an arbitration request (witness_http callback). */
void membership_on_arbitration(struct daemon *d, long status, const char *body, size_t len, int err,
                               const char *errtext);

/* np.c: network-partition resolution ([np] sections). */
int np_start(struct daemon *d);
void np_stop(struct daemon *d);
/* Whether this node reaches what [np] k probes; why gets a sentence. */
bool np_reachable(const struct daemon *d, int k, vg_usec_t now, char *why, size_t len);

/* witnesslink.c: witness heartbeat links. */
int witnesslink_start(struct daemon *d);
void witnesslink_stop(struct daemon *d);

/* status.c: the status object of docs/status-json.md. */
json_t *status_build(const struct daemon *d);
/* Resource k of group g (start order), with what this node's runner knows
 * of it: its state here, failures and last monitor. */
json_t *status_resource(const struct daemon *d, int g, int k, vg_usec_t now);

/* realtime.c: lock memory and take real-time scheduling (config realtime=yes). */
void realtime_enter(struct daemon *d);

/* reload.c: SIGHUP. */
void reload_config(struct daemon *d);

#endif
