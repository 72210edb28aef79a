/* What this node knows of each peer, per link: the heartbeat state machine.
 *
 * A link to a peer is up while valid heartbeats arrive on it within
 * `timeout`; the peer is alive while any link is up, dead when none is, and
 * unknown until first heard (dead once `initial_timeout` has passed since our
 * start). Pure: the caller passes the time, so tests drive a fake clock. */
#ifndef VIGIL_PEER_H
#define VIGIL_PEER_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/clock.h"
#include "../common/limits.h"
#include "../proto/proto.h"

enum peer_state { PEER_UNKNOWN, PEER_ALIVE, PEER_DEAD };

const char *peer_state_name(enum peer_state s);

#define PEER_RETIRED_INCARNATIONS 8

struct peer_link {
    bool up;
    vg_usec_t since;   /* when `up` last changed (or our start) */
    vg_usec_t last_rx; /* last valid heartbeat; 0 = never */
    uint64_t last_seq; /* of the current incarnation on this link */
    /* round-trip time, usec; valid once measured */
    bool rtt_valid;
    vg_usec_t rtt_last;
    vg_usec_t rtt_smooth;
    /* for the echo we send back: the peer's send time and when we got it */
    uint64_t echo_peer_time;
    vg_usec_t echo_rx_at;
};

struct peer {
    int id;
    enum peer_state state;
    vg_usec_t since;
    bool inc_known;
    uint64_t incarnation;
    uint64_t retired[PEER_RETIRED_INCARNATIONS];
    int n_retired;
    uint64_t epoch;                    /* from its last heartbeat */
    uint8_t sees[VIGIL_MAX_NODES + 1]; /* link mask per node id, from its last heartbeat */
    struct peer_link links[VIGIL_MAX_LINKS];
};

struct peer_timing {
    vg_usec_t timeout[VIGIL_MAX_LINKS]; /* per link */
    vg_usec_t initial_timeout;
    vg_usec_t started_at; /* when this daemon started */
};

/* What changed in one call, for the caller to log and act on. */
struct peer_change {
    bool state_changed;
    enum peer_state old_state;
    bool new_incarnation; /* restarted (or first heard) */
    uint64_t old_incarnation;
    bool had_incarnation;
    uint8_t links_up;   /* links that went up */
    uint8_t links_down; /* links that went down */
};

void peer_init(struct peer *p, int id, vg_usec_t now);

/* Replay and incarnation checks for an authentic heartbeat from this peer
 * on link `link`. Returns 0 to accept, or -1 with *why set. Changes nothing. */
int peer_check(const struct peer *p, const struct wire_header *h, int link, enum drop_reason *why);

/* A message other than a heartbeat (a view message) that peer_check
 * accepted: taken only from the incarnation a heartbeat introduced (else -1
 * with DROP_UNKNOWN_INCARNATION); advances the link's sequence. */
int peer_take_message(struct peer *p, const struct wire_header *h, int link, enum drop_reason *why);

/* Take an accepted heartbeat (peer_check said 0) received at `now`. */
void peer_on_heartbeat(struct peer *p, int link, const struct wire_header *h,
                       const struct wire_heartbeat *hb, vg_usec_t now, struct peer_change *chg);

/* Evidence from a link without datagrams (disk, witness) that the peer was
 * alive at `when` (<= now): the link is up until when + timeout. */
void peer_on_evidence(struct peer *p, int link, vg_usec_t when, vg_usec_t now,
                      const struct peer_timing *t, struct peer_change *chg);

/* The link says the peer is gone for sure (it wrote "stopped" to the disk):
 * down at once, without waiting for the timeout. */
void peer_link_lost(struct peer *p, int link, int n_links, vg_usec_t now, struct peer_change *chg);

/* Expire links and the peer at `now`. */
void peer_tick(struct peer *p, int n_links, const struct peer_timing *t, vg_usec_t now,
               struct peer_change *chg);

/* The earliest time at which peer_tick may change something. */
vg_usec_t peer_next_deadline(const struct peer *p, int n_links, const struct peer_timing *t);

/* Echo fields for a heartbeat we send to this peer on `link` at `now`. */
void peer_echo(const struct peer *p, int link, vg_usec_t now, uint64_t *echo_time,
               uint32_t *echo_delay);

#endif
