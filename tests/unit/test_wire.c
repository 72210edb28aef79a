/* The heartbeat codec: round trip, every tamper rejected with its reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "../../src/proto/proto.h"

static const uint8_t key[VIGIL_KEY_BYTES] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
static const uint8_t other_key[VIGIL_KEY_BYTES] = {9, 8, 7};

static struct wire_header sample_header(void)
{
    struct wire_header h = {
        .type = WIRE_HEARTBEAT,
        .link = 1,
        .cluster_id = wire_cluster_id("web"),
        .sender = 2,
        .dest = 3,
        .incarnation = 0x0123456789abcdefULL,
        .seq = 42,
        .send_time = 987654321,
    };
    return h;
}

static struct wire_heartbeat sample_hb(void)
{
    struct wire_heartbeat hb = {
        .epoch = 7, .members = 0x5, .echo_time = 1111, .echo_delay = 22, .n_seen = 2};
    hb.seen[0].node = 1;
    hb.seen[0].links = 0x3;
    hb.seen[1].node = 3;
    hb.seen[1].links = 0x1;
    return hb;
}

static int encode_sample(uint8_t *buf, size_t cap)
{
    struct wire_header h = sample_header();
    struct wire_heartbeat hb = sample_hb();
    return wire_encode_heartbeat(buf, cap, &h, &hb, key);
}

static void test_round_trip(void **state)
{
    uint8_t buf[WIRE_MAX_DATAGRAM];
    int len = encode_sample(buf, sizeof(buf));
    struct wire_header h;
    struct wire_heartbeat hb;
    struct wire_view view;
    enum drop_reason why;

    assert_int_equal(len, WIRE_HEADER_LEN + 30 + 2 * 4 + WIRE_MAC_LEN);
    assert_int_equal(
        wire_decode(buf, (size_t)len, wire_cluster_id("web"), key, &h, &hb, &view, &why), 0);
    struct wire_header want = sample_header();
    assert_int_equal(h.type, want.type);
    assert_int_equal(h.link, want.link);
    assert_int_equal(h.sender, want.sender);
    assert_int_equal(h.dest, want.dest);
    assert_true(h.incarnation == want.incarnation);
    assert_true(h.seq == want.seq);
    assert_true(h.send_time == want.send_time);
    assert_true(hb.epoch == 7);
    assert_true(hb.members == 0x5);
    assert_true(hb.echo_time == 1111);
    assert_int_equal(hb.echo_delay, 22);
    assert_int_equal(hb.n_seen, 2);
    assert_int_equal(hb.seen[1].node, 3);
    assert_int_equal(hb.seen[0].links, 3);
}

static void test_every_byte_flip_rejected(void **state)
{
    uint8_t buf[WIRE_MAX_DATAGRAM], copy[WIRE_MAX_DATAGRAM];
    int len = encode_sample(buf, sizeof(buf));
    struct wire_header h;
    struct wire_heartbeat hb;
    struct wire_view view;
    enum drop_reason why;

    for (int i = 0; i < len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            memcpy(copy, buf, (size_t)len);
            copy[i] ^= (uint8_t)(1u << bit);
            assert_int_equal(
                wire_decode(copy, (size_t)len, wire_cluster_id("web"), key, &h, &hb, &view, &why),
                -1);
        }
    }
}

static enum drop_reason decode_reason(const uint8_t *buf, size_t len, const uint8_t *k)
{
    struct wire_header h;
    struct wire_heartbeat hb;
    struct wire_view view;
    enum drop_reason why = DROP__MAX;

    assert_int_equal(wire_decode(buf, len, wire_cluster_id("web"), k, &h, &hb, &view, &why), -1);
    return why;
}

static void test_reasons(void **state)
{
    uint8_t buf[WIRE_MAX_DATAGRAM];
    int len = encode_sample(buf, sizeof(buf));

    assert_int_equal(decode_reason(buf, 10, key), DROP_SHORT);
    assert_int_equal(decode_reason(buf, (size_t)len - 1, key), DROP_SHORT);
    assert_int_equal(decode_reason(buf, (size_t)len, other_key), DROP_BAD_MAC);

    buf[0] ^= 0xff;
    assert_int_equal(decode_reason(buf, (size_t)len, key), DROP_BAD_MAGIC);
    buf[0] ^= 0xff;
    buf[4] = 2;
    assert_int_equal(decode_reason(buf, (size_t)len, key), DROP_BAD_VERSION);
    buf[4] = WIRE_VERSION;
    buf[9] ^= 1;
    assert_int_equal(decode_reason(buf, (size_t)len, key), DROP_WRONG_CLUSTER);
    buf[9] ^= 1;
    buf[len - 1] ^= 1;
    assert_int_equal(decode_reason(buf, (size_t)len, key), DROP_BAD_MAC);
}

/* Recompute the MAC after editing an encoded datagram, as a sender holding
 * the key (a buggy or newer peer) would. */
static void reseal(uint8_t *buf, size_t len)
{
    crypto_auth_hmacsha256_state st;

    crypto_auth_hmacsha256_init(&st, key, sizeof(key));
    crypto_auth_hmacsha256_update(&st, buf, len - WIRE_MAC_LEN);
    crypto_auth_hmacsha256_final(&st, buf + len - WIRE_MAC_LEN);
}

