/* The `ocf` resources of a configuration checked against the agents
 * installed on this machine (docs/agents.md, "Checking a configuration"):
 * the agent is there, its meta-data reads, every parameter it requires is
 * set and every parameter set is one it has; and the timeouts the agent
 * advises for the actions whose timeout the resource does not set.
 *
 * It runs each agent's meta-data and waits for it, so it is for vigild
 * before its loop runs and for vigilctl config check, never for a running
 * loop. */
#ifndef VIGIL_OCF_CHECK_H
#define VIGIL_OCF_CHECK_H

#include "../conf/conf.h"

/* What an agent advises for one resource; 0: keep the configuration's. */
struct ocf_advice {
    vg_usec_t start_timeout, stop_timeout, monitor_timeout;
};

/* Check every ocf resource of c in a group that node (an index in
 * c->nodes) may run, or of every group when node < 0, under OCF root
 * `root` (NULL: /usr/lib/ocf). One error per problem goes to diag, as
 * conf_load's do ("FILE:LINE: [resource "G/N"] ..."); advice (may be NULL;
 * VIGIL_MAX_RESOURCES entries, by index in c->resources) gets the agents'
 * timeouts where the resource sets none. 0, or -EINVAL with errors in
 * diag. */
int ocf_check_conf(const struct conf *c, int node, const char *root, struct ocf_advice *advice,
                   struct conf_diag *diag);

#endif
