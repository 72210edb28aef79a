/* disk_header_decode / disk_slot_decode / disk_mailbox_decode: every block
 * read from the shared disk, which any node (or a stray program) may have
 * written (docs/disk-heartbeat.md).
 *
 * Input: one mode byte, then the block (zero-padded or cut to DISK_BLOCK_SIZE;
 * in STRUCT mode, the fields of one).
 *   bits 0-1  0 header, 1 slot, 2 mailbox, 3 all three decoders on the block;
 *   SEAL      write the envelope (magic, version, kind) and the checksum that
 *             block kind needs, so that mutations reach the field checks;
 *   STRUCT    build a header, slot or mailbox from the bytes, encode, decode.
 * Properties:
 *   - decode(encode(x)) == x for every decoded x, and encode(x) is stable;
 *   - a refusal comes with a message, -ENODATA only for an all-zero block;
 *   - an encoded block decodes exactly when its fields are in range (node ids,
 *     a state or request that disk_slot_state_name / disk_request_name know,
 *     a slot's group reports: at most VIGIL_MAX_GROUPS, in states that
 *     wire_group_state_name knows), and then to the same fields (the header's name cut as the
 *     encoder cuts it). */
#include <errno.h>
#include <sodium.h>

#include "../src/proto/bytes.h"
#include "../src/proto/proto.h"
#include "fuzz.h"

#define KIND_MASK 0x03
#define SEAL 0x04
#define STRUCT 0x08

/* The envelope every block shares (docs/disk-heartbeat.md), restated here
 * rather than taken from disk_block.c, so that the two can disagree. */
#define SUM_LEN 16
#define SUM_OFF (DISK_BLOCK_SIZE - SUM_LEN)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    if (sodium_init() < 0)
        abort();
    return 0;
}

static void seal(uint8_t *block, unsigned kind)
{
    static const uint32_t magic[] = {DISK_MAGIC_HEADER, DISK_MAGIC_SLOT, DISK_MAGIC_MBOX};

    put_u32(block, magic[kind]);
    block[4] = DISK_VERSION;
    block[5] = (uint8_t)(kind + 1); /* DISK_HEADER, DISK_SLOT, DISK_MAILBOX */
    crypto_generichash(block + SUM_OFF, SUM_LEN, block, SUM_OFF, NULL, 0);
}

/* The states and requests that have a name are the ones a block may carry:
 * the decoder and the name tables must agree. */
static int state_known(unsigned state)
{
    return strcmp(disk_slot_state_name((int)state), "invalid") != 0;
}

static int request_known(unsigned request)
{
    return strcmp(disk_request_name((int)request), "invalid") != 0;
}

static void check_refusal(int r, const uint8_t *block, const char *err, const char *what)
{
    int zero = 1;

    for (size_t i = 0; i < DISK_BLOCK_SIZE && zero; i++)
        zero = block[i] == 0;
    FUZZ_CHECK(r == -EINVAL || r == -ENODATA, "%s decode returned %d", what, r);
    FUZZ_CHECK((r == -ENODATA) == zero, "%s decode returned %d for a block that is %sall zero",
               what, r, zero ? "" : "not ");
    FUZZ_CHECK(err[0] != '\0' && memchr(err, '\0', 256), "%s refusal without a message", what);
}

static int same_header(const struct disk_header *a, const struct disk_header *b)
{
    return a->block_size == b->block_size && a->slots == b->slots &&
           a->cluster_id == b->cluster_id && strcmp(a->cluster_name, b->cluster_name) == 0 &&
           a->interval == b->interval && a->timeout == b->timeout && a->created == b->created;
}

static int same_slot(const struct disk_slot *a, const struct disk_slot *b)
{
    if (a->groups.at != b->groups.at || a->groups.n != b->groups.n)
        return 0;
    for (int g = 0; g < a->groups.n && g < VIGIL_MAX_GROUPS; g++)
        if (a->groups.g[g].state != b->groups.g[g].state ||
            a->groups.g[g].failures != b->groups.g[g].failures)
            return 0;
    return a->node == b->node && a->state == b->state && a->incarnation == b->incarnation &&
           a->counter == b->counter && a->write_time == b->write_time &&
           a->wall_time == b->wall_time && a->epoch == b->epoch;
}

