/* ICMP echo prober for network-partition resolution: a node checks whether
 * it can still reach its ping targets (a router, a switch address), and a
 * side of a split that reaches none of them loses the tie-break.
 *
 * Two layers: the packet codec (ping_packet.c, pure, no I/O) and the pinger
 * (ping.c), which owns raw sockets and an sd-event timer, and never blocks. */
#ifndef VIGIL_PING_H
#define VIGIL_PING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <systemd/sd-event.h>

#include "../common/clock.h"

/* ---- Packet codec (ping_packet.c) ---- */

#define PING_ICMP4_ECHO_REPLY 0
#define PING_ICMP4_ECHO_REQUEST 8
#define PING_ICMP6_ECHO_REQUEST 128
#define PING_ICMP6_ECHO_REPLY 129

#define PING_HEADER_LEN 8  /* type, code, checksum, identifier, sequence */
#define PING_PAYLOAD_LEN 8 /* the send time, big-endian microseconds */
#define PING_PACKET_LEN (PING_HEADER_LEN + PING_PAYLOAD_LEN)

struct ping_echo {
    uint8_t type; /* one of the PING_ICMP*_ECHO_* above */
    uint16_t id;
    uint16_t seq;
    uint8_t payload[PING_PAYLOAD_LEN]; /* its first PING_PAYLOAD_LEN bytes */
};

/* Build an ICMPv4 echo request, checksum included, into buf: its length
 * (PING_PACKET_LEN) or -ENOSPC when cap is too small. */
int ping_build_v4(void *buf, size_t cap, uint16_t id, uint16_t seq,
                  const uint8_t payload[PING_PAYLOAD_LEN]);

/* Build an ICMPv6 echo request into buf with a zero checksum: the kernel
 * fills it in on raw IPPROTO_ICMPV6 sockets (it needs the pseudo-header). */
int ping_build_v6(void *buf, size_t cap, uint16_t id, uint16_t seq,
                  const uint8_t payload[PING_PAYLOAD_LEN]);

/* Parse what a raw IPPROTO_ICMP socket returns: an IPv4 header (IHL*4
 * bytes, options included), then the ICMP message, whose checksum must hold.
 * 0 for an echo request or reply with at least PING_PAYLOAD_LEN bytes of
 * data; -ENOMSG for any other ICMP type (to ignore); -EBADMSG when short,
 * truncated, not ICMP or with a bad checksum. */
int ping_parse_v4(const void *buf, size_t len, struct ping_echo *out);

/* Parse what a raw IPPROTO_ICMPV6 socket returns: the ICMPv6 message alone
 * (the kernel has checked its checksum). Same returns as ping_parse_v4. */
int ping_parse_v6(const void *buf, size_t len, struct ping_echo *out);

/* The Internet checksum (RFC 1071) of buf: 0 over a message whose checksum
 * field is right. */
uint16_t ping_checksum(const void *buf, size_t len);

/* The send time carried in the payload, big-endian. */
void ping_payload_put_time(uint8_t payload[PING_PAYLOAD_LEN], vg_usec_t t);
vg_usec_t ping_payload_time(const uint8_t payload[PING_PAYLOAD_LEN]);

/* ---- The pinger (ping.c) ---- */

#define PING_MAX_TARGETS 8

struct pinger;

struct pinger_target_status {
    struct sockaddr_storage addr;
    socklen_t len;
    vg_usec_t last_reply; /* 0: never */
    uint64_t sent;
    uint64_t received;    /* matched replies */
    uint64_t send_errors; /* ENETUNREACH, EHOSTUNREACH, EAGAIN...: no reply */
};

/* Start probing n (1..PING_MAX_TARGETS) IPv4 and/or IPv6 targets: every
 * `interval`, `count` echo requests to each target, spread evenly over the
 * interval; the first go out at once. Opens one raw socket per address
 * family (needs CAP_NET_RAW). Replies are matched by source address, this
 * pinger's random identifier and a sequence recently sent to that target.
 * 0, or -errno with a message in err (-EPERM without CAP_NET_RAW). */
int pinger_new(struct pinger **out, sd_event *ev, const char *name,
               const struct sockaddr_storage *targets, const socklen_t *lens, int n, int count,
               vg_usec_t interval, vg_usec_t timeout, int priority, char *err, size_t errlen);

/* True when at least one target answered within the last `timeout` before
 * now. False until the first reply. */
bool pinger_reachable(const struct pinger *p, vg_usec_t now);

/* When the last matched reply from any target arrived; 0: never. */
vg_usec_t pinger_last_reply(const struct pinger *p);

int pinger_target_count(const struct pinger *p);

/* Copy target i's status: 0, or -EINVAL when i is out of range. */
int pinger_target_status(const struct pinger *p, int i, struct pinger_target_status *out);

void pinger_free(struct pinger *p);

#endif
