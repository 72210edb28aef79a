/* Checking the [fence] devices of a configuration against the machine
 * (fence_check.c): each agent is found and its metadata read, by running
 * it, and the device's parameters are checked against it. vigild does this
 * at start, before its event loop runs (a device that cannot work is a
 * configuration error, found before anything depends on it), and so does
 * `vigilctl config check`. */
#ifndef VIGIL_FENCE_CHECK_H
#define VIGIL_FENCE_CHECK_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "../conf/conf.h"

#define FENCE_CHECK_TIMEOUT (20 * VG_USEC_PER_SEC) /* for one agent's metadata */

/* What the check learnt of one device. */
struct fence_device_info {
    char path[PATH_MAX]; /* the agent, absolute */
    bool has_status;     /* it lists a `status` action: an off is confirmed with it */
    bool takes_plug;     /* it lists a `plug` (or `port`) parameter: Vigil passes the node's */
};

/* Check every device of c, writing what it learnt into info[i] for
 * c->fences[i]. Runs each agent's `metadata` with a short-lived event loop
 * of its own, blocking SIGCHLD for the time of the call: never call it
 * from inside a running loop. 0, or a negative errno with one error per
 * line in err ("FILE:LINE: [fence \"ipmi\"]: ..."; every device is
 * checked). */
int fence_check_conf(const struct conf *c, struct fence_device_info info[CONF_FENCE_MAX], char *err,
                     size_t errlen);

#endif
