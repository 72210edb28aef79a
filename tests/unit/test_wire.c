/* The datagram codec: round trip of every message type, every tamper
 * rejected with its reason, every malformed payload dropped as malformed. */
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

#define HB_FIXED 30  /* heartbeat payload before the seen entries */
#define AF 48        /* ASSIGN: the fixed part, before the groups */
#define HB_REPORT 18 /* after them: ASSIGN sequence, admin sequence, G, reserved */
#define P WIRE_HEADER_LEN

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

/* Two seen entries, three groups. */
static struct wire_heartbeat sample_hb(void)
{
    struct wire_heartbeat hb = {.epoch = 7,
                                .members = 0x5,
                                .echo_time = 1111,
                                .echo_delay = 22,
                                .n_seen = 2,
                                .assign_seq = 0x1122334455667788ULL,
                                .admin_seq = 0x0102030405060708ULL,
                                .n_groups = 3};
    hb.seen[0].node = 1;
    hb.seen[0].links = 0x3;
    hb.seen[1].node = 3;
    hb.seen[1].links = 0x1;
    hb.groups[0] = (struct wire_group_report){WIRE_GROUP_RUNNING, 0};
    hb.groups[1] = (struct wire_group_report){WIRE_GROUP_STOP_FAILED, 255};
    hb.groups[2] = (struct wire_group_report){WIRE_GROUP_STOPPED, 2};
    return hb;
}

/* Offset of the group report part in sample_hb's datagram. */
#define HB_REPORT_AT (P + HB_FIXED + 2 * 4)

static struct wire_assign sample_assign(void)
{
    struct wire_assign a = {.epoch = 0x301,
                            .seq = 9,
                            .admin_seq = 0x502,
                            .standby = 0x8000000000000004ULL,
                            .fenced = 0x4000000000000002ULL,
                            .n_groups = 3};
    a.groups[0] = (struct wire_assignment){0, WIRE_NONE, 0};
    a.groups[1] = (struct wire_assignment){WIRE_NONE, WIRE_NONE, WIRE_ASSIGN_ADMIN_STOPPED};
    a.groups[2] = (struct wire_assignment){VIGIL_MAX_NODES - 1, 2, 0};
    return a;
}

static struct wire_request sample_request(void)
{
    struct wire_request r = {
        .id = 0xfeedfacecafebeefULL, .kind = WIRE_REQ_MOVE, .group = 1, .node = 2};
    return r;
}

static struct wire_request_ack sample_ack(void)
{
    struct wire_request_ack a = {.id = 0xfeedfacecafebeefULL,
                                 .result = WIRE_ACK_REFUSED,
                                 .reason = WIRE_REFUSED_NOT_IN_POLICY,
                                 .admin_seq = 0x502};
    return a;
}

static int encode_sample(uint8_t *buf, size_t cap)
{
    struct wire_header h = sample_header();
    struct wire_heartbeat hb = sample_hb();
    return wire_encode_heartbeat(buf, cap, &h, &hb, key);
}

/* A sample of each type, through wire_encode. */
static int encode_type(uint8_t *buf, size_t cap, uint8_t type)
{
    struct wire_msg m = {.h = sample_header()};

    m.h.type = type;
    switch (type) {
    case WIRE_HEARTBEAT:
        m.hb = sample_hb();
        break;
    case WIRE_VIEW:
        m.view = (struct wire_view){.kind = 4, .epoch = 0x301, .members = 0x7, .aux = 0x200};
        break;
    case WIRE_ASSIGN:
        m.assign = sample_assign();
        break;
    case WIRE_REQUEST:
        m.request = sample_request();
        break;
    case WIRE_REQUEST_ACK:
        m.ack = sample_ack();
        break;
    }
    return wire_encode(buf, cap, &m, key);
}

static int decode(const uint8_t *buf, size_t len, struct wire_msg *m, enum drop_reason *why)
{
    return wire_decode(buf, len, wire_cluster_id("web"), key, m, why);
}

