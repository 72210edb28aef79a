/* Disk heartbeat blocks: round trips and every corruption rejected. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "../../src/proto/proto.h"

static uint8_t block[DISK_BLOCK_SIZE];
static char err[256];

static void test_layout(void **state)
{
    assert_true(disk_slot_offset(1) == DISK_BLOCK_SIZE);
    assert_true(disk_mailbox_offset(1) == 2 * DISK_BLOCK_SIZE);
    assert_true(disk_slot_offset(3) == 5 * DISK_BLOCK_SIZE);
    assert_true(disk_size_needed(3) == 7 * DISK_BLOCK_SIZE);
    assert_true(disk_mailbox_offset(VIGIL_MAX_NODES) + DISK_BLOCK_SIZE ==
                disk_size_needed(VIGIL_MAX_NODES));
}

static void test_header_round_trip(void **state)
{
    struct disk_header h = {.block_size = DISK_BLOCK_SIZE,
                            .slots = 3,
                            .cluster_id = 0xdeadbeef,
                            .interval = 200000,
                            .timeout = 1000000,
                            .created = 1700000000};
    struct disk_header out;

    snprintf(h.cluster_name, sizeof(h.cluster_name), "web cluster é");
    disk_header_encode(block, &h);
    assert_int_equal(disk_header_decode(block, &out, err, sizeof(err)), 0);
    assert_int_equal(out.slots, 3);
    assert_true(out.cluster_id == 0xdeadbeef);
    assert_true(out.timeout == 1000000);
    assert_string_equal(out.cluster_name, "web cluster é");
}

static void test_slot_and_mailbox_round_trip(void **state)
{
    struct disk_slot s = {.node = 2,
                          .state = DISK_SLOT_RUNNING,
                          .incarnation = 0x1234,
                          .counter = 99,
                          .write_time = 5555,
                          .wall_time = 1700000000123456ULL,
                          .epoch = 4};
    struct disk_slot so;
    struct disk_mailbox m = {.node = 2,
                             .from = 1,
                             .request = DISK_REQ_STAND_DOWN,
                             .sequence = 7,
                             .epoch = 4,
                             .incarnation = 0x1234};
    struct disk_mailbox mo;

    disk_slot_encode(block, &s);
    assert_int_equal(disk_slot_decode(block, &so, err, sizeof(err)), 0);
    assert_int_equal(so.node, 2);
    assert_int_equal(so.state, DISK_SLOT_RUNNING);
    assert_true(so.counter == 99 && so.incarnation == 0x1234 && so.epoch == 4);
    assert_true(so.wall_time == 1700000000123456ULL && so.write_time == 5555);
    /* a slot block is not a mailbox block, nor a header */
    assert_int_equal(disk_mailbox_decode(block, &mo, err, sizeof(err)), -EINVAL);
    struct disk_header h;
    assert_int_equal(disk_header_decode(block, &h, err, sizeof(err)), -EINVAL);

    disk_mailbox_encode(block, &m);
    assert_int_equal(disk_mailbox_decode(block, &mo, err, sizeof(err)), 0);
    assert_int_equal(mo.from, 1);
    assert_int_equal(mo.request, DISK_REQ_STAND_DOWN);
    assert_true(mo.sequence == 7);
    assert_string_equal(disk_request_name(mo.request), "stand-down");
    assert_string_equal(disk_slot_state_name(DISK_SLOT_STOOD_DOWN), "stood-down");
}

static void test_empty_block(void **state)
{
    struct disk_slot s;

    memset(block, 0, sizeof(block));
    assert_int_equal(disk_slot_decode(block, &s, err, sizeof(err)), -ENODATA);
    assert_non_null(strstr(err, "empty"));
}

/* Any single flipped bit anywhere in the block is caught. */
static void test_every_bit_flip(void **state)
{
    struct disk_slot s = {.node = 5, .state = DISK_SLOT_RUNNING, .counter = 1};
    struct disk_slot so;
    uint8_t good[DISK_BLOCK_SIZE];

    disk_slot_encode(good, &s);
    for (size_t i = 0; i < DISK_BLOCK_SIZE; i += 7) {
        memcpy(block, good, sizeof(block));
        block[i] ^= (uint8_t)(1u << (i % 8));
        assert_int_equal(disk_slot_decode(block, &so, err, sizeof(err)), -EINVAL);
    }
}

/* A torn write: the first half of a new block over the second half of an old one. */
static void test_torn_write(void **state)
{
    struct disk_slot a = {.node = 1, .state = DISK_SLOT_RUNNING, .counter = 10};
    struct disk_slot b = {.node = 1, .state = DISK_SLOT_RUNNING, .counter = 11};
    struct disk_slot so;
    uint8_t old[DISK_BLOCK_SIZE];

    disk_slot_encode(old, &a);
    disk_slot_encode(block, &b);
    memcpy(block + 512, old + 512, sizeof(block) - 512);
    assert_int_equal(disk_slot_decode(block, &so, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "checksum"));
}

