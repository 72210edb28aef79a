/* vigilctl disk init / dump: what vigilctl's disk_*.c files share.
 *
 * disk_cmd.c parses the command line and runs the steps. disk_probe.c does
 * all the device I/O; disk_worker.c runs that I/O in a thread of its own with
 * a deadline, so that a device whose I/O never completes cannot hang
 * vigilctl. disk_verdict.c decides, without I/O, whether init may write on
 * what the probe found; disk_dump.c decodes and shows what dump read. */
#ifndef VIGIL_CTL_DISK_H
#define VIGIL_CTL_DISK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../common/clock.h"
#include "../conf/conf.h"
#include "../proto/proto.h"

#define CTL_DISK_DEFAULT_TIMEOUT (5 * VG_USEC_PER_SEC)
#define CTL_DISK_MSG_LEN 768
#define CTL_DISK_ERR_LEN 160
#define CTL_DISK_MAX_BLOCKS (1 + 2 * VIGIL_MAX_NODES)

enum ctl_disk_kind {
    CTL_DISK_MISSING, /* nothing at that path */
    CTL_DISK_FILE,    /* a regular file */
    CTL_DISK_BLOCK,   /* a block device */
    CTL_DISK_OTHER,   /* a directory, a character device, ...: never opened */
};

/* What init found on a device before writing anything: the facts
 * ctl_disk_decide() judges. */
struct ctl_disk_probe {
    int fd;      /* open for reading and writing; -1 when not open */
    bool direct; /* with O_DIRECT (else O_DSYNC, see disk_open()) */
    enum ctl_disk_kind kind;
    uint64_t size; /* bytes */
    bool busy;     /* a block device the kernel holds: mounted, RAID, LVM, dm (O_EXCL: EBUSY) */

    /* libblkid's look at the device (blkid_do_safeprobe) */
    int blkid_rc; /* 0 found a signature, 1 none, -2 several that contradict, -1 error */
    char blkid_err[CTL_DISK_ERR_LEN];
    char type[64];   /* TYPE of a superblock (ext4, xfs, LVM2_member, ...), "" when none */
    char usage[32];  /* its USAGE: filesystem, raid, crypto, other */
    char label[128]; /* its LABEL, "" when none */
    char pttype[32]; /* PTTYPE of a partition table (gpt, dos), "" when none */

    /* block 0 as a Vigil header */
    int header_rc;     /* disk_header_decode(): 0, -ENODATA (all zero), -EINVAL; -EIO unread */
    bool header_magic; /* starts with the header magic, whether or not it decodes */
    struct disk_header header;
    char header_err[CTL_DISK_ERR_LEN];
};

#define CTL_DISK_NOTES 8

/* ctl_disk_decide()'s answer: write or not, and every reason, each one a
 * sentence that names the device and says what to do. */
struct ctl_disk_verdict {
    bool write;
    int n_refusals; /* reasons not to write; write is false when there is any */
    char refusals[CTL_DISK_NOTES][CTL_DISK_MSG_LEN];
    int n_warnings; /* what the write will do that the admin should know */
    char warnings[CTL_DISK_NOTES][CTL_DISK_MSG_LEN];
};

/* What dump read: the header block, then the slot and mailbox blocks. */
struct ctl_disk_image {
    enum ctl_disk_kind kind;
    uint64_t size;
    int n_blocks;                     /* blocks tried: 0 .. n_blocks-1 */
    int read_rc[CTL_DISK_MAX_BLOCKS]; /* 0, or -errno of that block's read */
    uint8_t *blocks;                  /* n_blocks * DISK_BLOCK_SIZE, aligned for O_DIRECT */
};

/* disk_worker.c */

/* Run fn(arg) in a new thread and wait for it at most `timeout`. Returns 0
 * with fn's result in *result, or -ETIMEDOUT when fn did not return in time:
 * the thread is then left behind (its I/O hangs) and arg must stay valid
 * until the process ends. Or -errno when no thread could be started. */
