/* Disk heartbeat blocks: encode and decode, pure. Layout in
 * docs/disk-layout.md. */
#include "proto.h"

#include <errno.h>
#include <stdbool.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "bytes.h"

#define ENV_LEN 8 /* magic, version, kind, reserved */
#define SUM_LEN 16
#define SUM_OFF (DISK_BLOCK_SIZE - SUM_LEN)

/* The slot's group reports (offsets past the envelope; docs/disk-heartbeat.md,
 * "Slot layout"). Zero in a slot written before they existed: no reports. */
#define SLOT_GROUPS_AT 48
#define SLOT_GROUPS_N 56
#define SLOT_GROUPS 64

uint64_t disk_slot_offset(int node_id)
{
    return (uint64_t)(2 * node_id - 1) * DISK_BLOCK_SIZE;
}

uint64_t disk_mailbox_offset(int node_id)
{
    return (uint64_t)(2 * node_id) * DISK_BLOCK_SIZE;
}

uint64_t disk_size_needed(uint32_t slots)
{
    return (uint64_t)(1 + 2 * (uint64_t)slots) * DISK_BLOCK_SIZE;
}

static void seal(uint8_t *block, uint32_t magic, uint8_t kind)
{
    put_u32(block, magic);
    block[4] = DISK_VERSION;
    block[5] = kind;
    put_u16(block + 6, 0);
    crypto_generichash(block + SUM_OFF, SUM_LEN, block, SUM_OFF, NULL, 0);
}

static bool all_zero(const uint8_t *block)
{
    for (size_t i = 0; i < DISK_BLOCK_SIZE; i++)
        if (block[i])
            return false;
    return true;
}

/* The envelope every block shares. */
static int open_block(const uint8_t *block, uint32_t magic, uint8_t kind, const char *what,
                      char *err, size_t errlen)
{
    uint8_t sum[SUM_LEN];

    if (all_zero(block)) {
        snprintf(err, errlen, "%s block is empty (all zeroes)", what);
        return -ENODATA;
    }
    if (get_u32(block) != magic || block[5] != kind) {
        snprintf(err, errlen, "not a Vigil %s block (magic %08x, kind %u)", what, get_u32(block),
                 block[5]);
        return -EINVAL;
    }
    if (block[4] != DISK_VERSION) {
        snprintf(err, errlen, "%s block has version %u, this program knows %u", what, block[4],
                 DISK_VERSION);
        return -EINVAL;
    }
    crypto_generichash(sum, SUM_LEN, block, SUM_OFF, NULL, 0);
    if (sodium_memcmp(sum, block + SUM_OFF, SUM_LEN) != 0) {
        snprintf(err, errlen, "%s block checksum mismatch (torn or corrupted write)", what);
        return -EINVAL;
    }
    return 0;
}

void disk_header_encode(uint8_t *block, const struct disk_header *h)
{
    uint8_t *b = block + ENV_LEN;
    size_t name_len = strnlen(h->cluster_name, sizeof(h->cluster_name) - 1);

    memset(block, 0, DISK_BLOCK_SIZE);
    put_u32(b, h->block_size);
    put_u32(b + 4, h->slots);
    put_u32(b + 8, h->cluster_id);
    put_u64(b + 16, h->interval);
    put_u64(b + 24, h->timeout);
    put_u64(b + 32, h->created);
    put_u16(b + 40, (uint16_t)name_len);
    memcpy(b + 42, h->cluster_name, name_len);
    seal(block, DISK_MAGIC_HEADER, DISK_HEADER);
}

int disk_header_decode(const uint8_t *block, struct disk_header *h, char *err, size_t errlen)
{
    const uint8_t *b = block + ENV_LEN;
    int r = open_block(block, DISK_MAGIC_HEADER, DISK_HEADER, "header", err, errlen);

    if (r < 0)
        return r;
    memset(h, 0, sizeof(*h));
    h->block_size = get_u32(b);
    h->slots = get_u32(b + 4);
    h->cluster_id = get_u32(b + 8);
    h->interval = get_u64(b + 16);
    h->timeout = get_u64(b + 24);
    h->created = get_u64(b + 32);
    size_t name_len = get_u16(b + 40);
    if (h->block_size != DISK_BLOCK_SIZE) {
        snprintf(err, errlen, "header says block size %u, expected %u", h->block_size,
                 DISK_BLOCK_SIZE);
        return -EINVAL;
    }
    if (h->slots == 0 || h->slots > VIGIL_MAX_NODES) {
        snprintf(err, errlen, "header says %u slots, expected 1..%d", h->slots, VIGIL_MAX_NODES);
        return -EINVAL;
    }
    if (name_len >= sizeof(h->cluster_name) || memchr(b + 42, 0, name_len)) {
        snprintf(err, errlen, "header has an invalid cluster name");
        return -EINVAL;
    }
    memcpy(h->cluster_name, b + 42, name_len);
    h->cluster_name[name_len] = '\0';
    return 0;
}