/* Right checksum, wrong content: version, ranges. Recomputes the checksum
 * like a writer of another version would. */
static void reseal(void)
{
    crypto_generichash(block + DISK_BLOCK_SIZE - 16, 16, block, DISK_BLOCK_SIZE - 16, NULL, 0);
}

static void test_sealed_but_invalid(void **state)
{
    struct disk_header h = {.block_size = DISK_BLOCK_SIZE, .slots = 3};
    struct disk_header ho;
    struct disk_slot s = {.node = 1, .state = DISK_SLOT_RUNNING};
    struct disk_slot so;
    struct disk_mailbox m = {.node = 1, .request = DISK_REQ_RESET};
    struct disk_mailbox mo;

    disk_header_encode(block, &h);
    block[4] = 9; /* version */
    reseal();
    assert_int_equal(disk_header_decode(block, &ho, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "version"));

    h.slots = VIGIL_MAX_NODES + 1;
    disk_header_encode(block, &h);
    assert_int_equal(disk_header_decode(block, &ho, err, sizeof(err)), -EINVAL);
    h.slots = 3;
    h.block_size = 512;
    disk_header_encode(block, &h);
    assert_int_equal(disk_header_decode(block, &ho, err, sizeof(err)), -EINVAL);
    h.block_size = DISK_BLOCK_SIZE;
    disk_header_encode(block, &h);
    block[8 + 40] = 0xff; /* name length beyond the field */
    block[8 + 41] = 0xff;
    reseal();
    assert_int_equal(disk_header_decode(block, &ho, err, sizeof(err)), -EINVAL);

    s.state = 9;
    disk_slot_encode(block, &s);
    assert_int_equal(disk_slot_decode(block, &so, err, sizeof(err)), -EINVAL);
    s.state = DISK_SLOT_RUNNING;
    s.node = 0;
    disk_slot_encode(block, &s);
    assert_int_equal(disk_slot_decode(block, &so, err, sizeof(err)), -EINVAL);

    m.request = 7;
    disk_mailbox_encode(block, &m);
    assert_int_equal(disk_mailbox_decode(block, &mo, err, sizeof(err)), -EINVAL);
}

/* The group reports a slot carries (docs/disk-heartbeat.md, "Slot layout"). */
static void test_slot_group_reports(void **state)
{
    struct disk_slot s = {.node = 3, .state = DISK_SLOT_RUNNING, .counter = 5};
    struct disk_slot so;

    /* none yet (still probing, or a slot of a vigild from before them) */
    disk_slot_encode(block, &s);
    assert_int_equal(disk_slot_decode(block, &so, err, sizeof(err)), 0);
    assert_int_equal(so.groups.n, 0);
    assert_true(so.groups.at == 0);

    s.groups.at = 0x0102030405060708ULL;
    s.groups.n = VIGIL_MAX_GROUPS;
    for (int g = 0; g < VIGIL_MAX_GROUPS; g++)
        s.groups.g[g] = (struct wire_group_report){(uint8_t)(g % 6), (uint8_t)(255 - g)};
    disk_slot_encode(block, &s);
    /* where docs/disk-heartbeat.md says they are */
    assert_int_equal(block[8 + 48], 0x01);
    assert_int_equal(block[8 + 55], 0x08);
    assert_int_equal(block[8 + 56], VIGIL_MAX_GROUPS);
    assert_int_equal(block[8 + 64 + 2 * 5], 5);
    assert_int_equal(block[8 + 64 + 2 * 5 + 1], 250);
    assert_int_equal(disk_slot_decode(block, &so, err, sizeof(err)), 0);
    assert_true(so.groups.at == s.groups.at);
    assert_int_equal(so.groups.n, VIGIL_MAX_GROUPS);
    assert_memory_equal(so.groups.g, s.groups.g, sizeof(s.groups.g));

    /* more reports than groups can be configured */
    block[8 + 56] = VIGIL_MAX_GROUPS + 1;
    reseal();
    assert_int_equal(disk_slot_decode(block, &so, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "group reports"));
    /* a state no vigild reports */
    disk_slot_encode(block, &s);
    block[8 + 64 + 2 * 7] = WIRE_GROUP_STOP_FAILED + 1;
    reseal();
    assert_int_equal(disk_slot_decode(block, &so, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "group 7 has state 6"));
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_header_round_trip),
        cmocka_unit_test(test_slot_and_mailbox_round_trip),
        cmocka_unit_test(test_empty_block),
        cmocka_unit_test(test_every_bit_flip),
        cmocka_unit_test(test_torn_write),
        cmocka_unit_test(test_sealed_but_invalid),
        cmocka_unit_test(test_slot_group_reports),
    };
    return cmocka_run_group_tests_name("disk_block", tests, NULL, NULL);
}
