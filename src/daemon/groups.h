/* Failover groups in vigild (docs/groups.md): one runner per configured
 * group on this node, the reports every node sends in its heartbeats, the
 * coordinator's placement and ASSIGN, and the members acting on it.
 *
 * groups.c        runners, their events, this node's reports, peers' reports, status
 * groups_place.c  the coordinator (placement, ASSIGN) and the members (acting on it)
 * admin.c         the admin state (move, stop, start, standby) and the REQUESTs that change it */
#ifndef VIGIL_DAEMON_GROUPS_H
#define VIGIL_DAEMON_GROUPS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "../common/clock.h"
#include "../common/limits.h"
#include "../groups/ocf_check.h"
#include "../groups/placement.h"
#include "../groups/stop_confirm.h"
#include "../proto/proto.h"

struct daemon;
struct runner;

#define ADMIN_PENDING_MAX 16  /* commands given on this node, in flight or just answered */
#define ADMIN_ANSWERED_MAX 16 /* per requesting node: ids the coordinator applied */

/* The admin state (docs/groups.md, "Admin state"): owned by the
 * coordinator, sent in every ASSIGN, the newest kept by every node. */
struct admin_state {
    uint64_t seq;      /* counter << 8 | index of the coordinator that made it; 0: none yet */
    node_mask standby; /* nodes in standby */
    uint8_t move_target[VIGIL_MAX_GROUPS]; /* node index, or WIRE_NONE */
    bool stopped[VIGIL_MAX_GROUPS];        /* vigilctl stop */
};

enum admin_pending_state { ADMIN_FREE = 0, ADMIN_SENDING, ADMIN_DONE, ADMIN_FAILED };

/* A command given on this node's control socket, until the coordinator
 * answers it (or its timeout ends). */
struct admin_pending {
    enum admin_pending_state state;
    struct wire_request req;
    vg_usec_t deadline, given;
    uint64_t admin_seq; /* ADMIN_DONE: the first admin state that holds it */
    int sent_to;        /* the coordinator it was last sent to, -1: none */
    char why[256];      /* ADMIN_FAILED, or why it is not answered yet */
};

struct admin_answered {
    uint64_t id, admin_seq;
};

/* What this node knows of the groups; part of struct daemon. */
struct daemon_groups {
    struct runner *run[VIGIL_MAX_GROUPS]; /* by group index; this node's runners */
    bool probed[VIGIL_MAX_GROUPS];        /* its start-up probe ended */
    bool reporting;                       /* every probe ended: heartbeats carry reports */
    sd_event_source *timer;               /* every interval: coordinator and members */
    bool shutting_down;                   /* SIGTERM: stopping every group, then exit */
    sd_event_source *exit_timer;          /* armed once every group is stopped */

    /* the ocf agents' advised timeouts, read at start (ocf_check.h), by
     * index in conf.resources */
    struct ocf_advice ocf_advice[VIGIL_MAX_RESOURCES];

    /* each peer's latest reports, by node index (valid: it reported every group) */
    bool peer_valid[VIGIL_MAX_NODES];
    uint64_t peer_admin_seq[VIGIL_MAX_NODES];  /* the admin state its last heartbeat held */
    uint64_t peer_assign_seq[VIGIL_MAX_NODES]; /* the last ASSIGN it acted on in */
    uint64_t peer_epoch[VIGIL_MAX_NODES];      /* its view of this epoch (0: none) */
    struct wire_group_report peer[VIGIL_MAX_NODES][VIGIL_MAX_GROUPS];

    /* nodes that left the view while their last report of the group was not
     * stopped (safety rule 2); every node keeps them, so a new coordinator
     * carries on */
    node_mask stop_unconfirmed[VIGIL_MAX_GROUPS];
    /* per node: what is known of its reports through every path, and its
     * departure, for the freshness rule that confirms a stop */
    struct sc_node sc[VIGIL_MAX_NODES];
    node_mask prev_members;
    uint64_t prev_epoch;

    /* the coordinator */
    uint64_t assign_seq;                  /* the last ASSIGN sent */
    int last_holder[VIGIL_MAX_GROUPS];    /* node that held it last, PLACE_NONE */
    bool have_decision[VIGIL_MAX_GROUPS]; /* for logging each change once */
    struct placement_decision decision[VIGIL_MAX_GROUPS];
    char decision_text[VIGIL_MAX_GROUPS][PLACEMENT_TEXT_MAX];
    char waiting_for[256];                    /* why no ASSIGN is sent now (logged once) */
    node_mask multi_active[VIGIL_MAX_GROUPS]; /* active on several nodes: logged for these */

    /* the member */
    uint64_t acted_epoch, acted_seq; /* the last ASSIGN acted on */
    uint8_t assigned[VIGIL_MAX_GROUPS];
    /* per group assigned here: the first sequence of the unbroken run of
     * ASSIGNs (every sequence received, one epoch) that assign it here;
     * a start waits until every other member reports it stopped after
     * acting on an ASSIGN at least this new (0: not assigned here) */
    uint64_t since[VIGIL_MAX_GROUPS];
    bool have_assignment;
    bool managing;    /* quorate member of a view */
    bool joined;      /* has been a quorate member since vigild started */
    bool grace_noted; /* the start-up grace was logged */
    char refusal[VIGIL_MAX_GROUPS][PLACEMENT_TEXT_MAX]; /* last start refused, logged once */

