/* The device I/O of vigilctl disk init and dump. Every function here may
 * block for ever on a device that hangs: disk_cmd.c calls them only through
 * ctl_disk_bounded(). Blocks are read and written one at a time with
 * disk_read_block()/disk_write_block(), aligned, with O_DIRECT where the file
 * system has it: what vigild sees, not the page cache. */
#include "disk.h"

#include <blkid.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../links/links.h"

static enum ctl_disk_kind kind_of(mode_t mode)
{
    if (S_ISREG(mode))
        return CTL_DISK_FILE;
    if (S_ISBLK(mode))
        return CTL_DISK_BLOCK;
    return CTL_DISK_OTHER;
}

/* Size in bytes of an open device or file. */
static int size_of(int fd, enum ctl_disk_kind kind, uint64_t *size)
{
    struct stat st;

    if (kind == CTL_DISK_BLOCK)
        return ioctl(fd, BLKGETSIZE64, size) < 0 ? -errno : 0;
    if (fstat(fd, &st) < 0)
        return -errno;
    *size = (uint64_t)st.st_size;
    return 0;
}

static void *block_alloc(size_t n_blocks)
{
    void *p = NULL;

    if (posix_memalign(&p, DISK_BLOCK_SIZE, n_blocks * DISK_BLOCK_SIZE) != 0)
        return NULL;
    memset(p, 0, n_blocks * DISK_BLOCK_SIZE);
    return p;
}

/* Open for init or dump, with a sentence that says what to do when it fails. */
static int open_device(const char *device, bool writable, bool *direct, char *err, size_t errlen)
{
    int fd = disk_open(device, writable, direct);

    if (fd >= 0)
        return fd;
    if (fd == -EACCES || fd == -EPERM)
        snprintf(err, errlen, "cannot open %s for %s: %s; run vigilctl as root", device,
                 writable ? "writing" : "reading", strerror(-fd));
    else if (fd == -EROFS)
        snprintf(err, errlen, "cannot open %s for writing: %s; make the device writable", device,
                 strerror(-fd));
    else if (fd == -EBUSY)
        snprintf(err, errlen, "cannot open %s: %s; something holds it exclusively (see lsblk %s)",
                 device, strerror(-fd), device);
    else
        snprintf(err, errlen, "cannot open %s: %s", device, strerror(-fd));
    return fd;
}

/* A block device that another user holds exclusively (a mounted file system,
 * an md array, a device-mapper target) cannot be opened with O_EXCL. vigild
 * does not open with O_EXCL, so running nodes do not make it busy. */
static bool held_by_kernel(const char *device)
{
    int fd = open(device, O_RDONLY | O_EXCL | O_CLOEXEC);

    if (fd >= 0) {
        close(fd);
        return false;
    }
    return errno == EBUSY;
}

static void copy_value(blkid_probe pr, const char *name, char *buf, size_t size)
{
    const char *v = NULL;

    buf[0] = '\0';
    if (blkid_probe_lookup_value(pr, name, &v, NULL) == 0 && v)
        snprintf(buf, size, "%s", v);
}

/* What libblkid recognises on the device: file systems, RAID and LVM
 * members, encrypted volumes, partition tables. */
static void probe_signatures(const char *device, struct ctl_disk_probe *p)
{
    blkid_probe pr = blkid_new_probe_from_filename(device);

    if (!pr) {
        p->blkid_rc = -1;
        snprintf(p->blkid_err, sizeof(p->blkid_err), "libblkid cannot open it: %s",
                 strerror(errno ? errno : EIO));
        return;
    }
    blkid_probe_enable_superblocks(pr, 1);
    blkid_probe_set_superblocks_flags(pr,
                                      BLKID_SUBLKS_TYPE | BLKID_SUBLKS_USAGE | BLKID_SUBLKS_LABEL);
    blkid_probe_enable_partitions(pr, 1);
    blkid_probe_set_partitions_flags(pr, 0);
    p->blkid_rc = blkid_do_safeprobe(pr);
    if (p->blkid_rc == 0) {
        copy_value(pr, "TYPE", p->type, sizeof(p->type));
        copy_value(pr, "USAGE", p->usage, sizeof(p->usage));
        copy_value(pr, "LABEL", p->label, sizeof(p->label));
        copy_value(pr, "PTTYPE", p->pttype, sizeof(p->pttype));
    } else if (p->blkid_rc == -1) {
        snprintf(p->blkid_err, sizeof(p->blkid_err), "libblkid could not probe it");
    }
    blkid_free_probe(pr);
}

