/* ICMP / ICMPv6 echo messages: build requests, parse what raw sockets return.
 * Pure: no I/O, no globals, so it is unit-tested and fuzzable on its own. */
#include <errno.h>
#include <string.h>

#include "ping.h"

#define IP4_MIN_HEADER 20
#define IP4_PROTO_ICMP 1

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

uint16_t ping_checksum(const void *buf, size_t len)
{
    const uint8_t *p = buf;
    uint32_t sum = 0;

    for (; len > 1; p += 2, len -= 2)
        sum += get16(p);
    if (len)
        sum += (uint32_t)p[0] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

void ping_payload_put_time(uint8_t payload[PING_PAYLOAD_LEN], vg_usec_t t)
{
    for (int i = PING_PAYLOAD_LEN - 1; i >= 0; i--, t >>= 8)
        payload[i] = (uint8_t)t;
}

vg_usec_t ping_payload_time(const uint8_t payload[PING_PAYLOAD_LEN])
{
    vg_usec_t t = 0;

    for (int i = 0; i < PING_PAYLOAD_LEN; i++)
        t = t << 8 | payload[i];
    return t;
}

/* The common layout of both families' echo requests, checksum left at 0. */
static int build(uint8_t *p, size_t cap, uint8_t type, uint16_t id, uint16_t seq,
                 const uint8_t payload[PING_PAYLOAD_LEN])
{
    if (cap < PING_PACKET_LEN)
        return -ENOSPC;
    p[0] = type;
    p[1] = 0; /* code */
    put16(p + 2, 0);
    put16(p + 4, id);
    put16(p + 6, seq);
    memcpy(p + PING_HEADER_LEN, payload, PING_PAYLOAD_LEN);
    return PING_PACKET_LEN;
}

int ping_build_v4(void *buf, size_t cap, uint16_t id, uint16_t seq,
                  const uint8_t payload[PING_PAYLOAD_LEN])
{
    int n = build(buf, cap, PING_ICMP4_ECHO_REQUEST, id, seq, payload);

    if (n < 0)
        return n;
    put16((uint8_t *)buf + 2, ping_checksum(buf, (size_t)n));
    return n;
}

int ping_build_v6(void *buf, size_t cap, uint16_t id, uint16_t seq,
                  const uint8_t payload[PING_PAYLOAD_LEN])
{
    return build(buf, cap, PING_ICMP6_ECHO_REQUEST, id, seq, payload);
}

/* Decode an ICMP(v6) message whose length is known to be right: echo
 * request and reply only, with a full payload. */
static int parse_icmp(const uint8_t *p, size_t len, uint8_t request, uint8_t reply,
                      struct ping_echo *out)
{
    if (len < PING_HEADER_LEN)
        return -EBADMSG;
    if (p[0] != request && p[0] != reply)
        return -ENOMSG;
    if (len < PING_PACKET_LEN)
        return -EBADMSG;
    out->type = p[0];
    out->id = get16(p + 4);
    out->seq = get16(p + 6);
    memcpy(out->payload, p + PING_HEADER_LEN, PING_PAYLOAD_LEN);
    return 0;
}

int ping_parse_v4(const void *buf, size_t len, struct ping_echo *out)
{
    const uint8_t *p = buf;

    if (len < IP4_MIN_HEADER || p[0] >> 4 != 4)
        return -EBADMSG;
    size_t ihl = (size_t)(p[0] & 0x0f) * 4;
    size_t total = get16(p + 2); /* Linux hands raw sockets the header as received */
    if (ihl < IP4_MIN_HEADER || total < ihl || total > len || p[9] != IP4_PROTO_ICMP)
        return -EBADMSG;
    const uint8_t *icmp = p + ihl;
    size_t icmp_len = total - ihl;
    if (icmp_len < PING_HEADER_LEN || ping_checksum(icmp, icmp_len) != 0)
        return -EBADMSG;
    return parse_icmp(icmp, icmp_len, PING_ICMP4_ECHO_REQUEST, PING_ICMP4_ECHO_REPLY, out);
}

int ping_parse_v6(const void *buf, size_t len, struct ping_echo *out)
{
    return parse_icmp(buf, len, PING_ICMP6_ECHO_REQUEST, PING_ICMP6_ECHO_REPLY, out);
}