/* The group reports a slot may carry: at most VIGIL_MAX_GROUPS, each in a
 * state wire_group_state_name knows. */
static int groups_known(const struct group_reports *r)
{
    if (r->n > VIGIL_MAX_GROUPS)
        return 0;
    for (int g = 0; g < r->n; g++)
        if (strcmp(wire_group_state_name(r->g[g].state), "invalid") == 0)
            return 0;
    return 1;
}

static int same_mailbox(const struct disk_mailbox *a, const struct disk_mailbox *b)
{
    return a->node == b->node && a->from == b->from && a->request == b->request &&
           a->sequence == b->sequence && a->epoch == b->epoch && a->incarnation == b->incarnation;
}

/* Decode one block as `kind`; when it decodes, check the round trip. */
static void decode_as(const uint8_t *block, unsigned kind)
{
    uint8_t *again = malloc(DISK_BLOCK_SIZE), *third = malloc(DISK_BLOCK_SIZE);
    char err[256] = "";
    int r;

    if (!again || !third)
        abort();
    if (kind == 0) {
        struct disk_header x, y;
        r = disk_header_decode(block, &x, err, sizeof(err));
        if (r < 0) {
            check_refusal(r, block, err, "header");
            goto out;
        }
        FUZZ_CHECK(x.block_size == DISK_BLOCK_SIZE && x.slots >= 1 && x.slots <= VIGIL_MAX_NODES,
                   "accepted block size %u, %u slots", x.block_size, x.slots);
        FUZZ_CHECK(memchr(x.cluster_name, '\0', sizeof(x.cluster_name)),
                   "cluster name not terminated");
        disk_header_encode(again, &x);
        r = disk_header_decode(again, &y, err, sizeof(err));
        FUZZ_CHECK(r == 0, "re-encoded header refused: %s", err);
        FUZZ_CHECK(same_header(&x, &y), "header differs after decode(encode(x))");
        disk_header_encode(third, &y);
    } else if (kind == 1) {
        struct disk_slot x, y;
        r = disk_slot_decode(block, &x, err, sizeof(err));
        if (r < 0) {
            check_refusal(r, block, err, "slot");
            goto out;
        }
        FUZZ_CHECK(x.node >= 1 && x.node <= VIGIL_MAX_NODES && state_known(x.state) &&
                       groups_known(&x.groups),
                   "accepted slot node %u state %u (%u group reports)", x.node, x.state,
                   x.groups.n);
        disk_slot_encode(again, &x);
        r = disk_slot_decode(again, &y, err, sizeof(err));
        FUZZ_CHECK(r == 0, "re-encoded slot refused: %s", err);
        FUZZ_CHECK(same_slot(&x, &y), "slot differs after decode(encode(x))");
        disk_slot_encode(third, &y);
    } else {
        struct disk_mailbox x, y;
        r = disk_mailbox_decode(block, &x, err, sizeof(err));
        if (r < 0) {
            check_refusal(r, block, err, "mailbox");
            goto out;
        }
        FUZZ_CHECK(x.node >= 1 && x.node <= VIGIL_MAX_NODES && x.from <= VIGIL_MAX_NODES &&
                       request_known(x.request),
                   "accepted mailbox node %u from %u request %u", x.node, x.from, x.request);
        disk_mailbox_encode(again, &x);
        r = disk_mailbox_decode(again, &y, err, sizeof(err));
        FUZZ_CHECK(r == 0, "re-encoded mailbox refused: %s", err);
        FUZZ_CHECK(same_mailbox(&x, &y), "mailbox differs after decode(encode(x))");
        disk_mailbox_encode(third, &y);
    }
    FUZZ_CHECK(memcmp(again, third, DISK_BLOCK_SIZE) == 0,
               "encode(decode(encode(x))) != encode(x)");
out:
    free(again);
    free(third);
}