/* The header magic, big-endian like every field of the disk layout: a block
 * that has it but does not decode is a Vigil header of another version, or a
 * damaged one, rather than foreign data. */
static bool starts_with_header_magic(const uint8_t *block)
{
    uint32_t m =
        (uint32_t)block[0] << 24 | (uint32_t)block[1] << 16 | (uint32_t)block[2] << 8 | block[3];
    return m == DISK_MAGIC_HEADER;
}

int ctl_disk_probe(const char *device, struct ctl_disk_probe *p, char *err, size_t errlen)
{
    struct stat st;
    uint8_t *block;
    int r;

    memset(p, 0, sizeof(*p));
    p->fd = -1;
    p->header_rc = -EIO;
    if (stat(device, &st) < 0) {
        int e = errno;

        if (e == ENOENT) {
            p->kind = CTL_DISK_MISSING;
            return 0;
        }
        snprintf(err, errlen, "cannot look at %s: %s", device, strerror(e));
        return -e;
    }
    /* Never open anything else: opening a character device can have side
     * effects (a watchdog starts counting). */
    p->kind = kind_of(st.st_mode);
    if (p->kind == CTL_DISK_OTHER)
        return 0;

    r = open_device(device, true, &p->direct, err, errlen);
    if (r < 0)
        return r;
    p->fd = r;
    r = size_of(p->fd, p->kind, &p->size);
    if (r < 0) {
        snprintf(err, errlen, "cannot find the size of %s: %s", device, strerror(-r));
        return r;
    }
    if (p->kind == CTL_DISK_BLOCK)
        p->busy = held_by_kernel(device);
    probe_signatures(device, p);

    if (p->size < DISK_BLOCK_SIZE)
        return 0;
    block = block_alloc(1);
    if (!block) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    r = disk_read_block(p->fd, 0, block);
    if (r < 0) {
        snprintf(err, errlen, "cannot read the first block of %s: %s; check the device (dmesg)",
                 device, strerror(-r));
        free(block);
        return r;
    }
    p->header_magic = starts_with_header_magic(block);
    p->header_rc = disk_header_decode(block, &p->header, p->header_err, sizeof(p->header_err));
    free(block);
    return 0;
}

/* Compare what was written with what reads back, field by field. */
static bool same_header(const struct disk_header *a, const struct disk_header *b)
{
    return a->block_size == b->block_size && a->slots == b->slots &&
           a->cluster_id == b->cluster_id && a->interval == b->interval &&
           a->timeout == b->timeout && a->created == b->created &&
           strcmp(a->cluster_name, b->cluster_name) == 0;
}