static enum drop_reason decode_reason(const uint8_t *buf, size_t len, const uint8_t *k)
{
    struct wire_msg m;
    enum drop_reason why = DROP__MAX;

    assert_int_equal(wire_decode(buf, len, wire_cluster_id("web"), k, &m, &why), -1);
    return why;
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

/* A sealed datagram of `type` whose payload is given as is: what a sender
 * with the key but another idea of the format would send. Returns its length. */
static size_t forge(uint8_t *buf, uint8_t type, const uint8_t *payload, size_t plen)
{
    assert_true(encode_sample(buf, WIRE_MAX_DATAGRAM) > 0);
    assert_true(P + plen + WIRE_MAC_LEN <= WIRE_MAX_DATAGRAM);
    buf[5] = type;
    buf[40] = (uint8_t)(plen >> 8);
    buf[41] = (uint8_t)plen;
    memmove(buf + P, payload, plen);
    reseal(buf, P + plen + WIRE_MAC_LEN);
    return P + plen + WIRE_MAC_LEN;
}

/* The good datagram `good` with byte `offset` set to `value`, sealed again:
 * dropped as malformed. */
static void assert_edit_malformed(const uint8_t *good, size_t len, size_t offset, uint8_t value)
{
    uint8_t buf[WIRE_MAX_DATAGRAM];

    memcpy(buf, good, len);
    assert_true(offset < len - WIRE_MAC_LEN);
    buf[offset] = value;
    reseal(buf, len);
    if (decode_reason(buf, len, key) != DROP_MALFORMED)
        fail_msg("byte %zu set to 0x%02x: not dropped as malformed", offset, value);
}

/* The payload of `good` cut by one byte, and grown by a zero byte: both
 * malformed, though authentic. */
static void assert_length_exact(const uint8_t *good, size_t len)
{
    uint8_t buf[WIRE_MAX_DATAGRAM], payload[WIRE_MAX_DATAGRAM];
    size_t plen = len - P - WIRE_MAC_LEN;

    memcpy(payload, good + P, plen);
    payload[plen] = 0;
    for (size_t n = 0; n < plen; n++)
        assert_int_equal(decode_reason(buf, forge(buf, good[5], payload, n), key), DROP_MALFORMED);
    assert_int_equal(decode_reason(buf, forge(buf, good[5], payload, plen + 1), key),
                     DROP_MALFORMED);
    /* and the forge itself is faithful */
    struct wire_msg m;
    enum drop_reason why;
    assert_int_equal(decode(buf, forge(buf, good[5], payload, plen), &m, &why), 0);
}

static void test_round_trip(void **state)
{
    uint8_t buf[WIRE_MAX_DATAGRAM];
    int len = encode_sample(buf, sizeof(buf));
    struct wire_msg m;
    enum drop_reason why;

    assert_int_equal(len, P + HB_FIXED + 2 * 4 + HB_REPORT + 3 * 4 + WIRE_MAC_LEN);
    assert_int_equal(decode(buf, (size_t)len, &m, &why), 0);
    struct wire_header want = sample_header();
    assert_int_equal(m.h.type, want.type);
    assert_int_equal(m.h.link, want.link);
    assert_int_equal(m.h.sender, want.sender);
    assert_int_equal(m.h.dest, want.dest);
    assert_true(m.h.incarnation == want.incarnation);
    assert_true(m.h.seq == want.seq);
    assert_true(m.h.send_time == want.send_time);
    assert_true(m.hb.epoch == 7);
    assert_true(m.hb.members == 0x5);
    assert_true(m.hb.echo_time == 1111);
    assert_int_equal(m.hb.echo_delay, 22);
    assert_int_equal(m.hb.n_seen, 2);
    assert_int_equal(m.hb.seen[1].node, 3);
    assert_int_equal(m.hb.seen[0].links, 3);
    assert_true(m.hb.assign_seq == 0x1122334455667788ULL);
    assert_true(m.hb.admin_seq == 0x0102030405060708ULL);
    assert_int_equal(m.hb.n_groups, 3);
    assert_int_equal(m.hb.groups[0].state, WIRE_GROUP_RUNNING);
    assert_int_equal(m.hb.groups[1].state, WIRE_GROUP_STOP_FAILED);
    assert_int_equal(m.hb.groups[1].failures, 255);
    assert_int_equal(m.hb.groups[2].state, WIRE_GROUP_STOPPED);
    assert_int_equal(m.hb.groups[2].failures, 2);
}

/* What vigild sends until groups are wired: a zero-initialised report. */
static void test_heartbeat_without_groups(void **state)
{
    uint8_t buf[WIRE_MAX_DATAGRAM];
    struct wire_header h = sample_header();
    struct wire_heartbeat hb = {.epoch = 3, .members = 1};
    struct wire_msg m;
    enum drop_reason why;

    int len = wire_encode_heartbeat(buf, sizeof(buf), &h, &hb, key);
    assert_int_equal(len, P + HB_FIXED + HB_REPORT + WIRE_MAC_LEN);
    for (int i = P + HB_FIXED; i < P + HB_FIXED + HB_REPORT; i++)
        assert_int_equal(buf[i], 0);
    assert_int_equal(decode(buf, (size_t)len, &m, &why), 0);
    assert_int_equal(m.hb.n_seen, 0);
    assert_int_equal(m.hb.n_groups, 0);
    assert_true(m.hb.assign_seq == 0);
    assert_true(m.hb.admin_seq == 0);

    /* the heartbeat of before the group reports (no report part) is dropped */
    uint8_t old[HB_FIXED];
    memcpy(old, buf + P, sizeof(old));
    assert_int_equal(decode_reason(buf, forge(buf, WIRE_HEARTBEAT, old, sizeof(old)), key),
                     DROP_MALFORMED);
}

static void test_every_byte_flip_rejected(void **state)
{
    for (uint8_t type = WIRE_HEARTBEAT; type <= WIRE_REQUEST_ACK; type++) {
        uint8_t buf[WIRE_MAX_DATAGRAM], copy[WIRE_MAX_DATAGRAM];
        int len = encode_type(buf, sizeof(buf), type);
        struct wire_msg m;
        enum drop_reason why;

        assert_true(len > 0);
        assert_int_equal(decode(buf, (size_t)len, &m, &why), 0);
        assert_int_equal(m.h.type, type);
        for (int i = 0; i < len; i++) {
            for (int bit = 0; bit < 8; bit++) {
                memcpy(copy, buf, (size_t)len);
                copy[i] ^= (uint8_t)(1u << bit);
                assert_int_equal(decode(copy, (size_t)len, &m, &why), -1);
            }
        }
    }
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

/* A datagram whose MAC is right but whose content is wrong: never trusted. */
static void test_authentic_but_malformed(void **state)
{
    uint8_t buf[WIRE_MAX_DATAGRAM], good[WIRE_MAX_DATAGRAM];
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
        {5, 0},                                  /* unknown message types */
        {5, 6},                                  /* */
        {5, 99},                                 /* */
        {6, VIGIL_MAX_LINKS},                    /* link index out of range */
        {7, 1},                                  /* flags */
        {42, 1},                                 /* reserved header bytes */
        {43, 1},                                 /* */
        {P + 28, 3},                             /* entry count does not match the length */
        {P + 28, 1},                             /* */
        {P + 28, VIGIL_MAX_NODES + 1},           /* */
        {P + 29, 1},                             /* reserved payload byte */
        {P + HB_FIXED + 3, 1},                   /* reserved entry byte */
        {P + HB_FIXED + 1, 0},                   /* seen node 0 */
        {P + HB_FIXED + 1, VIGIL_MAX_NODES + 1}, /* seen node past the last id */
        {HB_REPORT_AT + 16, 2},                  /* group count does not match the length */
        {HB_REPORT_AT + 16, 4},                  /* */
        {HB_REPORT_AT + 16, 0},                  /* */
        {HB_REPORT_AT + 17, 1},                  /* reserved byte after the group count */
        {HB_REPORT_AT + HB_REPORT, 6},           /* group state past stop-failed */
        {HB_REPORT_AT + HB_REPORT, 0xff},        /* */
        {HB_REPORT_AT + HB_REPORT + 4 * 2, 6},   /* in the last entry too */
        {HB_REPORT_AT + HB_REPORT + 2, 1},       /* reserved bytes of a group entry */
        {HB_REPORT_AT + HB_REPORT + 3, 0x80},    /* */
        {HB_REPORT_AT + HB_REPORT + 4 * 2 + 3, 1},
    };
    len = encode_sample(good, sizeof(good));
    for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++)
        assert_edit_malformed(good, (size_t)len, (size_t)edits[i].offset, edits[i].value);
    assert_length_exact(good, (size_t)len);