/* Fields -> encode -> decode: accepted exactly when in range, then equal. */
static void encode_decode(const uint8_t *data, size_t size, unsigned kind)
{
    struct fuzz_reader rd = {data, size};
    uint8_t *block = malloc(DISK_BLOCK_SIZE);
    char err[256] = "";
    int r;

    if (!block)
        abort();
    if (kind == 0) {
        struct disk_header x = {0}, y;
        x.block_size = (uint32_t)fuzz_take(&rd, 4);
        x.slots = (uint32_t)fuzz_take(&rd, 4);
        x.cluster_id = (uint32_t)fuzz_take(&rd, 4);
        x.interval = fuzz_take(&rd, 8);
        x.timeout = fuzz_take(&rd, 8);
        x.created = fuzz_take(&rd, 8);
        fuzz_take_bytes(&rd, x.cluster_name, sizeof(x.cluster_name)); /* maybe unterminated */
        int valid = x.block_size == DISK_BLOCK_SIZE && x.slots >= 1 && x.slots <= VIGIL_MAX_NODES;
        disk_header_encode(block, &x);
        r = disk_header_decode(block, &y, err, sizeof(err));
        FUZZ_CHECK((r == 0) == valid, "header with block size %u, %u slots: decode gave %d (%s)",
                   x.block_size, x.slots, r, err);
        if (r == 0) {
            x.cluster_name[sizeof(x.cluster_name) - 1] = '\0'; /* the encoder keeps 255 bytes */
            FUZZ_CHECK(same_header(&x, &y), "header differs after decode(encode(x))");
        }
    } else if (kind == 1) {
        struct disk_slot x = {0}, y;
        x.node = (uint16_t)fuzz_take(&rd, 2);
        x.state = (uint8_t)fuzz_take(&rd, 1);
        x.incarnation = fuzz_take(&rd, 8);
        x.counter = fuzz_take(&rd, 8);
        x.write_time = fuzz_take(&rd, 8);
        x.wall_time = fuzz_take(&rd, 8);
        x.epoch = fuzz_take(&rd, 8);
        x.groups.at = fuzz_take(&rd, 8);
        x.groups.n = (uint8_t)fuzz_take(&rd, 1);
        for (int g = 0; g < x.groups.n && g < VIGIL_MAX_GROUPS; g++) {
            x.groups.g[g].state = (uint8_t)fuzz_take(&rd, 1);
            x.groups.g[g].failures = (uint8_t)fuzz_take(&rd, 1);
        }
        int valid = x.node >= 1 && x.node <= VIGIL_MAX_NODES && state_known(x.state) &&
                    groups_known(&x.groups);
        disk_slot_encode(block, &x);
        r = disk_slot_decode(block, &y, err, sizeof(err));
        FUZZ_CHECK((r == 0) == valid, "slot node %u state %u: decode gave %d (%s)", x.node, x.state,
                   r, err);
        if (r == 0)
            FUZZ_CHECK(same_slot(&x, &y), "slot differs after decode(encode(x))");
    } else {
        struct disk_mailbox x = {0}, y;
        x.node = (uint16_t)fuzz_take(&rd, 2);
        x.from = (uint16_t)fuzz_take(&rd, 2);
        x.request = (uint8_t)fuzz_take(&rd, 1);
        x.sequence = fuzz_take(&rd, 8);
        x.epoch = fuzz_take(&rd, 8);
        x.incarnation = fuzz_take(&rd, 8);
        int valid = x.node >= 1 && x.node <= VIGIL_MAX_NODES && x.from <= VIGIL_MAX_NODES &&
                    request_known(x.request);
        disk_mailbox_encode(block, &x);
        r = disk_mailbox_decode(block, &y, err, sizeof(err));
        FUZZ_CHECK((r == 0) == valid, "mailbox node %u from %u request %u: decode gave %d (%s)",
                   x.node, x.from, x.request, r, err);
        if (r == 0)
            FUZZ_CHECK(same_mailbox(&x, &y), "mailbox differs after decode(encode(x))");
    }
    free(block);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned mode, kind;
    uint8_t *block;

    if (size < 1)
        return 0;
    mode = data[0];
    kind = mode & KIND_MASK;
    data++;
    size--;
    if (mode & STRUCT) {
        encode_decode(data, size, kind == 3 ? 0 : kind);
        return 0;
    }
    block = calloc(1, DISK_BLOCK_SIZE); /* exactly one block: ASan sees any overread */
    if (!block)
        abort();
    memcpy(block, data, size < DISK_BLOCK_SIZE ? size : DISK_BLOCK_SIZE);
    if (kind == 3) {
        for (unsigned k = 0; k < 3; k++)
            decode_as(block, k);
    } else {
        if (mode & SEAL)
            seal(block, kind);
        decode_as(block, kind);
    }
    free(block);
    return 0;
}
