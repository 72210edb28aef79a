/* Whether vigilctl disk init may write on a device: a pure judgement of what
 * ctl_disk_probe() found, so that every case is unit-tested without a real
 * device. A wrong path given to init destroys someone's data: whatever is
 * recognisable on the device stops it, unless the admin says --force. */
#include "disk.h"

#include <stdarg.h>
#include <string.h>

__attribute__((format(printf, 3, 4))) static void add(char (*list)[CTL_DISK_MSG_LEN], int *n,
                                                      const char *fmt, ...)
{
    va_list ap;

    if (*n >= CTL_DISK_NOTES)
        return;
    va_start(ap, fmt);
    vsnprintf(list[*n], CTL_DISK_MSG_LEN, fmt, ap);
    va_end(ap);
    (*n)++;
}

#define refuse(v, ...) add((v)->refusals, &(v)->n_refusals, __VA_ARGS__)
#define warn(v, ...) add((v)->warnings, &(v)->n_warnings, __VA_ARGS__)

/* Something --force may overwrite: a refusal that says how to go on, or,
 * forced, a warning of what is being overwritten. */
static void obstacle(struct ctl_disk_verdict *v, bool force, const char *what, const char *advice)
{
    if (force)
        warn(v, "%s; overwriting it (--force)", what);
    else
        refuse(v, "%s; %s, or run init again with --force", what, advice);
}

static const char *usage_noun(const char *usage)
{
    if (strcmp(usage, "filesystem") == 0)
        return "a file system";
    if (strcmp(usage, "raid") == 0)
        return "a RAID or LVM member";
    if (strcmp(usage, "crypto") == 0)
        return "an encrypted volume";
    return "a known signature";
}

static void judge_signatures(const struct ctl_disk_probe *p, const char *device, bool force,
                             struct ctl_disk_verdict *v)
{
    char what[CTL_DISK_MSG_LEN], advice[CTL_DISK_MSG_LEN];

    snprintf(advice, sizeof(advice),
             "if it is really meant for the disk heartbeat, erase it with: wipefs -a %s", device);
    switch (p->blkid_rc) {
    case 0:
        if (p->type[0]) {
            snprintf(what, sizeof(what), "%s holds %s (blkid TYPE=%s%s%s%s)", device,
                     usage_noun(p->usage), p->type, p->label[0] ? ", LABEL=\"" : "", p->label,
                     p->label[0] ? "\"" : "");
            obstacle(v, force, what, advice);
        }
        if (p->pttype[0]) {
            snprintf(what, sizeof(what),
                     "%s holds a partition table (blkid PTTYPE=%s): it is a whole disk, "
                     "not a partition",
                     device, p->pttype);
            snprintf(advice, sizeof(advice),
                     "give one of its partitions instead (e.g. /dev/disk/by-partlabel/vigil-hb)");
            obstacle(v, force, what, advice);
        }
        break;
    case -2:
        snprintf(what, sizeof(what),
                 "%s holds several signatures that contradict each other (see: wipefs %s)", device,
                 device);
        obstacle(v, force, what, advice);
        break;
    case -1:
        snprintf(what, sizeof(what), "cannot tell what %s holds: %s", device,
                 p->blkid_err[0] ? p->blkid_err : "libblkid failed");
        snprintf(advice, sizeof(advice), "check it with: blkid -p %s", device);
        obstacle(v, force, what, advice);
        break;
    default: /* 1: nothing known */
        break;
    }
}

static void judge_header(const struct ctl_disk_probe *p, const char *device,
                         const char *cluster_name, bool force, struct ctl_disk_verdict *v)
{
    char what[CTL_DISK_MSG_LEN];

    if (p->header_rc == 0) {
        if (p->header.cluster_id == wire_cluster_id(cluster_name) &&
            strcmp(p->header.cluster_name, cluster_name) == 0) {
            warn(v,
                 "%s already holds the disk heartbeat area of cluster \"%s\"; re-initialising "
                 "it: running nodes will see a reset (every slot and mailbox cleared, pending "
                 "requests lost)",
                 device, cluster_name);
            return;
        }
        snprintf(what, sizeof(what),
                 "%s holds the disk heartbeat area of another cluster, \"%s\" (id 0x%08x); its "
                 "nodes would lose their disk heartbeat",
                 device, p->header.cluster_name, p->header.cluster_id);
        obstacle(v, force, what,
                 "check the device path; if that cluster is gone for good, take the device");
    } else if (p->header_magic) {
        snprintf(what, sizeof(what),
                 "%s holds a Vigil header that this vigilctl cannot read (%s); it may belong to "
                 "a cluster running another version",
                 device, p->header_err);
        obstacle(v, force, what, "check with vigilctl disk dump and on the nodes");
    }
}