    /* trailing bytes after the MAC */
    memcpy(buf, good, (size_t)len);
    buf[len] = 0;
    assert_int_equal(decode_reason(buf, (size_t)len + 1, key), DROP_MALFORMED);

    /* more groups than VIGIL_MAX_GROUPS, the length matching them */
    uint8_t payload[HB_FIXED + HB_REPORT + (VIGIL_MAX_GROUPS + 1) * 4] = {0};
    payload[HB_FIXED + 16] = VIGIL_MAX_GROUPS;
    size_t n = forge(buf, WIRE_HEARTBEAT, payload, sizeof(payload) - 4);
    struct wire_msg m;
    enum drop_reason why;
    assert_int_equal(decode(buf, n, &m, &why), 0);
    assert_int_equal(m.hb.n_groups, VIGIL_MAX_GROUPS);
    payload[HB_FIXED + 16] = VIGIL_MAX_GROUPS + 1;
    n = forge(buf, WIRE_HEARTBEAT, payload, sizeof(payload));
    assert_int_equal(decode_reason(buf, n, key), DROP_MALFORMED);
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
    hb = sample_hb();
    hb.n_groups = VIGIL_MAX_GROUPS + 1;
    assert_int_equal(wire_encode_heartbeat(buf, sizeof(buf), &h, &hb, key), -EINVAL);
    hb = sample_hb();
    hb.groups[2].state = WIRE_GROUP_STOP_FAILED + 1;
    assert_int_equal(wire_encode_heartbeat(buf, sizeof(buf), &h, &hb, key), -EINVAL);

