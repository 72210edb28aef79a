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
#include "../membership/peer.h"
#include "../proto/proto.h"

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
    int self;           /* index of this node in conf.nodes */
    uint8_t key[VIGIL_KEY_BYTES];
    uint32_t cluster_id;
    uint64_t incarnation;
    vg_usec_t started_at;

    struct peer peers[VIGIL_MAX_NODES]; /* by index in conf.nodes; peers[self] unused */
    struct udp_link udp[VIGIL_MAX_LINKS];
    uint64_t seq[VIGIL_MAX_LINKS];

    /* the heartbeat path: preallocated, touched by nothing else */
    sd_event_source *hb_timer;
    sd_event_source *expiry_timer;
    sd_event_source *rx[VIGIL_MAX_LINKS];
    vg_usec_t hb_next;
    uint8_t txbuf[WIRE_MAX_DATAGRAM];
    uint8_t rxbuf[WIRE_MAX_DATAGRAM + 1];

    uint64_t drops[DROP__MAX];
    uint64_t sent, received, send_errors, late_timers;

    bool memory_locked;
    bool realtime_sched;

    sd_event_source *sig_term, *sig_int, *sig_hup;
    struct api_server *api;
};

/* heartbeat.c: start the heartbeat path (sockets, timers). */
int heartbeat_start(struct daemon *d);
void heartbeat_stop(struct daemon *d);
/* Re-arm timers after a timing change. */
void heartbeat_retime(struct daemon *d);

/* status.c: the status object of docs/status-json.md. */
json_t *status_build(const struct daemon *d);

/* realtime.c: lock memory and take real-time scheduling (config realtime=yes). */
void realtime_enter(struct daemon *d);

/* reload.c: SIGHUP. */
void reload_config(struct daemon *d);

#endif
