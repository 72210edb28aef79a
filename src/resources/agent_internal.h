/* Internal to the agent files of src/resources: what exec, ocf and systemd
 * share to start a child and to describe it. The interface is agent.h. */
#ifndef VIGIL_AGENT_INTERNAL_H
#define VIGIL_AGENT_INTERNAL_H

#include "../common/spawn.h"
#include "agent.h"

#define AGENT_LABEL_MAX 384 /* "monitor of GROUP/RESOURCE (ocf:PROVIDER:TYPE)" */

/* One prepared child: what agent_launch hands to spawn_start. */
struct agent_launch {
    enum agent_kind kind;
    enum agent_action action;
    const char *label; /* for the reason: "start of web/app (exec)" */
    char *const *argv; /* argv[0] is the absolute path of the program */
    char *const *envp; /* the whole environment */
    bool meta_data;    /* stderr apart, AGENT_META_OUTPUT_LIMIT by default */
};

/* Check what every kind needs of a request: a known action, a resource
 * name unless it is meta-data, names free of control characters. */
int agent_check_request(const struct agent_request *req, char *err, size_t errlen);

/* The timeout the request asks for, or AGENT_TIMEOUT_DEFAULT. */
vg_usec_t agent_request_timeout(const struct agent_request *req);

/* "start of web/app (WHAT)", or "meta-data of WHAT" without a resource. */
void agent_label(const struct agent_request *req, const char *what, char *buf, size_t len);

/* PATH and, when set, VIGIL_GROUP, VIGIL_RESOURCE, VIGIL_NODE, VIGIL_ACTION. */
int agent_env_common(struct spawn_env *env, const struct agent_request *req, char *err,
                     size_t errlen);

/* Start the child and wrap it in an agent_op whose callback gets the
 * classified result. Everything in l is copied. */
int agent_launch(sd_event *ev, const struct agent_request *req, const struct agent_launch *l,
                 agent_done_fn done, void *userdata, struct agent_op **ret, char *err,
                 size_t errlen);

#endif
