/* The Linux watchdog (docs/fencing.md, "The watchdog"): the device
 * (watchdog.c) and when to kick it (watchdog_policy.c, pure).
 *
 * The device is the kernel's watchdog API (linux/watchdog.h): opening it
 * arms it, each write (or WDIOC_KEEPALIVE) kicks it, and writing 'V' just
 * before close disarms it ("magic close"), unless the driver was loaded
 * with nowayout. A device that does not take WDIOC_SETTIMEOUT (a fake one
 * in tests, or an old driver) keeps its own timeout: the caller is told,
 * and logs that the configured value is trusted. Nothing here logs. */
#ifndef VIGIL_WATCHDOG_H
#define VIGIL_WATCHDOG_H

#include <stdbool.h>
#include <stddef.h>

#include "../common/clock.h"

#define WATCHDOG_ERR_MAX 512

struct watchdog {
    int fd; /* -1: not open */
    char path[256];
    unsigned timeout_s; /* what the device says it uses (or the configured one) */
    bool timeout_set;   /* WDIOC_SETTIMEOUT took the configured value */
    bool magic_close;   /* the driver says it honours 'V' (WDIOF_MAGICCLOSE) */
    bool support_known; /* WDIOC_GETSUPPORT answered */
    char identity[33];  /* the driver's name, when it says */
};

/* Whether the watchdog driver behind `path` was loaded with nowayout
 * (reading /sys/class/watchdog/<dev>/nowayout when it exists): then no
 * close disarms it, so a clean stop of vigild reboots the node. -ENOENT
 * when it cannot be told. */
int watchdog_nowayout(const char *path, bool *nowayout);

/* Open (and so arm) the device and ask for timeout_s. 0 with w filled;
 * -errno with err naming the device and what to do. */
int watchdog_open(struct watchdog *w, const char *path, unsigned timeout_s, char *err,
                  size_t errlen);

/* Kick it once. -errno with err. */
int watchdog_kick(struct watchdog *w, char *err, size_t errlen);

/* Close it: disarm with the magic 'V' first when `disarm`, otherwise close
 * armed (the node resets after the timeout unless something kicks it
 * again). w->fd is -1 afterwards. */
int watchdog_close(struct watchdog *w, bool disarm, char *err, size_t errlen);

/* ---- watchdog_policy.c: whether to kick now (pure) ---- */

/* What the daemon knows about its own health at one moment. */
struct watchdog_health {
    vg_usec_t now;
    vg_usec_t loop_turned; /* when the event loop last ran its health tick */
    vg_usec_t hb_alive;    /* when the heartbeat path last showed it runs (sent on time) */
    bool quorum_required;  /* quorum != none */
    bool quorate;
    bool nothing_active; /* every group here is stopped or failed (none stop-failed) */
    bool stop_failed;    /* a group's stop failed here: it may run on, only a reset ends it */
};

struct watchdog_limits {
    vg_usec_t loop_max; /* the loop may lag this much before it counts as stalled */
    vg_usec_t hb_max;   /* the heartbeat path may be silent this long */
};

enum watchdog_verdict {
    WATCHDOG_KICK,
    WATCHDOG_HOLD_LOOP,        /* the event loop is stalled */
    WATCHDOG_HOLD_HEARTBEAT,   /* the heartbeat path is not running */
    WATCHDOG_HOLD_QUORUM,      /* no quorum while groups may be active here */
    WATCHDOG_HOLD_STOP_FAILED, /* a group's stop failed here */
};

/* Kick only while healthy: the loop turns, the heartbeat path runs, and,
 * when quorum is required, this node is quorate or holds nothing (a node
 * that lost quorum and stopped everything is harmless, and its peers may
 * take its groups after twice the watchdog timeout either way). */
enum watchdog_verdict watchdog_decide(const struct watchdog_health *h,
                                      const struct watchdog_limits *l);

/* "kick", "event loop stalled", ... */
const char *watchdog_verdict_text(enum watchdog_verdict v);

#endif