    /* the largest heartbeat: every node seen, every group reported */
    hb.n_seen = VIGIL_MAX_NODES;
    for (int i = 0; i < VIGIL_MAX_NODES; i++)
        hb.seen[i].node = (uint16_t)(i + 1);
    hb.n_groups = VIGIL_MAX_GROUPS;
    for (int i = 0; i < VIGIL_MAX_GROUPS; i++)
        hb.groups[i] = (struct wire_group_report){(uint8_t)(i % 6), (uint8_t)i};
    int max = P + HB_FIXED + VIGIL_MAX_NODES * 4 + HB_REPORT + VIGIL_MAX_GROUPS * 4 + WIRE_MAC_LEN;
    assert_int_equal(max, 636); /* docs/wire-format.md */
    assert_true(max <= WIRE_MAX_DATAGRAM);
    assert_int_equal(wire_encode_heartbeat(buf, sizeof(buf), &h, &hb, key), max);
    assert_int_equal(wire_encode_heartbeat(buf, (size_t)max - 1, &h, &hb, key), -ENOSPC);
    struct wire_msg m;
    enum drop_reason why;
    assert_int_equal(decode(buf, (size_t)max, &m, &why), 0);
    assert_int_equal(m.hb.groups[63].state, 63 % 6);
    assert_int_equal(m.hb.groups[63].failures, 63);
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
    assert_string_equal(wire_drop_name(DROP_UNEXPECTED), "unexpected");
    assert_string_equal(wire_drop_name(DROP__MAX), "invalid");
    for (int r = 0; r < DROP__MAX; r++)
        assert_non_null(wire_drop_name((enum drop_reason)r));
}

