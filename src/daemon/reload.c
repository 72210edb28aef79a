/* SIGHUP: re-read the configuration. For now only timing applies live;
 * any other change is refused and the running configuration is kept.
 * The ocf resources' agents are not checked again (ocf_check.h, which
 * would wait for their meta-data inside the loop): a reload cannot change
 * a resource, so the ones checked at start are the ones that run. Once
 * resources change live, their meta-data must be read as agent actions
 * of the loop (agent_ocf_run, non-blocking) before the change applies. */
#include "daemon.h"

#include <inttypes.h>
#include <string.h>

#include "../common/log.h"

void reload_config(struct daemon *d)
{
    static struct conf next; /* large; one reload at a time */
    struct conf_diag diag = {.n = 0};
    char why[512];

    log_notice("SIGHUP: re-reading %s", d->opts.config_path);
    if (conf_load(d->opts.config_path, &next, &diag) < 0) {
        for (int i = 0; i < diag.n; i++)
            log_err("%s", diag.msg[i]);
        log_err("configuration not reloaded: %d error(s); the running configuration stays", diag.n);
        return;
    }
    if (conf_diff_beyond_timing(&d->conf, &next, why, sizeof(why))) {
        /* groups included: a runner is only replaced once its group is
         * stopped, which this version does not do live */
        log_err("configuration not reloaded: %s; only interval, timeout and initial-timeout "
                "apply live for now (restart vigild for other changes)",
                why);
        return;
    }
    bool links_changed = false;
    for (int l = 0; l < next.n_links; l++)
        if (next.links[l].interval != d->conf.links[l].interval ||
            next.links[l].timeout != d->conf.links[l].timeout)
            links_changed = true;
    if (!links_changed && next.interval == d->conf.interval && next.timeout == d->conf.timeout &&
        next.initial_timeout == d->conf.initial_timeout) {
        log_notice("configuration reloaded: nothing changed");
        return;
    }
    log_notice("configuration reloaded: interval %" PRIu64 "ms -> %" PRIu64 "ms, timeout %" PRIu64
               "ms -> %" PRIu64 "ms, initial-timeout %" PRIu64 "ms -> %" PRIu64 "ms",
               d->conf.interval / 1000, next.interval / 1000, d->conf.timeout / 1000,
               next.timeout / 1000, d->conf.initial_timeout / 1000, next.initial_timeout / 1000);
    d->conf.interval = next.interval;
    d->conf.timeout = next.timeout;
    d->conf.initial_timeout = next.initial_timeout;
    for (int l = 0; l < next.n_links; l++) {
        if (next.links[l].interval != d->conf.links[l].interval ||
            next.links[l].timeout != d->conf.links[l].timeout)
            log_notice("link %s: interval %" PRIu64 "ms, timeout %" PRIu64 "ms", next.links[l].name,
                       next.links[l].interval / 1000, next.links[l].timeout / 1000);
        d->conf.links[l].interval = next.links[l].interval;
        d->conf.links[l].timeout = next.links[l].timeout;
    }
    heartbeat_retime(d);
}
