/* The ip primitives the runner uses in vigild: resources.h's netlink and
 * announcing functions. Kept in a file of its own so that a program that
 * links the runner without ip resources (the unit tests) does not need
 * libmnl; whoever names runner_ip_netlink links ip_netlink.c, and libmnl. */
#include "runner.h"

const struct runner_ip_ops runner_ip_netlink = {
    .resolve = res_ip_resolve,
    .add = res_ip_add,
    .del = res_ip_del,
    .check = res_ip_check,
    .announce_open = res_ip_announce_open,
    .announce_round = res_ip_announce_round,
    .announce_close = res_ip_announce_close,
    .probe_start = res_ip_probe_start,
    .probe_send = res_ip_probe_send,
    .probe_read = res_ip_probe_read,
    .probe_close = res_ip_probe_close,
};