static void test_view_messages(void **state)
{
    uint8_t buf[WIRE_MAX_DATAGRAM];
    struct wire_header h = sample_header();
    struct wire_view v = {.kind = 4, .epoch = 0x301, .members = 0x7, .aux = 0x200};
    struct wire_msg m;
    enum drop_reason why;

    int len = wire_encode_view(buf, sizeof(buf), &h, &v, key);
    assert_int_equal(len, P + 32 + WIRE_MAC_LEN);
    assert_int_equal(decode(buf, (size_t)len, &m, &why), 0);
    assert_int_equal(m.h.type, WIRE_VIEW);
    assert_int_equal(m.view.kind, 4);
    assert_true(m.view.epoch == 0x301 && m.view.members == 0x7 && m.view.aux == 0x200);
    /* sealed but invalid: unknown kind, reserved bytes */
    assert_edit_malformed(buf, (size_t)len, P, 9);
    assert_edit_malformed(buf, (size_t)len, P, 0);
    for (int i = 1; i < 8; i++)
        assert_edit_malformed(buf, (size_t)len, (size_t)(P + i), 1);
    assert_length_exact(buf, (size_t)len);
    v.kind = 0;
    assert_int_equal(wire_encode_view(buf, sizeof(buf), &h, &v, key), -EINVAL);
    v.kind = 1;
    assert_int_equal(wire_encode_view(buf, 10, &h, &v, key), -ENOSPC);
}

