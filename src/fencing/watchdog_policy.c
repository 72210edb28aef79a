/* When vigild kicks its watchdog (watchdog.h: watchdog_decide). */
#include "watchdog.h"

/* How long ago `then` was; a time in the future (a clock read out of
 * order) counts as now. */
static vg_usec_t age(vg_usec_t now, vg_usec_t then)
{
    return now > then ? now - then : 0;
}

enum watchdog_verdict watchdog_decide(const struct watchdog_health *h,
                                      const struct watchdog_limits *l)
{
    if (age(h->now, h->loop_turned) > l->loop_max)
        return WATCHDOG_HOLD_LOOP;
    if (age(h->now, h->hb_alive) > l->hb_max)
        return WATCHDOG_HOLD_HEARTBEAT;
    if (h->quorum_required && !h->quorate && !h->nothing_active)
        return WATCHDOG_HOLD_QUORUM;
    if (h->stop_failed)
        return WATCHDOG_HOLD_STOP_FAILED;
    return WATCHDOG_KICK;
}

const char *watchdog_verdict_text(enum watchdog_verdict v)
{
    switch (v) {
    case WATCHDOG_KICK:
        return "kick";
    case WATCHDOG_HOLD_LOOP:
        return "event loop stalled";
    case WATCHDOG_HOLD_HEARTBEAT:
        return "heartbeat path not running";
    case WATCHDOG_HOLD_QUORUM:
        return "no quorum while groups may be active here";
    case WATCHDOG_HOLD_STOP_FAILED:
        return "a group's stop failed here: only a reset ends it";
    }
    return "unknown";
}
