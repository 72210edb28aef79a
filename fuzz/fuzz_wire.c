/* wire_decode(): every datagram from the network goes through it before
 * anything else looks at it (docs/wire-format.md): heartbeats and view
 * messages.
 *
 * Input: one mode byte, then a datagram (or, in STRUCT mode, the fields of one).
 *   FIX_MAC      recompute the HMAC over the declared header + payload and write
 *                it where the decoder looks, so that mutations reach the payload
 *                checks behind the MAC instead of stopping at bad_mac;
 *   ANY_CLUSTER  decode under the cluster id the datagram names;
 *   STRUCT       build a heartbeat or a view message from the bytes, encode it,
 *                decode it.
 * Properties:
 *   - a datagram that decodes re-encodes, under the same key, to the very same
 *     bytes (nothing the decoder accepts is lost or normalised away);
 *   - a dropped datagram has one of the reasons the pure decoder may give (the
 *     others need state: unknown node, replay, incarnations);
 *   - an encoded message decodes exactly when its fields are in range
 *     (link < VIGIL_MAX_LINKS, seen node ids 1..VIGIL_MAX_NODES, view kind
 *     1..4), and then to the same fields. */
#include <errno.h>
#include <sodium.h>

#include "../src/proto/bytes.h"
#include "../src/proto/proto.h"
#include "fuzz.h"

#define FIX_MAC 0x01
#define ANY_CLUSTER 0x02
#define STRUCT 0x04

static uint32_t cluster_id;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    if (sodium_init() < 0)
        abort();
    cluster_id = wire_cluster_id(FUZZ_CLUSTER);
    return 0;
}

static void check_same(const struct wire_header *a, const struct wire_heartbeat *x,
                       const struct wire_view *v, const struct wire_header *b,
                       const struct wire_heartbeat *y, const struct wire_view *w)
{
    FUZZ_CHECK(a->type == b->type && a->link == b->link && a->cluster_id == b->cluster_id &&
                   a->sender == b->sender && a->dest == b->dest &&
                   a->incarnation == b->incarnation && a->seq == b->seq &&
                   a->send_time == b->send_time,
               "header fields differ after a round trip");
    if (a->type == WIRE_VIEW) {
        FUZZ_CHECK(v->kind == w->kind && v->epoch == w->epoch && v->members == w->members &&
                       v->aux == w->aux,
                   "view fields differ after a round trip");
        return;
    }
    FUZZ_CHECK(x->epoch == y->epoch && x->members == y->members && x->echo_time == y->echo_time &&
                   x->echo_delay == y->echo_delay && x->n_seen == y->n_seen,
               "heartbeat fields differ after a round trip");
    for (unsigned i = 0; i < x->n_seen; i++)
        FUZZ_CHECK(x->seen[i].node == y->seen[i].node && x->seen[i].links == y->seen[i].links,
                   "seen[%u] differs after a round trip", i);
}

static int encode(uint8_t *buf, size_t cap, const struct wire_header *h,
                  const struct wire_heartbeat *hb, const struct wire_view *v)
{
    if (h->type == WIRE_VIEW)
        return wire_encode_view(buf, cap, h, v, fuzz_key);
    return wire_encode_heartbeat(buf, cap, h, hb, fuzz_key);
}

/* Bytes -> datagram -> decode -> encode: the same bytes again. */
static void fuzz_decode(const uint8_t *data, size_t size, unsigned mode)
{
    uint8_t *buf = (uint8_t *)fuzz_dup(data, size);
    uint32_t cid = cluster_id;
    struct wire_header h, h2;
    struct wire_heartbeat hb, hb2;
    struct wire_view v, v2;
    enum drop_reason why = DROP__MAX;

    if ((mode & ANY_CLUSTER) && size >= 12)
        cid = get_u32(buf + 8);
    if ((mode & FIX_MAC) && size >= WIRE_HEADER_LEN + WIRE_MAC_LEN) {
        size_t payload = get_u16(buf + 40);
        if (WIRE_HEADER_LEN + payload + WIRE_MAC_LEN <= size)
            crypto_auth_hmacsha256(buf + WIRE_HEADER_LEN + payload, buf, WIRE_HEADER_LEN + payload,
                                   fuzz_key);
    }

    if (wire_decode(buf, size, cid, fuzz_key, &h, &hb, &v, &why) < 0) {
        FUZZ_CHECK(why == DROP_SHORT || why == DROP_BAD_MAGIC || why == DROP_BAD_VERSION ||
                       why == DROP_WRONG_CLUSTER || why == DROP_BAD_MAC || why == DROP_MALFORMED,
                   "wire_decode dropped with reason %d (%s), which it must not give", (int)why,
                   wire_drop_name(why));
        free(buf);
        return;
    }

    FUZZ_CHECK(h.cluster_id == cid, "decoded cluster id %08x, asked for %08x", h.cluster_id, cid);
    FUZZ_CHECK((h.type == WIRE_HEARTBEAT || h.type == WIRE_VIEW) && h.link < VIGIL_MAX_LINKS,
               "accepted type %u link %u", h.type, h.link);
    if (h.type == WIRE_VIEW) {
        FUZZ_CHECK(v.kind >= 1 && v.kind <= 4, "accepted view kind %u", v.kind);
    } else {
        FUZZ_CHECK(hb.n_seen <= VIGIL_MAX_NODES, "accepted %u seen entries", hb.n_seen);
        for (unsigned i = 0; i < hb.n_seen; i++)
            FUZZ_CHECK(hb.seen[i].node >= 1 && hb.seen[i].node <= VIGIL_MAX_NODES,
                       "accepted seen node %u", hb.seen[i].node);
    }

    uint8_t *again = malloc(size);
    if (!again)
        abort();
    int n = encode(again, size, &h, &hb, &v);
    FUZZ_CHECK(n == (int)size, "re-encoding an accepted %zu-byte datagram gave %d", size, n);
    FUZZ_CHECK(memcmp(again, buf, size) == 0, "re-encoding an accepted datagram gave other bytes");

    /* and what was re-encoded decodes to the same */
    FUZZ_CHECK(wire_decode(again, size, cid, fuzz_key, &h2, &hb2, &v2, &why) == 0,
               "the re-encoded datagram does not decode (%s)", wire_drop_name(why));
    check_same(&h, &hb, &v, &h2, &hb2, &v2);
    free(again);
    free(buf);
}

