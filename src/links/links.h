/* Heartbeat links: the sockets under each `udp` link. Links move bytes; they
 * know nothing of peers' states, groups or resources. */
#ifndef VIGIL_LINKS_H
#define VIGIL_LINKS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "../common/clock.h"
#include "../common/limits.h"

struct udp_link {
    char name[VIGIL_NAME_MAX];
    int fd; /* -1 when closed */
    int family;
    int last_errno; /* last send error, to log changes only once */
    vg_usec_t last_error_log;
};

/* Open a non-blocking UDP socket bound to `local` (address and port of this
 * node on the link). Binds with IP_FREEBIND so the daemon starts even while
 * the address is not configured yet; heartbeats then flow once it is. Marks
 * the traffic as network control (DSCP CS6, SO_PRIORITY 6). */
int udp_link_open(struct udp_link *l, const char *name, const struct sockaddr_storage *local,
                  socklen_t local_len);

/* Send one datagram without blocking: 0 or -errno. */
int udp_link_send(struct udp_link *l, const void *buf, size_t len,
                  const struct sockaddr_storage *to, socklen_t to_len);

/* Receive one datagram without blocking: its length, or -EAGAIN when none is
 * waiting, or another -errno. A truncated datagram is returned with a length
 * larger than cap so the caller can drop it as malformed. */
ssize_t udp_link_recv(struct udp_link *l, void *buf, size_t cap);

void udp_link_close(struct udp_link *l);

/* ---- Disk heartbeat link ----
 * All I/O runs in a thread of its own, opening the device included: every
 * interval it writes this node's slot, reads every peer's slot and this
 * node's mailbox, each one aligned block with O_DIRECT, and posts the result
 * to the event loop through an eventfd. The loop never waits for the disk: it
 * reads `io_started` to see an I/O that hangs past the timeout. */

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "../proto/proto.h"

#define DISK_RETRY_OPEN (5 * VG_USEC_PER_SEC)

struct disk_result {
    uint64_t round;    /* +1 per completed round */
    vg_usec_t started; /* when the round began (its reads come after) */
    bool ready;        /* device open and its header is ours */
    int error;         /* -errno of the last failed step of the round, 0 if none */
    char error_text[512];
    bool slot_valid[VIGIL_MAX_NODES + 1];
    struct disk_slot slots[VIGIL_MAX_NODES + 1]; /* by node id */
    bool mailbox_valid;
    struct disk_mailbox mailbox; /* this node's */
};

struct disk_link {
    char name[VIGIL_NAME_MAX];
    char device[VIGIL_PATH_MAX];
    int self_id;
    uint32_t cluster_id;
    uint32_t slots; /* from the header */
    vg_usec_t interval;
    int fd;       /* the thread's; -1 until open */
    int event_fd; /* readable when a round completed */
    pthread_t thread;
    bool thread_started;
    atomic_bool stop;
    atomic_bool clean_stop;       /* write a final "stopped" slot */
    _Atomic vg_usec_t io_started; /* 0 when no I/O is in flight */

    pthread_mutex_t lock;       /* guards the fields below */
    struct disk_slot next_slot; /* what the thread writes next */
    bool clear_mailbox;         /* ask the thread to clear our mailbox once */
    bool have_request;          /* a mailbox write for another node */
    struct disk_mailbox request;
    struct disk_result result; /* the last completed round */
};

/* Start the I/O thread for `device`. The thread opens it, and writes
 * nothing until it has read a header that names this cluster and covers this
 * node's id; until then each round reports why (retrying every
 * DISK_RETRY_OPEN). 0 or -errno (eventfd or thread creation failed). */
int disk_link_start(struct disk_link *d, const char *name, const char *device, uint32_t cluster_id,
                    int self_id, uint64_t incarnation, vg_usec_t interval);

/* Update what the thread writes into this node's slot from now on. */
void disk_link_set_slot(struct disk_link *d, uint8_t state, uint64_t epoch);

/* Update the group reports the thread writes into this node's slot. */
void disk_link_set_groups(struct disk_link *d, const struct group_reports *r);

/* Ask the thread to write a request into another node's mailbox. */
void disk_link_post_request(struct disk_link *d, const struct disk_mailbox *m);

/* Ask the thread to clear this node's mailbox (after handling a request). */
void disk_link_clear_mailbox(struct disk_link *d);

/* Copy the last completed round. */
void disk_link_result(struct disk_link *d, struct disk_result *out);

/* How long the I/O in flight has been running at `now`; 0 when none. */
vg_usec_t disk_link_io_age(struct disk_link *d, vg_usec_t now);

/* Stop the thread. It writes a final "stopped" slot when `clean` and the
 * disk answers; never waits long for an I/O that hangs (the thread is then
 * left to die with the process). */
void disk_link_stop(struct disk_link *d, bool clean);

/* Used by vigilctl too: read one block at `offset` with O_DIRECT into an
 * aligned buffer. */
int disk_read_block(int fd, uint64_t offset, uint8_t *block);
int disk_write_block(int fd, uint64_t offset, const uint8_t *block);
/* Open a device or file for block I/O: O_DIRECT (falls back to O_DSYNC
 * where the file system has no O_DIRECT, e.g. tmpfs), O_CLOEXEC. */
int disk_open(const char *device, bool writable, bool *direct);

#endif