int ctl_disk_bounded(int (*fn)(void *arg), void *arg, vg_usec_t timeout, int *result);

/* disk_probe.c: device I/O, for the worker thread. Each returns 0, or -errno
 * with a sentence naming the device in err. */

/* Look at DEVICE for init: its kind and size, whether the kernel holds it,
 * its signatures, block 0 as a Vigil header. Opens it for writing unless it
 * is missing or neither a block device nor a regular file. */
int ctl_disk_probe(const char *device, struct ctl_disk_probe *p, char *err, size_t errlen);

/* Initialise the area on an open device: invalidate the header, zero every
 * slot and mailbox of h->slots nodes, fsync, write the header, fsync, read
 * it back and compare. The header is valid only once all the rest is done. */
int ctl_disk_write_area(int fd, const char *device, const struct disk_header *h, char *err,
                        size_t errlen);

/* Read DEVICE (read-only) for dump: the header block, then the slots and
 * mailboxes the header covers (all VIGIL_MAX_NODES, as far as the device
 * goes, when it does not decode). A block that cannot be read is recorded in
 * read_rc; only failing to open the device is an error. */
int ctl_disk_read_image(const char *device, struct ctl_disk_image *img, char *err, size_t errlen);
void ctl_disk_image_free(struct ctl_disk_image *img);

/* disk_verdict.c: pure */

/* Judge what ctl_disk_probe() found on `device` for an init for the cluster
 * of c. Refused always: missing, not a block device or regular file, too
 * small, held by the kernel. Refused unless `force`: a signature libblkid
 * knows, a Vigil header of another cluster or of another version. Warned
 * about: re-initialising the same cluster, what --force overrides, a device
 * that no disk link of c names. */
void ctl_disk_decide(const struct ctl_disk_probe *p, const char *device, const struct conf *c,
                     bool force, struct ctl_disk_verdict *v);

/* The header init writes on `device` for configuration c at wall-clock time
 * `now` (seconds): the timing of c's disk link on that device, else of
 * [cluster]. */
void ctl_disk_header_for(const struct conf *c, const char *device, uint64_t now,
                         struct disk_header *h);

/* disk_dump.c: pure, besides writing to out */

/* Show what dump read: the header, the slots that are not empty, the
 * mailboxes that hold a request, and the blocks that do not decode, with
 * node names from c when not NULL. now_wall is CLOCK_REALTIME in usec, for
 * ages. Returns the number of problems found (header missing or invalid,
 * unreadable or undecodable blocks), or -EIO when writing to out failed. */
int ctl_disk_dump_text(const struct ctl_disk_image *img, const char *device, const struct conf *c,
                       uint64_t now_wall, FILE *out);
/* The same as one JSON object (docs/vigilctl.md). */
int ctl_disk_dump_json(const struct ctl_disk_image *img, const char *device, const struct conf *c,
                       uint64_t now_wall, FILE *out);

/* disk_cmd.c: the commands as the tests drive them; they return an exit
 * code (enum ctl_exit) and print errors on stderr. */
int ctl_disk_init(const char *device, const struct conf *c, bool force, vg_usec_t timeout,
                  FILE *out);
int ctl_disk_dump(const char *device, const struct conf *c, bool json, vg_usec_t timeout,
                  FILE *out);

/* Run fn(arg) in the worker with the deadline (disk_cmd.c): fn's result, or
 * -errno when no thread could be started. Does not return on a timeout: it
 * says the device does not answer and leaves the process. */
int ctl_disk_run_bounded(const char *device, vg_usec_t timeout, int (*fn)(void *), void *arg);

/* disk_message.c: write `test` or `clear` into NODE's mailbox. */
int ctl_disk_message(const char *device, const struct conf *c, const char *node,
                     const char *request, vg_usec_t timeout, FILE *out);

#endif
