/* The disk heartbeat thread (see links.h). The event loop talks to it only
 * through the mutex-guarded fields and the eventfd; the thread never calls
 * back into the loop and logs nothing (the loop logs what it reports). */
#include "links.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

static uint64_t wall_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * VG_USEC_PER_SEC + (uint64_t)ts.tv_nsec / 1000;
}

/* Block I/O with the start time published, so the loop can see a hang. */
static int timed_io(struct disk_link *d, bool write, uint64_t offset, uint8_t *block)
{
    vg_usec_t now = clock_now();
    int r;

    atomic_store(&d->io_started, now ? now : 1);
    r = write ? disk_write_block(d->fd, offset, block) : disk_read_block(d->fd, offset, block);
    atomic_store(&d->io_started, 0);
    return r;
}

static void note_error(struct disk_result *r, int err, const char *what)
{
    r->error = err;
    snprintf(r->error_text, sizeof(r->error_text), "%s: %s", what, strerror(-err));
}

/* Open the device and check its header before anything is written: a wrong
 * path must never destroy someone's data. */
static void try_open(struct disk_link *d, uint8_t *block, struct disk_result *r)
{
    struct disk_header h;
    char why[256];
    bool direct;
    int e;

    atomic_store(&d->io_started, clock_now());
    e = disk_open(d->device, true, &direct);
    atomic_store(&d->io_started, 0);
    if (e < 0) {
        note_error(r, e, "cannot open the device");
        return;
    }
    d->fd = e;
    e = timed_io(d, false, 0, block);
    if (e < 0) {
        note_error(r, e, "cannot read the header");
        goto fail;
    }
    e = disk_header_decode(block, &h, why, sizeof(why));
    if (e < 0) {
        r->error = -EINVAL;
        snprintf(r->error_text, sizeof(r->error_text),
                 "no valid Vigil header (%s); not writing to it. If this is the right device, "
                 "initialise it with: vigilctl disk init DEVICE -c CONFIG",
                 why);
        goto fail;
    }
    if (h.cluster_id != d->cluster_id) {
        r->error = -EINVAL;
        snprintf(r->error_text, sizeof(r->error_text),
                 "the device belongs to cluster '%s', not this one; not writing to it (check "
                 "the device path in the [link] section)",
                 h.cluster_name);
        goto fail;
    }
    if ((uint32_t)d->self_id > h.slots) {
        r->error = -ERANGE;
        snprintf(r->error_text, sizeof(r->error_text),
                 "the device has %u slots but this node's id is %d; re-initialise it with: "
                 "vigilctl disk init DEVICE -c CONFIG --force",
                 h.slots, d->self_id);
        goto fail;
    }
    d->slots = h.slots;
    r->ready = true;
    r->error = 0;
    if (!direct)
        snprintf(r->error_text, sizeof(r->error_text),
                 "no O_DIRECT on this file system; using synchronous I/O");
    return;
fail:
    close(d->fd);
    d->fd = -1;
}

/* One round: write our slot, serve pending mailbox writes, read every slot
 * and our mailbox. */
static void disk_round(struct disk_link *d, uint8_t *block, struct disk_result *r,
                       uint64_t *counter)
{
    struct disk_slot slot;
    struct disk_mailbox req;
    bool have_req, clear;
    char err[256];
    int e;

    pthread_mutex_lock(&d->lock);
    slot = d->next_slot;
    have_req = d->have_request;
    req = d->request;
    d->have_request = false;
    clear = d->clear_mailbox;
    d->clear_mailbox = false;
    pthread_mutex_unlock(&d->lock);

    r->error = 0;
    r->error_text[0] = '\0';
    r->started = clock_now();
    slot.counter = ++*counter;
    slot.write_time = clock_now();
    slot.wall_time = wall_now();
    disk_slot_encode(block, &slot);
    if ((e = timed_io(d, true, disk_slot_offset(d->self_id), block)) < 0)
        note_error(r, e, "writing this node's slot");

    if (have_req && req.node >= 1 && req.node <= d->slots) {
        disk_mailbox_encode(block, &req);
        if ((e = timed_io(d, true, disk_mailbox_offset(req.node), block)) < 0)
            note_error(r, e, "writing a peer's mailbox");
    }
    if (clear) {
        memset(block, 0, DISK_BLOCK_SIZE);
        if ((e = timed_io(d, true, disk_mailbox_offset(d->self_id), block)) < 0)
            note_error(r, e, "clearing this node's mailbox");
    }

    for (uint32_t id = 1; id <= d->slots; id++) {
        r->slot_valid[id] = false;
        if ((int)id == d->self_id)
            continue;
        if ((e = timed_io(d, false, disk_slot_offset((int)id), block)) < 0) {
            note_error(r, e, "reading a peer's slot");
            continue;
        }
        r->slot_valid[id] = disk_slot_decode(block, &r->slots[id], err, sizeof(err)) == 0 &&
                            r->slots[id].node == id;
    }
    e = timed_io(d, false, disk_mailbox_offset(d->self_id), block);
    if (e < 0)
        note_error(r, e, "reading this node's mailbox");
    r->mailbox_valid = e == 0 && disk_mailbox_decode(block, &r->mailbox, err, sizeof(err)) == 0 &&
                       r->mailbox.node == d->self_id;
}