static void test_assign(void **state)
{
    uint8_t buf[WIRE_MAX_DATAGRAM];
    struct wire_header h = sample_header();
    struct wire_assign a = sample_assign();
    struct wire_msg m;
    enum drop_reason why;

    int len = wire_encode_assign(buf, sizeof(buf), &h, &a, key);
    assert_int_equal(len, P + AF + 3 * 4 + WIRE_MAC_LEN);
    assert_int_equal(buf[5], WIRE_ASSIGN);
    assert_int_equal(decode(buf, (size_t)len, &m, &why), 0);
    assert_int_equal(m.h.type, WIRE_ASSIGN);
    assert_int_equal(m.h.sender, 2);
    assert_true(m.assign.epoch == 0x301 && m.assign.seq == 9 && m.assign.admin_seq == 0x502);
    assert_true(m.assign.standby == 0x8000000000000004ULL);
    assert_true(m.assign.fenced == 0x4000000000000002ULL);
    assert_int_equal(m.assign.n_groups, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(m.assign.groups[i].node, a.groups[i].node);
        assert_int_equal(m.assign.groups[i].move_target, a.groups[i].move_target);
        assert_int_equal(m.assign.groups[i].flags, a.groups[i].flags);
    }

    static const struct {
        int offset;
        uint8_t value;
    } edits[] = {
        {P + 15, 0},                    /* sequence 0 (the sample's is 9) */
        {P + 32, 2},                    /* group count does not match the length */
        {P + 32, 4},                    /* */
        {P + 32, VIGIL_MAX_GROUPS + 1}, /* */
        {P + 33, 1},                    /* reserved bytes after the count */
        {P + 36, 0x40},                 /* */
        {P + 39, 1},                    /* */
        {P + AF, VIGIL_MAX_NODES},      /* assigned node index out of range */
        {P + AF, 0xfe},                 /* */
        {P + AF + 1, VIGIL_MAX_NODES},  /* move target out of range */
        {P + AF + 2, 0x02},             /* unknown flag */
        {P + AF + 2, 0x81},             /* */
        {P + AF + 3, 1},                /* reserved entry byte */
        {P + AF + 2 * 4 + 3, 1},        /* in the last entry too */
        {P + AF + 2 * 4 + 2, 0x04},     /* */
    };
    for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++)
        assert_edit_malformed(buf, (size_t)len, (size_t)edits[i].offset, edits[i].value);
    assert_length_exact(buf, (size_t)len);
    uint8_t copy[WIRE_MAX_DATAGRAM];
    memcpy(copy, buf, (size_t)len);
    memset(copy + P, 0, 8); /* epoch 0 */
    reseal(copy, (size_t)len);
    assert_int_equal(decode_reason(copy, (size_t)len, key), DROP_MALFORMED);

    /* no groups; and every group */
    a.n_groups = 0;
    len = wire_encode_assign(buf, sizeof(buf), &h, &a, key);
    assert_int_equal(len, P + AF + WIRE_MAC_LEN);
    assert_int_equal(decode(buf, (size_t)len, &m, &why), 0);
    assert_int_equal(m.assign.n_groups, 0);
    a.n_groups = VIGIL_MAX_GROUPS;
    for (int i = 0; i < VIGIL_MAX_GROUPS; i++)
        a.groups[i] = (struct wire_assignment){(uint8_t)i, (uint8_t)(VIGIL_MAX_NODES - 1 - i),
                                               (uint8_t)(i & 1)};
    len = wire_encode_assign(buf, sizeof(buf), &h, &a, key);
    assert_int_equal(len, P + AF + VIGIL_MAX_GROUPS * 4 + WIRE_MAC_LEN);
    assert_int_equal(decode(buf, (size_t)len, &m, &why), 0);
    assert_int_equal(m.assign.groups[63].node, 63);
    assert_int_equal(m.assign.groups[63].move_target, 0);
    assert_int_equal(m.assign.groups[63].flags, 1);
    assert_int_equal(wire_encode_assign(buf, (size_t)len - 1, &h, &a, key), -ENOSPC);

    /* more groups than VIGIL_MAX_GROUPS, the length matching them */
    uint8_t payload[AF + (VIGIL_MAX_GROUPS + 1) * 4] = {[7] = 1, [15] = 1};
    payload[32] = VIGIL_MAX_GROUPS;
    assert_int_equal(decode(buf, forge(buf, WIRE_ASSIGN, payload, sizeof(payload) - 4), &m, &why),
                     0);
    payload[32] = VIGIL_MAX_GROUPS + 1;
    assert_int_equal(decode_reason(buf, forge(buf, WIRE_ASSIGN, payload, sizeof(payload)), key),
                     DROP_MALFORMED);

    /* the encoder refuses what a receiver would drop */
    struct wire_assign bad[8];
    for (int i = 0; i < 8; i++)
        bad[i] = sample_assign();
    bad[0].epoch = 0;
    bad[1].seq = 0;
    bad[2].n_groups = VIGIL_MAX_GROUPS + 1;
    bad[3].groups[0].node = VIGIL_MAX_NODES;
    bad[4].groups[2].move_target = 0x80;
    bad[5].groups[1].flags = 0x02;
    bad[6].groups[1].flags = 0xff;
    bad[7].groups[2].node = 0xfe;
    for (int i = 0; i < 8; i++)
        if (wire_encode_assign(buf, sizeof(buf), &h, &bad[i], key) != -EINVAL)
            fail_msg("encoded bad ASSIGN %d", i);
}