/* A datagram whose MAC is right but whose content is wrong: never trusted. */
static void test_authentic_but_malformed(void **state)
{
    uint8_t buf[WIRE_MAX_DATAGRAM];
    struct wire_header h = sample_header();
    struct wire_heartbeat hb = sample_hb();

    hb.seen[0].node = 0; /* node id 0 does not exist */
    int len = wire_encode_heartbeat(buf, sizeof(buf), &h, &hb, key);
    assert_true(len > 0);
    assert_int_equal(decode_reason(buf, (size_t)len, key), DROP_MALFORMED);

    static const struct {
        int offset;
        uint8_t value;
    } edits[] = {
        {5, 99},                      /* unknown message type */
        {6, VIGIL_MAX_LINKS},         /* link index out of range */
        {7, 1},                       /* flags */
        {43, 1},                      /* reserved header byte */
        {WIRE_HEADER_LEN + 28, 3},    /* entry count does not match the length */
        {WIRE_HEADER_LEN + 29, 1},    /* reserved payload byte */
        {WIRE_HEADER_LEN + 30 + 3, 1} /* reserved entry byte */
    };
    for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
        len = encode_sample(buf, sizeof(buf));
        buf[edits[i].offset] = edits[i].value;
        reseal(buf, (size_t)len);
        assert_int_equal(decode_reason(buf, (size_t)len, key), DROP_MALFORMED);
    }

    /* trailing bytes after the MAC */
    len = encode_sample(buf, sizeof(buf));
    buf[len] = 0;
    assert_int_equal(decode_reason(buf, (size_t)len + 1, key), DROP_MALFORMED);
}

static void test_encode_bounds(void **state)
{
    uint8_t small[40];
    struct wire_header h = sample_header();
    struct wire_heartbeat hb = sample_hb();

    assert_int_equal(wire_encode_heartbeat(small, sizeof(small), &h, &hb, key), -ENOSPC);
    hb.n_seen = VIGIL_MAX_NODES + 1;
    uint8_t buf[WIRE_MAX_DATAGRAM];
    assert_int_equal(wire_encode_heartbeat(buf, sizeof(buf), &h, &hb, key), -EINVAL);
    hb.n_seen = VIGIL_MAX_NODES;
    for (int i = 0; i < VIGIL_MAX_NODES; i++)
        hb.seen[i].node = (uint16_t)(i + 1);
    assert_true(wire_encode_heartbeat(buf, sizeof(buf), &h, &hb, key) > 0);
}

static void test_cluster_id(void **state)
{
    assert_true(wire_cluster_id("web") != wire_cluster_id("db"));
    assert_true(wire_cluster_id("web") == wire_cluster_id("web"));
    /* BLAKE2b-256("web"), first four bytes: pins the documented derivation */
    uint8_t d[32];
    crypto_generichash(d, sizeof(d), (const uint8_t *)"web", 3, NULL, 0);
    assert_true(wire_cluster_id("web") ==
                ((uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3]));
    assert_string_equal(wire_drop_name(DROP_REPLAY), "replay");
    assert_string_equal(wire_drop_name(DROP__MAX), "invalid");
}

static void test_view_messages(void **state)
{
    uint8_t buf[WIRE_MAX_DATAGRAM];
    struct wire_header h = sample_header(), out;
    struct wire_view v = {.kind = 4, .epoch = 0x301, .members = 0x7, .aux = 0x200};
    struct wire_view vo;
    struct wire_heartbeat hb;
    enum drop_reason why;

    int len = wire_encode_view(buf, sizeof(buf), &h, &v, key);
    assert_int_equal(len, WIRE_HEADER_LEN + 32 + WIRE_MAC_LEN);
    assert_int_equal(
        wire_decode(buf, (size_t)len, wire_cluster_id("web"), key, &out, &hb, &vo, &why), 0);
    assert_int_equal(out.type, WIRE_VIEW);
    assert_int_equal(vo.kind, 4);
    assert_true(vo.epoch == 0x301 && vo.members == 0x7 && vo.aux == 0x200);
    for (int i = 0; i < len; i++) {
        uint8_t copy[WIRE_MAX_DATAGRAM];
        memcpy(copy, buf, (size_t)len);
        copy[i] ^= 0x10;
        assert_int_equal(
            wire_decode(copy, (size_t)len, wire_cluster_id("web"), key, &out, &hb, &vo, &why), -1);
    }
    /* sealed but invalid: unknown kind, reserved bytes */
    buf[WIRE_HEADER_LEN] = 9;
    reseal(buf, (size_t)len);
    assert_int_equal(decode_reason(buf, (size_t)len, key), DROP_MALFORMED);
    len = wire_encode_view(buf, sizeof(buf), &h, &v, key);
    buf[WIRE_HEADER_LEN + 3] = 1;
    reseal(buf, (size_t)len);
    assert_int_equal(decode_reason(buf, (size_t)len, key), DROP_MALFORMED);
    v.kind = 0;
    assert_int_equal(wire_encode_view(buf, sizeof(buf), &h, &v, key), -EINVAL);
    v.kind = 1;
    assert_int_equal(wire_encode_view(buf, 10, &h, &v, key), -ENOSPC);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),    cmocka_unit_test(test_every_byte_flip_rejected),
        cmocka_unit_test(test_reasons),       cmocka_unit_test(test_authentic_but_malformed),
        cmocka_unit_test(test_encode_bounds), cmocka_unit_test(test_cluster_id),
        cmocka_unit_test(test_view_messages),
    };
    return cmocka_run_group_tests_name("wire", tests, NULL, NULL);
}