static void publish(struct disk_link *d, struct disk_result *r)
{
    uint64_t one = 1;

    r->round++;
    pthread_mutex_lock(&d->lock);
    d->result = *r;
    pthread_mutex_unlock(&d->lock);
    /* A full eventfd counter only means the loop has not read it yet. */
    if (write(d->event_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
        atomic_store(&d->stop, true);
}

static void sleep_until(struct timespec *next, vg_usec_t step)
{
    struct timespec now;
    uint64_t ns = (uint64_t)next->tv_nsec + step * 1000;

    next->tv_sec += (time_t)(ns / 1000000000);
    next->tv_nsec = (long)(ns % 1000000000);
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec > next->tv_sec || (now.tv_sec == next->tv_sec && now.tv_nsec > next->tv_nsec))
        *next = now; /* late: no catching up */
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, next, NULL) == EINTR)
        ;
}

/* Write the final "stopped" slot of a clean shutdown. */
static void write_stopped(struct disk_link *d, uint8_t *block, uint64_t counter)
{
    pthread_mutex_lock(&d->lock);
    struct disk_slot slot = d->next_slot;
    pthread_mutex_unlock(&d->lock);
    slot.state = DISK_SLOT_STOPPED;
    slot.counter = counter + 1;
    slot.write_time = clock_now();
    slot.wall_time = wall_now();
    disk_slot_encode(block, &slot);
    timed_io(d, true, disk_slot_offset(d->self_id), block);
}

static void *disk_thread(void *arg)
{
    struct disk_link *d = arg;
    uint64_t counter = 0;
    uint8_t *block = NULL;
    struct disk_result *r = calloc(1, sizeof(*r));
    struct timespec next;
    vg_usec_t retry_at = 0;

    if (!r || posix_memalign((void **)&block, DISK_BLOCK_SIZE, DISK_BLOCK_SIZE) != 0) {
        free(r);
        return NULL;
    }
    clock_gettime(CLOCK_MONOTONIC, &next);
    while (!atomic_load(&d->stop)) {
        if (d->fd < 0) {
            if (clock_now() >= retry_at) {
                try_open(d, block, r);
                retry_at = clock_now() + DISK_RETRY_OPEN;
                publish(d, r);
            }
        } else {
            disk_round(d, block, r, &counter);
            publish(d, r);
        }
        sleep_until(&next, d->interval);
    }
    if (atomic_load(&d->clean_stop) && d->fd >= 0)
        write_stopped(d, block, counter);
    free(block);
    free(r);
    return NULL;
}

int disk_link_start(struct disk_link *d, const char *name, const char *device, uint32_t cluster_id,
                    int self_id, uint64_t incarnation, vg_usec_t interval)
{
    int r;

    memset(d, 0, sizeof(*d));
    d->fd = -1;
    snprintf(d->name, sizeof(d->name), "%s", name);
    snprintf(d->device, sizeof(d->device), "%s", device);
    d->cluster_id = cluster_id;
    d->self_id = self_id;
    d->interval = interval;
    d->next_slot = (struct disk_slot){
        .node = (uint16_t)self_id, .state = DISK_SLOT_RUNNING, .incarnation = incarnation};
    pthread_mutex_init(&d->lock, NULL);
    d->event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (d->event_fd < 0)
        return -errno;
    r = -pthread_create(&d->thread, NULL, disk_thread, d);
    if (r < 0) {
        close(d->event_fd);
        d->event_fd = -1;
        return r;
    }
    d->thread_started = true;
    return 0;
}

void disk_link_set_slot(struct disk_link *d, uint8_t state, uint64_t epoch)
{
    pthread_mutex_lock(&d->lock);
    d->next_slot.state = state;
    d->next_slot.epoch = epoch;
    pthread_mutex_unlock(&d->lock);
}

void disk_link_set_groups(struct disk_link *d, const struct group_reports *r)
{
    pthread_mutex_lock(&d->lock);
    d->next_slot.groups = *r;
    pthread_mutex_unlock(&d->lock);
}

void disk_link_post_request(struct disk_link *d, const struct disk_mailbox *m)
{
    pthread_mutex_lock(&d->lock);
    d->request = *m;
    d->have_request = true;
    pthread_mutex_unlock(&d->lock);
}

void disk_link_clear_mailbox(struct disk_link *d)
{
    pthread_mutex_lock(&d->lock);
    d->clear_mailbox = true;
    pthread_mutex_unlock(&d->lock);
}

void disk_link_result(struct disk_link *d, struct disk_result *out)
{
    pthread_mutex_lock(&d->lock);
    *out = d->result;
    pthread_mutex_unlock(&d->lock);
}

vg_usec_t disk_link_io_age(struct disk_link *d, vg_usec_t now)
{
    vg_usec_t started = atomic_load(&d->io_started);
    return started && now > started ? now - started : 0;
}

/* Wait for the thread at most one second past an interval: a hung device
 * must not hang the daemon's shutdown. */
void disk_link_stop(struct disk_link *d, bool clean)
{
    struct timespec deadline;

    if (!d->thread_started)
        return;
    atomic_store(&d->clean_stop, clean);
    atomic_store(&d->stop, true);
    clock_gettime(CLOCK_REALTIME, &deadline);
    uint64_t ns = (uint64_t)deadline.tv_nsec + (d->interval + VG_USEC_PER_SEC) * 1000;
    deadline.tv_sec += (time_t)(ns / 1000000000);
    deadline.tv_nsec = (long)(ns % 1000000000);
    if (pthread_timedjoin_np(d->thread, NULL, &deadline) != 0)
        return; /* stuck in an I/O: it ends with the process */
    d->thread_started = false;
    close(d->event_fd);
    if (d->fd >= 0)
        close(d->fd);
    d->fd = d->event_fd = -1;
}
