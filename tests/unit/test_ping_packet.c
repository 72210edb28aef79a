/* The ICMP echo codec (src/links/ping_packet.c): build, parse, checksum. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/links/ping.h"

static const uint8_t payload[PING_PAYLOAD_LEN] = {1, 2, 3, 4, 5, 6, 7, 8};

/* An IPv4 packet as a raw socket returns it: a header of ihl words (options
 * as NOPs), protocol ICMP, total length set, then icmp. */
static size_t wrap_ip4(uint8_t *out, size_t cap, int ihl, const uint8_t *icmp, size_t icmp_len)
{
    size_t hl = (size_t)ihl * 4;
    size_t total = hl + icmp_len;

    assert_true(total <= cap);
    memset(out, 0, hl);
    out[0] = (uint8_t)(0x40 | ihl);
    out[2] = (uint8_t)(total >> 8);
    out[3] = (uint8_t)total;
    out[8] = 64;
    out[9] = 1;
    memcpy(out + 12, (uint8_t[]){192, 0, 2, 2}, 4);
    memcpy(out + 16, (uint8_t[]){192, 0, 2, 1}, 4);
    for (size_t i = 20; i < hl; i++)
        out[i] = 1; /* IP option NOP */
    memcpy(out + hl, icmp, icmp_len);
    return total;
}

/* Turn a built request into the reply its target would send. */
static void make_reply_v4(uint8_t *icmp, size_t len)
{
    icmp[0] = PING_ICMP4_ECHO_REPLY;
    icmp[2] = icmp[3] = 0;
    uint16_t c = ping_checksum(icmp, len);
    icmp[2] = (uint8_t)(c >> 8);
    icmp[3] = (uint8_t)c;
}