void disk_slot_encode(uint8_t *block, const struct disk_slot *s)
{
    uint8_t *b = block + ENV_LEN;

    memset(block, 0, DISK_BLOCK_SIZE);
    put_u16(b, s->node);
    b[2] = s->state;
    put_u64(b + 8, s->incarnation);
    put_u64(b + 16, s->counter);
    put_u64(b + 24, s->write_time);
    put_u64(b + 32, s->epoch);
    put_u64(b + 40, s->wall_time);
    put_u64(b + SLOT_GROUPS_AT, s->groups.at);
    b[SLOT_GROUPS_N] = s->groups.n;
    for (int g = 0; g < s->groups.n && g < VIGIL_MAX_GROUPS; g++) {
        b[SLOT_GROUPS + 2 * g] = s->groups.g[g].state;
        b[SLOT_GROUPS + 2 * g + 1] = s->groups.g[g].failures;
    }
    seal(block, DISK_MAGIC_SLOT, DISK_SLOT);
}

int disk_slot_decode(const uint8_t *block, struct disk_slot *s, char *err, size_t errlen)
{
    const uint8_t *b = block + ENV_LEN;
    int r = open_block(block, DISK_MAGIC_SLOT, DISK_SLOT, "slot", err, errlen);

    if (r < 0)
        return r;
    s->node = get_u16(b);
    s->state = b[2];
    s->incarnation = get_u64(b + 8);
    s->counter = get_u64(b + 16);
    s->write_time = get_u64(b + 24);
    s->epoch = get_u64(b + 32);
    s->wall_time = get_u64(b + 40);
    if (s->node == 0 || s->node > VIGIL_MAX_NODES || s->state > DISK_SLOT_STOPPED) {
        snprintf(err, errlen, "slot block has node %u state %u, out of range", s->node, s->state);
        return -EINVAL;
    }
    memset(&s->groups, 0, sizeof(s->groups));
    s->groups.at = get_u64(b + SLOT_GROUPS_AT);
    s->groups.n = b[SLOT_GROUPS_N];
    if (s->groups.n > VIGIL_MAX_GROUPS) {
        snprintf(err, errlen, "slot block of node %u has %u group reports, at most %d", s->node,
                 s->groups.n, VIGIL_MAX_GROUPS);
        return -EINVAL;
    }
    for (int g = 0; g < s->groups.n; g++) {
        s->groups.g[g].state = b[SLOT_GROUPS + 2 * g];
        s->groups.g[g].failures = b[SLOT_GROUPS + 2 * g + 1];
        if (s->groups.g[g].state > WIRE_GROUP_STOP_FAILED) {
            snprintf(err, errlen, "slot block of node %u: group %d has state %u, out of range",
                     s->node, g, s->groups.g[g].state);
            return -EINVAL;
        }
    }
    return 0;
}

void disk_mailbox_encode(uint8_t *block, const struct disk_mailbox *m)
{
    uint8_t *b = block + ENV_LEN;

    memset(block, 0, DISK_BLOCK_SIZE);
    put_u16(b, m->node);
    put_u16(b + 2, m->from);
    b[4] = m->request;
    put_u64(b + 8, m->sequence);
    put_u64(b + 16, m->epoch);
    put_u64(b + 24, m->incarnation);
    seal(block, DISK_MAGIC_MBOX, DISK_MAILBOX);
}

int disk_mailbox_decode(const uint8_t *block, struct disk_mailbox *m, char *err, size_t errlen)
{
    const uint8_t *b = block + ENV_LEN;
    int r = open_block(block, DISK_MAGIC_MBOX, DISK_MAILBOX, "mailbox", err, errlen);

    if (r < 0)
        return r;
    m->node = get_u16(b);
    m->from = get_u16(b + 2);
    m->request = b[4];
    m->sequence = get_u64(b + 8);
    m->epoch = get_u64(b + 16);
    m->incarnation = get_u64(b + 24);
    if (m->node == 0 || m->node > VIGIL_MAX_NODES || m->from > VIGIL_MAX_NODES ||
        m->request > DISK_REQ_TEST) {
        snprintf(err, errlen, "mailbox block has node %u from %u request %u, out of range", m->node,
                 m->from, m->request);
        return -EINVAL;
    }
    return 0;
}

const char *disk_slot_state_name(int state)
{
    static const char *const names[] = {"empty", "running", "stood-down", "stopped"};
    return state >= 0 && state <= DISK_SLOT_STOPPED ? names[state] : "invalid";
}

const char *disk_request_name(int request)
{
    static const char *const names[] = {"none", "stand-down", "reset", "test"};
    return request >= 0 && request <= DISK_REQ_TEST ? names[request] : "invalid";
}
