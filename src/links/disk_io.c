/* Block I/O on the disk heartbeat device: one aligned block at a time, with
 * O_DIRECT so that nodes read what is on the disk, not their page cache.
 * Shared by vigild's disk thread and vigilctl disk init/dump. */
#include "links.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

int disk_open(const char *device, bool writable, bool *direct)
{
    int flags = (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC;
    int fd = open(device, flags | O_DIRECT);

    if (fd >= 0) {
        *direct = true;
        return fd;
    }
    if (errno != EINVAL)
        return -errno;
    /* The file system has no O_DIRECT (tmpfs on older kernels): synchronous
     * writes still reach every node on this machine through one page cache. */
    fd = open(device, flags | O_DSYNC);
    if (fd < 0)
        return -errno;
    *direct = false;
    return fd;
}

int disk_read_block(int fd, uint64_t offset, uint8_t *block)
{
    ssize_t n = pread(fd, block, DISK_BLOCK_SIZE, (off_t)offset);

    if (n < 0)
        return -errno;
    if (n != DISK_BLOCK_SIZE)
        return -EIO; /* past the end of the device */
    return 0;
}

int disk_write_block(int fd, uint64_t offset, const uint8_t *block)
{
    ssize_t n = pwrite(fd, block, DISK_BLOCK_SIZE, (off_t)offset);

    if (n < 0)
        return -errno;
    if (n != DISK_BLOCK_SIZE)
        return -EIO;
    return 0;
}
