/* vigilctl disk message DEVICE NODE REQUEST: write a request into a node's
 * mailbox on the disk heartbeat device, as an administrator (sender id 0).
 * The node logs it, shows it in status and clears the block; `test` checks
 * that path end to end, `clear` empties the mailbox. Only on a device whose
 * header names the configured cluster. */
#include "ctl.h"
#include "disk.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../common/errbuf.h"
#include "../links/links.h"

struct message_io {
    const char *device;
    uint32_t cluster_id;
    struct disk_mailbox box; /* request NONE: clear */
    char err[CTL_DISK_MSG_LEN];
};

/* In the worker thread: check the header, then write one block. */
static int message_io(void *arg)
{
    struct message_io *io = arg;
    struct disk_header h;
    char why[CTL_DISK_ERR_LEN];
    uint8_t *block;
    bool direct;
    int fd, r;

    if (posix_memalign((void **)&block, DISK_BLOCK_SIZE, DISK_BLOCK_SIZE) != 0)
        return errbuf_fail(io->err, sizeof(io->err), -ENOMEM, "out of memory");
    fd = disk_open(io->device, true, &direct);
    if (fd < 0) {
        r = errbuf_fail(io->err, sizeof(io->err), fd, "cannot open %s: %s", io->device,
                        strerror(-fd));
        goto out;
    }
    r = disk_read_block(fd, 0, block);
    if (r < 0) {
        errbuf_set(io->err, sizeof(io->err), "cannot read the header of %s: %s", io->device,
                   strerror(-r));
        goto out;
    }
    r = disk_header_decode(block, &h, why, sizeof(why));
    if (r < 0 || h.cluster_id != io->cluster_id) {
        r = errbuf_fail(io->err, sizeof(io->err), -EINVAL,
                        "%s is not this cluster's disk heartbeat area (%s); not writing to it",
                        io->device, r < 0 ? why : "its header names another cluster");
        goto out;
    }
    if (io->box.node > h.slots) {
        r = errbuf_fail(io->err, sizeof(io->err), -ERANGE,
                        "%s has %u slots; node id %u has no mailbox there", io->device, h.slots,
                        io->box.node);
        goto out;
    }
    if (io->box.request == DISK_REQ_NONE)
        memset(block, 0, DISK_BLOCK_SIZE);
    else
        disk_mailbox_encode(block, &io->box);
    r = disk_write_block(fd, disk_mailbox_offset(io->box.node), block);
    if (r < 0)
        errbuf_set(io->err, sizeof(io->err), "cannot write the mailbox of node %u on %s: %s",
                   io->box.node, io->device, strerror(-r));
out:
    if (fd >= 0)
        close(fd);
    free(block);
    return r;
}

int ctl_disk_message(const char *device, const struct conf *c, const char *node,
                     const char *request, vg_usec_t timeout, FILE *out)
{
    const struct conf_node *n = conf_node_by_name(c, node);
    struct message_io *io;
    struct timespec now;
    int r;

    if (!n) {
        ctl_error("disk message: no node '%s' in the configuration %s", node, c->path);
        return CTL_EXIT_FAIL;
    }
    if (strcmp(request, "test") != 0 && strcmp(request, "clear") != 0) {
        ctl_error("disk message: unknown request '%s': expected test or clear (stand-down and "
                  "reset come with membership and fencing)",
                  request);
        return CTL_EXIT_USAGE;
    }
    io = calloc(1, sizeof(*io));
    if (!io) {
        ctl_error("out of memory");
        return CTL_EXIT_FAIL;
    }
    clock_gettime(CLOCK_REALTIME, &now);
    io->device = device;
    io->cluster_id = wire_cluster_id(c->cluster_name);
    io->box = (struct disk_mailbox){
        .node = (uint16_t)n->id,
        .from = 0,
        .request = strcmp(request, "test") == 0 ? DISK_REQ_TEST : DISK_REQ_NONE,
        /* writers tell their requests apart by sequence: the wall clock in usec */
        .sequence = (uint64_t)now.tv_sec * VG_USEC_PER_SEC + (uint64_t)now.tv_nsec / 1000,
    };
    r = ctl_disk_run_bounded(device, timeout, message_io, io);
    if (r < 0) {
        if (io->err[0])
            ctl_error("%s", io->err);
        free(io);
        return CTL_EXIT_FAIL;
    }
    fprintf(out, "%s: %s written to the mailbox of %s (id %d)\n", device,
            io->box.request == DISK_REQ_NONE ? "clear" : "test request", n->name, n->id);
    free(io);
    return CTL_EXIT_OK;
}
