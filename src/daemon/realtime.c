/* Keep the heartbeat path from being starved or paged out: a busy node is not
 * a dead node (DESIGN.md, safety rule 4). Both steps may fail without root or
 * in containers; the daemon then runs on and says so. */
#include "daemon.h"

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>

#include "../common/log.h"

#define VIGILD_RT_PRIORITY 50

void realtime_enter(struct daemon *d)
{
    if (!d->conf.realtime) {
        log_notice("realtime = no: memory not locked, normal scheduling");
        return;
    }
    if (mlockall(MCL_CURRENT | MCL_FUTURE) == 0)
        d->memory_locked = true;
    else
        log_warn("cannot lock memory (mlockall): %s; heartbeats may be delayed under memory "
                 "pressure (run as root, or set realtime = no to silence this)",
                 strerror(errno));

    struct sched_param sp = {.sched_priority = VIGILD_RT_PRIORITY};
    if (sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp) == 0)
        d->realtime_sched = true;
    else
        log_warn("cannot take real-time scheduling (SCHED_FIFO %d): %s; heartbeats may be "
                 "delayed on a loaded machine",
                 VIGILD_RT_PRIORITY, strerror(errno));
    if (d->memory_locked && d->realtime_sched)
        log_info("memory locked, SCHED_FIFO priority %d", VIGILD_RT_PRIORITY);
}