static void test_checksum_known(void **state)
{
    /* RFC 1071's example words 0001 f203 f4f5 f6f7 sum to ddf2 */
    const uint8_t b[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    assert_int_equal(ping_checksum(b, sizeof(b)), (uint16_t)~0xddf2);
    const uint8_t odd[] = {0x12, 0x34, 0x56};
    assert_int_equal(ping_checksum(odd, sizeof(odd)), (uint16_t) ~(0x1234 + 0x5600));
}

static void test_build_v4(void **state)
{
    uint8_t pkt[PING_PACKET_LEN];

    assert_int_equal(ping_build_v4(pkt, sizeof(pkt), 0xbeef, 0x0102, payload), PING_PACKET_LEN);
    assert_int_equal(pkt[0], 8);
    assert_int_equal(pkt[1], 0);
    assert_int_equal(pkt[4], 0xbe);
    assert_int_equal(pkt[5], 0xef);
    assert_int_equal(pkt[6], 0x01);
    assert_int_equal(pkt[7], 0x02);
    assert_memory_equal(pkt + PING_HEADER_LEN, payload, PING_PAYLOAD_LEN);
    assert_int_equal(ping_checksum(pkt, sizeof(pkt)), 0);
    assert_int_equal(ping_build_v4(pkt, sizeof(pkt) - 1, 1, 1, payload), -ENOSPC);
}

static void test_round_trip_v4(void **state)
{
    uint8_t pkt[PING_PACKET_LEN], ip[128];
    struct ping_echo e;

    ping_build_v4(pkt, sizeof(pkt), 0x1234, 65535, payload);
    size_t n = wrap_ip4(ip, sizeof(ip), 5, pkt, sizeof(pkt));
    assert_int_equal(ping_parse_v4(ip, n, &e), 0);
    assert_int_equal(e.type, PING_ICMP4_ECHO_REQUEST);
    assert_int_equal(e.id, 0x1234);
    assert_int_equal(e.seq, 65535);
    assert_memory_equal(e.payload, payload, PING_PAYLOAD_LEN);
}

static void test_round_trip_v6(void **state)
{
    uint8_t pkt[PING_PACKET_LEN];
    struct ping_echo e;

    assert_int_equal(ping_build_v6(pkt, sizeof(pkt), 0xabcd, 7, payload), PING_PACKET_LEN);
    assert_int_equal(pkt[0], 128);
    assert_int_equal(pkt[2] | pkt[3], 0); /* the kernel fills it in */
    assert_int_equal(ping_parse_v6(pkt, sizeof(pkt), &e), 0);
    assert_int_equal(e.type, PING_ICMP6_ECHO_REQUEST);
    assert_int_equal(e.id, 0xabcd);
    assert_int_equal(e.seq, 7);
    assert_memory_equal(e.payload, payload, PING_PAYLOAD_LEN);
    pkt[0] = PING_ICMP6_ECHO_REPLY;
    assert_int_equal(ping_parse_v6(pkt, sizeof(pkt), &e), 0);
    assert_int_equal(e.type, PING_ICMP6_ECHO_REPLY);
}

static void test_bad_checksum(void **state)
{
    uint8_t pkt[PING_PACKET_LEN], ip[128];
    struct ping_echo e;

    for (size_t bit = 0; bit < sizeof(pkt) * 8; bit++) {
        ping_build_v4(pkt, sizeof(pkt), 0x1234, 1, payload);
        pkt[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        size_t n = wrap_ip4(ip, sizeof(ip), 5, pkt, sizeof(pkt));
        assert_int_equal(ping_parse_v4(ip, n, &e), -EBADMSG);
    }
}

/* Replies as captured, behind a plain header and one with options. */
static void test_reply_ihl(void **state)
{
    uint8_t pkt[PING_PACKET_LEN + 4], ip[128];
    struct ping_echo e;

    for (int ihl = 5; ihl <= 6; ihl++) {
        ping_build_v4(pkt, sizeof(pkt), 0x4242, 300, payload);
        memcpy(pkt + PING_PACKET_LEN, "tail", 4); /* a longer echo is fine */
        make_reply_v4(pkt, sizeof(pkt));
        size_t n = wrap_ip4(ip, sizeof(ip), ihl, pkt, sizeof(pkt));
        memset(&e, 0, sizeof(e));
        assert_int_equal(ping_parse_v4(ip, n, &e), 0);
        assert_int_equal(e.type, PING_ICMP4_ECHO_REPLY);
        assert_int_equal(e.id, 0x4242);
        assert_int_equal(e.seq, 300);
        assert_memory_equal(e.payload, payload, PING_PAYLOAD_LEN);
        /* bytes past the IP total length (padding) are not ICMP */
        ip[n] = 0xff;
        assert_int_equal(ping_parse_v4(ip, n + 1, &e), 0);
    }
}

static void test_short(void **state)
{
    uint8_t pkt[PING_PACKET_LEN], ip[128];
    struct ping_echo e;

    ping_build_v4(pkt, sizeof(pkt), 1, 2, payload);
    make_reply_v4(pkt, sizeof(pkt));
    size_t n = wrap_ip4(ip, sizeof(ip), 5, pkt, sizeof(pkt));
    assert_int_equal(ping_parse_v4(ip, 0, &e), -EBADMSG);
    assert_int_equal(ping_parse_v4(ip, 19, &e), -EBADMSG);
    for (size_t len = 20; len < n; len++) /* truncated: shorter than the total length */
        assert_int_equal(ping_parse_v4(ip, len, &e), -EBADMSG);

    /* a short echo (total length and checksum consistent) */
    n = wrap_ip4(ip, sizeof(ip), 5, pkt, PING_HEADER_LEN + 4);
    ip[22] = ip[23] = 0;
    uint16_t c = ping_checksum(ip + 20, PING_HEADER_LEN + 4);
    ip[22] = (uint8_t)(c >> 8);
    ip[23] = (uint8_t)c;
    assert_int_equal(ping_parse_v4(ip, n, &e), -EBADMSG);

    /* IHL below 5, above the data, not IPv4, not ICMP */
    n = wrap_ip4(ip, sizeof(ip), 5, pkt, sizeof(pkt));
    ip[0] = 0x44;
    assert_int_equal(ping_parse_v4(ip, n, &e), -EBADMSG);
    ip[0] = 0x4f;
    assert_int_equal(ping_parse_v4(ip, n, &e), -EBADMSG);
    ip[0] = 0x65;
    assert_int_equal(ping_parse_v4(ip, n, &e), -EBADMSG);
    ip[0] = 0x45;
    ip[9] = 17;
    assert_int_equal(ping_parse_v4(ip, n, &e), -EBADMSG);

    ping_build_v6(pkt, sizeof(pkt), 1, 2, payload);
    for (size_t len = 0; len < PING_PACKET_LEN; len++)
        assert_int_equal(ping_parse_v6(pkt, len, &e), -EBADMSG);
}

static void test_other_types(void **state)
{
    /* destination unreachable quoting one of our requests */
    uint8_t icmp[8 + 20 + PING_PACKET_LEN] = {3, 1}, ip[128];
    struct ping_echo e;

    uint16_t c = ping_checksum(icmp, sizeof(icmp));
    icmp[2] = (uint8_t)(c >> 8);
    icmp[3] = (uint8_t)c;
    size_t n = wrap_ip4(ip, sizeof(ip), 5, icmp, sizeof(icmp));
    assert_int_equal(ping_parse_v4(ip, n, &e), -ENOMSG);

    icmp[0] = 1; /* ICMPv6 destination unreachable; a neighbour advertisement */
    assert_int_equal(ping_parse_v6(icmp, sizeof(icmp), &e), -ENOMSG);
    icmp[0] = 136;
    assert_int_equal(ping_parse_v6(icmp, sizeof(icmp), &e), -ENOMSG);
    /* an ICMPv4 echo reply type is not an ICMPv6 echo */
    icmp[0] = PING_ICMP4_ECHO_REQUEST;
    assert_int_equal(ping_parse_v6(icmp, sizeof(icmp), &e), -ENOMSG);
}

static void test_payload_time(void **state)
{
    uint8_t p[PING_PAYLOAD_LEN];

    ping_payload_put_time(p, UINT64_C(0x0102030405060708));
    assert_memory_equal(p, payload, sizeof(p));
    assert_true(ping_payload_time(p) == UINT64_C(0x0102030405060708));
    ping_payload_put_time(p, UINT64_MAX);
    assert_true(ping_payload_time(p) == UINT64_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checksum_known), cmocka_unit_test(test_build_v4),
        cmocka_unit_test(test_round_trip_v4),  cmocka_unit_test(test_round_trip_v6),
        cmocka_unit_test(test_bad_checksum),   cmocka_unit_test(test_reply_ihl),
        cmocka_unit_test(test_short),          cmocka_unit_test(test_other_types),
        cmocka_unit_test(test_payload_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