static void test_request(void **state)
{
    uint8_t buf[WIRE_MAX_DATAGRAM];
    struct wire_header h = sample_header();
    struct wire_msg m;
    enum drop_reason why;
    static const struct wire_request good[] = {
        {1, WIRE_REQ_MOVE, 0, 0},
        {2, WIRE_REQ_MOVE, VIGIL_MAX_GROUPS - 1, VIGIL_MAX_NODES - 1},
        {3, WIRE_REQ_MOVE_CLEAR, 5, WIRE_NONE},
        {4, WIRE_REQ_STOP, 0, WIRE_NONE},
        {5, WIRE_REQ_START, 63, WIRE_NONE},
        {6, WIRE_REQ_STANDBY, WIRE_NONE, 3},
        {UINT64_MAX, WIRE_REQ_UNSTANDBY, WIRE_NONE, 0},
    };

    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        int len = wire_encode_request(buf, sizeof(buf), &h, &good[i], key);
        assert_int_equal(len, P + 16 + WIRE_MAC_LEN);
        assert_int_equal(decode(buf, (size_t)len, &m, &why), 0);
        assert_int_equal(m.h.type, WIRE_REQUEST);
        assert_true(m.request.id == good[i].id);
        assert_int_equal(m.request.kind, good[i].kind);
        assert_int_equal(m.request.group, good[i].group);
        assert_int_equal(m.request.node, good[i].node);
    }

    /* sample: move group 1 to node 2 */
    struct wire_request r = sample_request();
    int len = wire_encode_request(buf, sizeof(buf), &h, &r, key);
    static const struct {
        int offset;
        uint8_t value;
    } edits[] = {
        {P + 8, 0},                /* kind 0 */
        {P + 8, 7},                /* kind past unstandby */
        {P + 8, WIRE_REQ_STOP},    /* a stop takes no node */
        {P + 8, WIRE_REQ_STANDBY}, /* a standby takes no group */
        {P + 9, WIRE_NONE},        /* a move takes a group */
        {P + 9, VIGIL_MAX_GROUPS}, /* group index out of range */
        {P + 10, WIRE_NONE},       /* a move takes a node */
        {P + 10, VIGIL_MAX_NODES}, /* node index out of range */
        {P + 11, 1},               /* reserved bytes */
        {P + 13, 0x10},            /* */
        {P + 15, 1},               /* */
    };
    for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++)
        assert_edit_malformed(buf, (size_t)len, (size_t)edits[i].offset, edits[i].value);
    assert_length_exact(buf, (size_t)len);
    /* id 0 */
    for (int i = 0; i < 8; i++)
        buf[P + i] = 0;
    reseal(buf, (size_t)len);
    assert_int_equal(decode_reason(buf, (size_t)len, key), DROP_MALFORMED);

    static const struct wire_request bad[] = {
        {0, WIRE_REQ_STOP, 0, WIRE_NONE},                    /* id 0 */
        {1, 0, 0, WIRE_NONE},                                /* kind 0 */
        {1, 7, 0, WIRE_NONE},                                /* kind 7 */
        {1, WIRE_REQ_MOVE, WIRE_NONE, 1},                    /* no group */
        {1, WIRE_REQ_MOVE, 1, WIRE_NONE},                    /* no node */
        {1, WIRE_REQ_MOVE_CLEAR, 1, 1},                      /* a node it does not take */
        {1, WIRE_REQ_START, VIGIL_MAX_GROUPS, WIRE_NONE},    /* group out of range */
        {1, WIRE_REQ_STANDBY, 0, 1},                         /* a group it does not take */
        {1, WIRE_REQ_UNSTANDBY, WIRE_NONE, VIGIL_MAX_NODES}, /* node out of range */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (wire_encode_request(buf, sizeof(buf), &h, &bad[i], key) != -EINVAL)
            fail_msg("encoded bad request %zu", i);
    assert_int_equal(wire_encode_request(buf, P + 16 + WIRE_MAC_LEN - 1, &h, &r, key), -ENOSPC);
}