int ctl_disk_write_area(int fd, const char *device, const struct disk_header *h, char *err,
                        size_t errlen)
{
    uint8_t *block = block_alloc(1);
    struct disk_header back;
    char why[CTL_DISK_ERR_LEN];
    uint64_t off = 0;
    int r;

    if (!block) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    /* Header first to zero, then every slot and mailbox, then the header:
     * an init cut short leaves no valid header, never a header over stale
     * slots. */
    for (uint32_t i = 0; i < 1 + 2 * h->slots; i++) {
        off = (uint64_t)i * DISK_BLOCK_SIZE;
        r = disk_write_block(fd, off, block);
        if (r < 0)
            goto write_failed;
    }
    if (fsync(fd) < 0) {
        r = -errno;
        goto sync_failed;
    }
    disk_header_encode(block, h);
    off = 0;
    r = disk_write_block(fd, 0, block);
    if (r < 0)
        goto write_failed;
    if (fsync(fd) < 0) {
        r = -errno;
        goto sync_failed;
    }

    memset(block, 0, DISK_BLOCK_SIZE);
    r = disk_read_block(fd, 0, block);
    if (r < 0) {
        snprintf(err, errlen, "cannot read back the header of %s: %s", device, strerror(-r));
        goto out;
    }
    r = disk_header_decode(block, &back, why, sizeof(why));
    if (r < 0 || !same_header(h, &back)) {
        snprintf(err, errlen,
                 "the header read back from %s is not the one written (%s); the device does "
                 "not keep what is written to it: check it (dmesg) or use another one",
                 device, r < 0 ? why : "other contents");
        r = -EIO;
        goto out;
    }
    r = 0;
    goto out;

write_failed:
    snprintf(err, errlen,
             "cannot write to %s at offset %llu: %s; the device is left without a "
             "valid header, run init again once it is fixed",
             device, (unsigned long long)off, strerror(-r));
    goto out;
sync_failed:
    snprintf(err, errlen,
             "cannot flush %s to stable storage (fsync): %s; run init again once "
             "the device is fixed",
             device, strerror(-r));
out:
    free(block);
    return r;
}

int ctl_disk_read_image(const char *device, struct ctl_disk_image *img, char *err, size_t errlen)
{
    struct disk_header h;
    char why[CTL_DISK_ERR_LEN];
    struct stat st;
    bool direct;
    int fd, r;

    memset(img, 0, sizeof(*img));
    if (stat(device, &st) < 0) {
        int e = errno;

        snprintf(err, errlen, "cannot open %s: %s%s", device, strerror(e),
                 e == ENOENT ? "; check the path (the device of the disk link in the "
                               "configuration, the same on every node)"
                             : "");
        return -e;
    }
    img->kind = kind_of(st.st_mode);
    if (img->kind == CTL_DISK_OTHER) {
        snprintf(err, errlen, "%s is neither a block device nor a regular file", device);
        return -EINVAL;
    }
    fd = open_device(device, false, &direct, err, errlen);
    if (fd < 0)
        return fd;
    r = size_of(fd, img->kind, &img->size);
    if (r < 0) {
        snprintf(err, errlen, "cannot find the size of %s: %s", device, strerror(-r));
        goto out;
    }
    img->blocks = block_alloc(CTL_DISK_MAX_BLOCKS);
    if (!img->blocks) {
        snprintf(err, errlen, "out of memory");
        r = -ENOMEM;
        goto out;
    }

    /* As many blocks as the header covers; without a header, as many as a
     * header could cover, as far as the device goes. */
    img->n_blocks = 1;
    img->read_rc[0] = disk_read_block(fd, 0, img->blocks);
    if (img->read_rc[0] == 0 && disk_header_decode(img->blocks, &h, why, sizeof(why)) == 0)
        img->n_blocks = 1 + 2 * (int)h.slots;
    else if (img->size / DISK_BLOCK_SIZE < CTL_DISK_MAX_BLOCKS)
        img->n_blocks = (int)(img->size / DISK_BLOCK_SIZE);
    else
        img->n_blocks = CTL_DISK_MAX_BLOCKS;
    for (int i = 1; i < img->n_blocks; i++)
        img->read_rc[i] = disk_read_block(fd, (uint64_t)i * DISK_BLOCK_SIZE,
                                          img->blocks + (size_t)i * DISK_BLOCK_SIZE);
    if (img->n_blocks == 0)
        img->n_blocks = 1; /* shorter than one block: show block 0's failed read */
    r = 0;
out:
    close(fd);
    return r;
}

void ctl_disk_image_free(struct ctl_disk_image *img)
{
    free(img->blocks);
    img->blocks = NULL;
}
