/* The watchdog in vigild (docs/fencing.md, "The watchdog"): armed once the
 * daemon is up, kicked from the heartbeat path only while the node is
 * healthy (src/fencing/watchdog_policy.c), disarmed on a clean stop that
 * left nothing running, and left armed otherwise. */
#ifndef VIGIL_DAEMON_WATCHDOG_RUN_H
#define VIGIL_DAEMON_WATCHDOG_RUN_H

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "../common/clock.h"
#include "../fencing/watchdog.h"

struct daemon;

/* Part of struct daemon. */
struct daemon_watchdog {
    struct watchdog dev;
    bool armed;
    sd_event_source *kick_timer;    /* heartbeat priority: decides and kicks */
    sd_event_source *control_timer; /* control priority: proves that path turns */
    vg_usec_t control_at;           /* when the control timer last ran */
    vg_usec_t hb_at;                /* when heartbeats were last sent (heartbeat.c) */
    bool seen_quorum;               /* quorate once since start: the quorum rule applies */
    enum watchdog_verdict last;     /* the last verdict, logged when it changes */
    vg_usec_t holding_since;        /* when it stopped kicking; 0: kicking */
};

/* Open and arm the device ([watchdog]), once the daemon is up; nothing
 * without the section. -errno after logging (the node must not run without
 * the watchdog its peers count on). */
int watchdog_run_start(struct daemon *d);

/* Disarm (magic close) when nothing is active here any more, else leave it
 * armed and say when the node will reset. */
void watchdog_run_stop(struct daemon *d);

#endif