static void test_request_ack(void **state)
{
    uint8_t buf[WIRE_MAX_DATAGRAM];
    struct wire_header h = sample_header();
    struct wire_msg m;
    enum drop_reason why;
    static const struct wire_request_ack good[] = {
        {1, WIRE_ACK_OK, 0, 0x502},
        {2, WIRE_ACK_UNKNOWN_GROUP, 0, 0},
        {3, WIRE_ACK_UNKNOWN_NODE, 0, 7},
        {4, WIRE_ACK_NOT_COORDINATOR, 0, 0},
        {5, WIRE_ACK_REFUSED, WIRE_REFUSED_NO_QUORUM, 0},
        {UINT64_MAX, WIRE_ACK_REFUSED, WIRE_REFUSED_NOT_IN_POLICY, UINT64_MAX},
    };

    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        int len = wire_encode_request_ack(buf, sizeof(buf), &h, &good[i], key);
        assert_int_equal(len, P + 24 + WIRE_MAC_LEN);
        assert_int_equal(decode(buf, (size_t)len, &m, &why), 0);
        assert_int_equal(m.h.type, WIRE_REQUEST_ACK);
        assert_true(m.ack.id == good[i].id);
        assert_int_equal(m.ack.result, good[i].result);
        assert_int_equal(m.ack.reason, good[i].reason);
        assert_true(m.ack.admin_seq == good[i].admin_seq);
    }

    /* sample: refused, not in the policy */
    struct wire_request_ack a = sample_ack();
    int len = wire_encode_request_ack(buf, sizeof(buf), &h, &a, key);
    static const struct {
        int offset;
        uint8_t value;
    } edits[] = {
        {P + 8, 5},           /* result past refused */
        {P + 8, 0xff},        /* */
        {P + 8, WIRE_ACK_OK}, /* a reason with a result other than refused */
        {P + 9, 0},           /* refused without a reason */
        {P + 9, 3},           /* unknown reason */
        {P + 10, 1},          /* reserved bytes */
        {P + 15, 0x80},       /* */
    };
    for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++)
        assert_edit_malformed(buf, (size_t)len, (size_t)edits[i].offset, edits[i].value);
    assert_length_exact(buf, (size_t)len);
    for (int i = 0; i < 8; i++)
        buf[P + i] = 0; /* id 0 */
    reseal(buf, (size_t)len);
    assert_int_equal(decode_reason(buf, (size_t)len, key), DROP_MALFORMED);

    static const struct wire_request_ack bad[] = {
        {0, WIRE_ACK_OK, 0, 0},              /* id 0 */
        {1, WIRE_ACK_REFUSED + 1, 0, 0},     /* result */
        {1, WIRE_ACK_REFUSED, 0, 0},         /* no reason */
        {1, WIRE_ACK_REFUSED, 3, 0},         /* unknown reason */
        {1, WIRE_ACK_NOT_COORDINATOR, 1, 0}, /* reason without refusal */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (wire_encode_request_ack(buf, sizeof(buf), &h, &bad[i], key) != -EINVAL)
            fail_msg("encoded bad answer %zu", i);
    assert_int_equal(wire_encode_request_ack(buf, P + 24 + WIRE_MAC_LEN - 1, &h, &a, key), -ENOSPC);
}

/* wire_encode is the typed encoder its type names, and decode inverts it. */
static void test_encode_any(void **state)
{
    for (uint8_t type = WIRE_HEARTBEAT; type <= WIRE_REQUEST_ACK; type++) {
        uint8_t buf[WIRE_MAX_DATAGRAM], again[WIRE_MAX_DATAGRAM];
        int len = encode_type(buf, sizeof(buf), type);
        struct wire_msg m;
        enum drop_reason why;

        assert_true(len > P + WIRE_MAC_LEN);
        assert_int_equal(buf[5], type);
        assert_int_equal(decode(buf, (size_t)len, &m, &why), 0);
        assert_int_equal(wire_encode(again, sizeof(again), &m, key), len);
        assert_memory_equal(buf, again, (size_t)len);
        assert_int_equal(encode_type(buf, (size_t)len - 1, type), -ENOSPC);
    }
    struct wire_msg m = {.h = sample_header()};
    uint8_t buf[WIRE_MAX_DATAGRAM];
    m.h.type = 0;
    assert_int_equal(wire_encode(buf, sizeof(buf), &m, key), -EINVAL);
    m.h.type = WIRE_REQUEST_ACK + 1;
    assert_int_equal(wire_encode(buf, sizeof(buf), &m, key), -EINVAL);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_heartbeat_without_groups),
        cmocka_unit_test(test_every_byte_flip_rejected),
        cmocka_unit_test(test_reasons),
        cmocka_unit_test(test_authentic_but_malformed),
        cmocka_unit_test(test_encode_bounds),
        cmocka_unit_test(test_cluster_id),
        cmocka_unit_test(test_view_messages),
        cmocka_unit_test(test_assign),
        cmocka_unit_test(test_request),
        cmocka_unit_test(test_request_ack),
        cmocka_unit_test(test_encode_any),
    };
    return cmocka_run_group_tests_name("wire", tests, NULL, NULL);
}