/* The disk link of c whose device is `device`, or NULL. Paths are compared
 * as written: every node uses the configuration's path, and so should init. */
static const struct conf_link *disk_link_of(const struct conf *c, const char *device)
{
    for (int i = 0; i < c->n_links; i++)
        if (c->links[i].type == LINK_DISK && strcmp(c->links[i].device, device) == 0)
            return &c->links[i];
    return NULL;
}

/* Init for a device that no disk link of the configuration names is
 * allowed (the link may come later) but worth a word: a typo here means
 * nodes heartbeat on another device than the one prepared. */
static void judge_link(const struct conf *c, const char *device, struct ctl_disk_verdict *v)
{
    const struct conf_link *other = NULL;

    if (disk_link_of(c, device))
        return;
    for (int i = 0; i < c->n_links && !other; i++)
        if (c->links[i].type == LINK_DISK)
            other = &c->links[i];
    if (other)
        warn(v,
             "%s has no disk link on %s (link \"%s\" is on %s); nodes use the path the "
             "configuration gives, the same on every node",
             c->path, device, other->name, other->device);
    else
        warn(v,
             "%s has no disk link yet; add one for the nodes to use this device: "
             "[link \"NAME\"] type = disk, device = %s",
             c->path, device);
}

void ctl_disk_decide(const struct ctl_disk_probe *p, const char *device, const struct conf *c,
                     bool force, struct ctl_disk_verdict *v)
{
    uint64_t need = disk_size_needed(VIGIL_MAX_NODES);
    uint64_t need_mib = (need + (1u << 20) - 1) >> 20;

    memset(v, 0, sizeof(*v));
    switch (p->kind) {
    case CTL_DISK_MISSING:
        refuse(v,
               "%s does not exist; give the path of the heartbeat partition of the shared disk "
               "(e.g. /dev/disk/by-partlabel/vigil-hb), or for a test make a file with: "
               "truncate -s %lluM %s",
               device, (unsigned long long)need_mib, device);
        return;
    case CTL_DISK_OTHER:
        refuse(v,
               "%s is neither a block device nor a regular file; give the heartbeat partition "
               "of the shared disk (e.g. /dev/disk/by-partlabel/vigil-hb)",
               device);
        return;
    case CTL_DISK_FILE:
    case CTL_DISK_BLOCK:
        break;
    }

    /* Never, even with --force. */
    if (p->size < need) {
        if (p->kind == CTL_DISK_FILE)
            refuse(v,
                   "%s is %llu bytes, too small for the disk heartbeat of %d node ids (%llu "
                   "bytes); make it at least %llu bytes, e.g. truncate -s %lluM %s",
                   device, (unsigned long long)p->size, VIGIL_MAX_NODES, (unsigned long long)need,
                   (unsigned long long)need, (unsigned long long)need_mib, device);
        else
            refuse(v,
                   "%s is %llu bytes, too small for the disk heartbeat of %d node ids (%llu "
                   "bytes); use a partition of at least %llu MiB",
                   device, (unsigned long long)p->size, VIGIL_MAX_NODES, (unsigned long long)need,
                   (unsigned long long)need_mib);
    }
    if (p->busy)
        refuse(v,
               "%s is in use by the kernel (a mounted file system, or part of a RAID, LVM or "
               "device-mapper device); it cannot be the heartbeat device (see: lsblk %s)",
               device, device);

    /* Overridable with --force. */
    judge_header(p, device, c->cluster_name, force, v);
    judge_signatures(p, device, force, v);
    judge_link(c, device, v);

    v->write = v->n_refusals == 0;
}

void ctl_disk_header_for(const struct conf *c, const char *device, uint64_t now,
                         struct disk_header *h)
{
    const struct conf_link *l = disk_link_of(c, device);

    memset(h, 0, sizeof(*h));
    h->block_size = DISK_BLOCK_SIZE;
    /* Every possible node id: nodes can join later without a new init. */
    h->slots = VIGIL_MAX_NODES;
    h->cluster_id = wire_cluster_id(c->cluster_name);
    snprintf(h->cluster_name, sizeof(h->cluster_name), "%s", c->cluster_name);
    h->interval = l ? l->interval : c->interval;
    h->timeout = l ? l->timeout : c->timeout;
    h->created = now;
}