    /* admin.c */
    struct admin_state admin;
    struct admin_pending pending[ADMIN_PENDING_MAX];
    struct admin_answered answered[VIGIL_MAX_NODES][ADMIN_ANSWERED_MAX];
    unsigned answered_next[VIGIL_MAX_NODES];
    uint64_t coord_admin_epoch, coord_admin_seq; /* the coordinator's last ASSIGN: its admin seq */
    bool coordinating;            /* at the last tick: the lowest member, reporting */
    vg_usec_t coordinating_since; /* when it became so (its first tick as coordinator) */
};

/* groups.c */
/* Make a runner per configured group and probe each (before any report). */
int groups_start(struct daemon *d);
/* Free the runners (nothing is stopped: vigild leaves them as they are). */
void groups_stop(struct daemon *d);
/* SIGTERM: stop every group that runs here, then leave the loop once they
 * are stopped and a heartbeat or two said so. true: under way; false:
 * nothing runs here, the caller leaves now. */
bool groups_shutdown(struct daemon *d);
/* This node's reports, for a heartbeat: none until every probe ended. */
void groups_fill_report(const struct daemon *d, struct wire_heartbeat *hb);
/* This node's reports now (n 0 until every probe ended), stamped now: for
 * the disk slot and the witness. */
void groups_collect(const struct daemon *d, struct group_reports *out);
/* Hand this node's current reports to its disk slot; called whenever they
 * may have changed, so that a slot never says stopped after a start. */
void groups_publish(struct daemon *d);
/* A peer's heartbeat arrived (its reports, made at h->send_time). */
void groups_on_heartbeat(struct daemon *d, int i, const struct wire_header *h,
                         const struct wire_heartbeat *hb);
/* Peer i's reports read elsewhere than in a heartbeat (`via`: "the disk
 * (link shared)", "the witness (link w)"); `fresh`: the path proved they
 * were made after i left the view. May confirm a stop. */
void groups_on_report(struct daemon *d, int i, uint64_t incarnation, const struct group_reports *r,
                      bool fresh, const char *via);
/* The state of group g on node i as last reported (this node: its runner);
 * false when unknown. */
bool groups_report_of(const struct daemon *d, int i, int g, enum wire_group_state *state,
                      unsigned *failures);
/* The ASSIGN sequence node i (not this node) last said it acted on, under
 * this node's view; 0 when unknown or under another view. */
uint64_t groups_acted_by(const struct daemon *d, int i);
/* `groups` of the status object. */
json_t *groups_status(const struct daemon *d);

/* groups_place.c */
/* Every interval: quorum check, then as coordinator decide and send ASSIGN. */
void groups_tick(struct daemon *d);

/* Run the groups' tick at once (from the loop, at control priority)
 * instead of at the end of the interval: something it decides on changed
 * (a view installed, a peer's report). Extra ticks change no rule: a new
 * coordinator still waits an interval of time before it places. */
void groups_soon(struct daemon *d);

/* Whether a group may still be active on node i, as this node knows
 * (stop-unconfirmed there: docs/groups.md, "Safety rule 2"). */
bool groups_stop_unconfirmed_on(const struct daemon *d, int i);

/* Node i was fenced (fencing.c): every group counts as stopped there. */
void groups_node_fenced(struct daemon *d, int i);
/* Quorum lost or this node is in no view: stop every group at once. */
void groups_on_quorum_lost(struct daemon *d, const char *how);
/* An ASSIGN from peer i. */
void groups_on_assign(struct daemon *d, int i, const struct wire_assign *a);

/* admin.c */
void admin_init(struct daemon *d);
/* The control socket's admin commands: "move", "stop", "start", "standby",
 * "unstandby" (give one) and "request" (how one stands). */
json_t *admin_command(struct daemon *d, const char *command, json_t *request);
/* Every interval: repeat the REQUESTs not answered yet, end those past
 * their timeout. */
void admin_tick(struct daemon *d);
/* A REQUEST from peer i; a REQUEST_ACK from peer i. */
void admin_on_request(struct daemon *d, int i, const struct wire_request *r);
void admin_on_ack(struct daemon *d, int i, const struct wire_request_ack *a);
/* A member adopts the admin state of an ASSIGN when it is newer. */
void admin_adopt(struct daemon *d, int from, const struct wire_assign *a);
/* Any ASSIGN from peer i, before the member acts on it: the coordinator
 * takes a newer admin state a member sends back; a member notes the
 * coordinator's admin sequence. */
void admin_on_assign(struct daemon *d, int i, const struct wire_assign *a);
/* The coordinator: a move back to the group's first node is done once it
 * runs there (nothing is left to prefer); called after each decision. */
void admin_settle(struct daemon *d, int g, const struct placement_decision *dec, bool running_on);
/* `admin` of the status object; the group's admin fields. */
json_t *admin_status(const struct daemon *d);
void admin_group_status(const struct daemon *d, int g, json_t *group);

#endif