/* Fields -> encode -> decode: accepted exactly when in range, then equal. */
static void fuzz_encode(const uint8_t *data, size_t size)
{
    struct fuzz_reader r = {data, size};
    struct wire_header h = {0}, h2;
    struct wire_heartbeat hb = {0}, hb2;
    struct wire_view v = {0}, v2;
    uint8_t buf[WIRE_MAX_DATAGRAM];
    enum drop_reason why = DROP__MAX;
    int valid, n;

    h.type = fuzz_take(&r, 1) & 1 ? WIRE_VIEW : WIRE_HEARTBEAT;
    h.cluster_id = cluster_id;
    h.link = (uint8_t)fuzz_take(&r, 1);
    h.sender = (uint16_t)fuzz_take(&r, 2);
    h.dest = (uint16_t)fuzz_take(&r, 2);
    h.incarnation = fuzz_take(&r, 8);
    h.seq = fuzz_take(&r, 8);
    h.send_time = fuzz_take(&r, 8);
    valid = h.link < VIGIL_MAX_LINKS;
    if (h.type == WIRE_VIEW) {
        v.kind = (uint8_t)fuzz_take(&r, 1);
        v.epoch = fuzz_take(&r, 8);
        v.members = fuzz_take(&r, 8);
        v.aux = fuzz_take(&r, 8);
        if (v.kind < 1 || v.kind > 4) {
            FUZZ_CHECK(wire_encode_view(buf, sizeof(buf), &h, &v, fuzz_key) == -EINVAL,
                       "encoded a view message of kind %u", v.kind);
            return;
        }
    } else {
        hb.epoch = fuzz_take(&r, 8);
        hb.members = fuzz_take(&r, 8);
        hb.echo_time = fuzz_take(&r, 8);
        hb.echo_delay = (uint32_t)fuzz_take(&r, 4);
        hb.n_seen = (uint8_t)fuzz_take(&r, 1);
        if (hb.n_seen > VIGIL_MAX_NODES) {
            FUZZ_CHECK(wire_encode_heartbeat(buf, sizeof(buf), &h, &hb, fuzz_key) == -EINVAL,
                       "encoded a heartbeat with %u seen entries", hb.n_seen);
            return;
        }
        for (unsigned i = 0; i < hb.n_seen; i++) {
            hb.seen[i].node = (uint16_t)fuzz_take(&r, 2);
            hb.seen[i].links = (uint8_t)fuzz_take(&r, 1);
            if (hb.seen[i].node == 0 || hb.seen[i].node > VIGIL_MAX_NODES)
                valid = 0;
        }
    }

    n = encode(buf, sizeof(buf), &h, &hb, &v);
    FUZZ_CHECK(n >= WIRE_HEADER_LEN + WIRE_MAC_LEN, "encoding failed: %d", n);
    int r2 = wire_decode(buf, (size_t)n, cluster_id, fuzz_key, &h2, &hb2, &v2, &why);
    if (!valid) {
        FUZZ_CHECK(r2 < 0 && why == DROP_MALFORMED,
                   "an out-of-range message (link %u) decoded (or dropped as %s)", h.link,
                   r2 < 0 ? wire_drop_name(why) : "-");
        return;
    }
    FUZZ_CHECK(r2 == 0, "a freshly encoded message was dropped as %s", wire_drop_name(why));
    check_same(&h, &hb, &v, &h2, &hb2, &v2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (data[0] & STRUCT)
        fuzz_encode(data + 1, size - 1);
    else
        fuzz_decode(data + 1, size - 1, data[0]);
    return 0;
}
