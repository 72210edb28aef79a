/* wire_decode(): every datagram from the network goes through it before
 * anything else looks at it (docs/wire-format.md): heartbeats (with their
 * group reports), view messages, ASSIGN, REQUEST and REQUEST_ACK.
 *
 * Input: one mode byte, then a datagram (or, in STRUCT mode, the fields of one).
 *   FIX_MAC      recompute the HMAC over the declared header + payload and write
 *                it where the decoder looks, so that mutations reach the payload
 *                checks behind the MAC instead of stopping at bad_mac;
 *   ANY_CLUSTER  decode under the cluster id the datagram names;
 *   STRUCT       build a message of any type from the bytes, encode it, decode it.
 * Properties:
 *   - a datagram that decodes re-encodes, under the same key, to the very same
 *     bytes (nothing the decoder accepts is lost or normalised away);
 *   - a dropped datagram has one of the reasons the pure decoder may give (the
 *     others need state: unknown node, replay, incarnations);
 *   - an accepted message has its fields in range (fields_ok below: this
 *     file's own reading of docs/wire-format.md);
 *   - the encoder refuses (-EINVAL) exactly the messages whose counts,
 *     states, kinds, flags or indexes are out of range (heartbeats: not the
 *     seen node ids, which it writes as given); an encoded message decodes
 *     exactly when all its fields are in range and link < VIGIL_MAX_LINKS,
 *     and then to the same fields. */
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

static bool index_ok(uint8_t v, unsigned max)
{
    return v == WIRE_NONE || v < max;
}

/* Whether the payload fields of m are in range. seen: also the heartbeat's
 * seen node ids (which the encoder does not check, the decoder does). */
static bool fields_ok(const struct wire_msg *m, bool seen)
{
    switch (m->h.type) {
    case WIRE_HEARTBEAT: {
        const struct wire_heartbeat *hb = &m->hb;
        if (hb->n_seen > VIGIL_MAX_NODES || hb->n_groups > VIGIL_MAX_GROUPS)
            return false;
        for (unsigned i = 0; seen && i < hb->n_seen; i++)
            if (hb->seen[i].node < 1 || hb->seen[i].node > VIGIL_MAX_NODES)
                return false;
        for (unsigned i = 0; i < hb->n_groups; i++)
            if (hb->groups[i].state > 5)
                return false;
        return true;
    }
    case WIRE_VIEW:
        return m->view.kind >= 1 && m->view.kind <= 4;
    case WIRE_ASSIGN: {
        const struct wire_assign *a = &m->assign;
        if (!a->epoch || !a->seq || a->n_groups > VIGIL_MAX_GROUPS)
            return false;
        for (unsigned i = 0; i < a->n_groups; i++)
            if (!index_ok(a->groups[i].node, VIGIL_MAX_NODES) ||
                !index_ok(a->groups[i].move_target, VIGIL_MAX_NODES) || a->groups[i].flags > 1)
                return false;
        return true;
    }
    case WIRE_REQUEST: {
        const struct wire_request *r = &m->request;
        /* kinds 1-4 take a group, 1, 5 and 6 a node */
        bool group = r->kind >= 1 && r->kind <= 4, node = r->kind == 1 || r->kind >= 5;
        return r->id && r->kind >= 1 && r->kind <= 6 &&
               (group ? r->group < VIGIL_MAX_GROUPS : r->group == 0xff) &&
               (node ? r->node < VIGIL_MAX_NODES : r->node == 0xff);
    }
    case WIRE_REQUEST_ACK: {
        const struct wire_request_ack *a = &m->ack;
        return a->id && a->result <= 4 &&
               (a->result == 4 ? a->reason >= 1 && a->reason <= 2 : a->reason == 0);
    }
    default:
        return false;
    }
}

static void check_same(const struct wire_msg *a, const struct wire_msg *b)
{
    const struct wire_header *x = &a->h, *y = &b->h;

    FUZZ_CHECK(x->type == y->type && x->link == y->link && x->cluster_id == y->cluster_id &&
                   x->sender == y->sender && x->dest == y->dest &&
                   x->incarnation == y->incarnation && x->seq == y->seq &&
                   x->send_time == y->send_time,
               "header fields differ after a round trip");
    switch (x->type) {
    case WIRE_HEARTBEAT:
        FUZZ_CHECK(a->hb.epoch == b->hb.epoch && a->hb.members == b->hb.members &&
                       a->hb.echo_time == b->hb.echo_time && a->hb.echo_delay == b->hb.echo_delay &&
                       a->hb.n_seen == b->hb.n_seen && a->hb.assign_seq == b->hb.assign_seq &&
                       a->hb.admin_seq == b->hb.admin_seq && a->hb.n_groups == b->hb.n_groups,
                   "heartbeat fields differ after a round trip");
        for (unsigned i = 0; i < a->hb.n_seen; i++)
            FUZZ_CHECK(a->hb.seen[i].node == b->hb.seen[i].node &&
                           a->hb.seen[i].links == b->hb.seen[i].links,
                       "seen[%u] differs after a round trip", i);
        for (unsigned i = 0; i < a->hb.n_groups; i++)
            FUZZ_CHECK(a->hb.groups[i].state == b->hb.groups[i].state &&
                           a->hb.groups[i].failures == b->hb.groups[i].failures,
                       "group report %u differs after a round trip", i);
        break;
    case WIRE_VIEW:
        FUZZ_CHECK(a->view.kind == b->view.kind && a->view.epoch == b->view.epoch &&
                       a->view.members == b->view.members && a->view.aux == b->view.aux,
                   "view fields differ after a round trip");
        break;
    case WIRE_ASSIGN:
        FUZZ_CHECK(a->assign.epoch == b->assign.epoch && a->assign.seq == b->assign.seq &&
                       a->assign.admin_seq == b->assign.admin_seq &&
                       a->assign.standby == b->assign.standby &&
                       a->assign.fenced == b->assign.fenced &&
                       a->assign.n_groups == b->assign.n_groups,
                   "ASSIGN fields differ after a round trip");
        for (unsigned i = 0; i < a->assign.n_groups; i++)
            FUZZ_CHECK(a->assign.groups[i].node == b->assign.groups[i].node &&
                           a->assign.groups[i].move_target == b->assign.groups[i].move_target &&
                           a->assign.groups[i].flags == b->assign.groups[i].flags,
                       "ASSIGN group %u differs after a round trip", i);
        break;
    case WIRE_REQUEST:
        FUZZ_CHECK(a->request.id == b->request.id && a->request.kind == b->request.kind &&
                       a->request.group == b->request.group && a->request.node == b->request.node,
                   "REQUEST fields differ after a round trip");
        break;
    case WIRE_REQUEST_ACK:
        FUZZ_CHECK(a->ack.id == b->ack.id && a->ack.result == b->ack.result &&
                       a->ack.reason == b->ack.reason && a->ack.admin_seq == b->ack.admin_seq,
                   "REQUEST_ACK fields differ after a round trip");
        break;
    default:
        FUZZ_CHECK(0, "type %u", x->type);
    }
}

/* Bytes -> datagram -> decode -> encode: the same bytes again. */
static void fuzz_decode(const uint8_t *data, size_t size, unsigned mode)
{
    uint8_t *buf = (uint8_t *)fuzz_dup(data, size);
    uint32_t cid = cluster_id;
    struct wire_msg m, m2;
    enum drop_reason why = DROP__MAX;

    if ((mode & ANY_CLUSTER) && size >= 12)
        cid = get_u32(buf + 8);
    if ((mode & FIX_MAC) && size >= WIRE_HEADER_LEN + WIRE_MAC_LEN) {
        size_t payload = get_u16(buf + 40);
        if (WIRE_HEADER_LEN + payload + WIRE_MAC_LEN <= size)
            crypto_auth_hmacsha256(buf + WIRE_HEADER_LEN + payload, buf, WIRE_HEADER_LEN + payload,
                                   fuzz_key);
    }

    if (wire_decode(buf, size, cid, fuzz_key, &m, &why) < 0) {
        FUZZ_CHECK(why == DROP_SHORT || why == DROP_BAD_MAGIC || why == DROP_BAD_VERSION ||
                       why == DROP_WRONG_CLUSTER || why == DROP_BAD_MAC || why == DROP_MALFORMED,
                   "wire_decode dropped with reason %d (%s), which it must not give", (int)why,
                   wire_drop_name(why));
        free(buf);
        return;
    }

    FUZZ_CHECK(m.h.cluster_id == cid, "decoded cluster id %08x, asked for %08x", m.h.cluster_id,
               cid);
    FUZZ_CHECK(m.h.type >= WIRE_HEARTBEAT && m.h.type <= WIRE_REQUEST_ACK &&
                   m.h.link < VIGIL_MAX_LINKS,
               "accepted type %u link %u", m.h.type, m.h.link);
    FUZZ_CHECK(fields_ok(&m, true), "accepted a message of type %u with fields out of range",
               m.h.type);

    uint8_t *again = malloc(size);
    if (!again)
        abort();
    int n = wire_encode(again, size, &m, fuzz_key);
    FUZZ_CHECK(n == (int)size, "re-encoding an accepted %zu-byte datagram gave %d", size, n);
    FUZZ_CHECK(memcmp(again, buf, size) == 0, "re-encoding an accepted datagram gave other bytes");

    /* and what was re-encoded decodes to the same */
    FUZZ_CHECK(wire_decode(again, size, cid, fuzz_key, &m2, &why) == 0,
               "the re-encoded datagram does not decode (%s)", wire_drop_name(why));
    check_same(&m, &m2);
    free(again);
    free(buf);
}

/* The payload fields of m.h.type from the reader; counts may be past their
 * maximum, entries are read up to it. */
static void take_payload(struct fuzz_reader *r, struct wire_msg *m)
{
    switch (m->h.type) {
    case WIRE_HEARTBEAT: {
        struct wire_heartbeat *hb = &m->hb;
        hb->epoch = fuzz_take(r, 8);
        hb->members = fuzz_take(r, 8);
        hb->echo_time = fuzz_take(r, 8);
        hb->echo_delay = (uint32_t)fuzz_take(r, 4);
        hb->n_seen = (uint8_t)fuzz_take(r, 1);
        for (unsigned i = 0; i < hb->n_seen && i < VIGIL_MAX_NODES; i++) {
            hb->seen[i].node = (uint16_t)fuzz_take(r, 2);
            hb->seen[i].links = (uint8_t)fuzz_take(r, 1);
        }
        hb->assign_seq = fuzz_take(r, 8);
        hb->admin_seq = fuzz_take(r, 8);
        hb->n_groups = (uint8_t)fuzz_take(r, 1);
        for (unsigned i = 0; i < hb->n_groups && i < VIGIL_MAX_GROUPS; i++) {
            hb->groups[i].state = (uint8_t)fuzz_take(r, 1);
            hb->groups[i].failures = (uint8_t)fuzz_take(r, 1);
        }
        break;
    }
    case WIRE_VIEW:
        m->view.kind = (uint8_t)fuzz_take(r, 1);
        m->view.epoch = fuzz_take(r, 8);
        m->view.members = fuzz_take(r, 8);
        m->view.aux = fuzz_take(r, 8);
        break;
    case WIRE_ASSIGN: {
        struct wire_assign *a = &m->assign;
        a->epoch = fuzz_take(r, 8);
        a->seq = fuzz_take(r, 8);
        a->admin_seq = fuzz_take(r, 8);
        a->standby = fuzz_take(r, 8);
        a->fenced = fuzz_take(r, 8);
        a->n_groups = (uint8_t)fuzz_take(r, 1);
        for (unsigned i = 0; i < a->n_groups && i < VIGIL_MAX_GROUPS; i++) {
            a->groups[i].node = (uint8_t)fuzz_take(r, 1);
            a->groups[i].move_target = (uint8_t)fuzz_take(r, 1);
            a->groups[i].flags = (uint8_t)fuzz_take(r, 1);
        }
        break;
    }
    case WIRE_REQUEST:
        m->request.id = fuzz_take(r, 8);
        m->request.kind = (uint8_t)fuzz_take(r, 1);
        m->request.group = (uint8_t)fuzz_take(r, 1);
        m->request.node = (uint8_t)fuzz_take(r, 1);
        break;
    case WIRE_REQUEST_ACK:
        m->ack.id = fuzz_take(r, 8);
        m->ack.result = (uint8_t)fuzz_take(r, 1);
        m->ack.reason = (uint8_t)fuzz_take(r, 1);
        m->ack.admin_seq = fuzz_take(r, 8);
        break;
    }
}

/* Fields -> encode -> decode: refused exactly when out of range, accepted
 * exactly when in range, then equal. */
static void fuzz_encode(const uint8_t *data, size_t size)
{
    struct fuzz_reader r = {data, size};
    struct wire_msg m, m2;
    uint8_t buf[WIRE_MAX_DATAGRAM];
    enum drop_reason why = DROP__MAX;

    memset(&m, 0, sizeof(m));
    /* byte 0: the type (0 and 1 keep the seeds of before: heartbeat, view) */
    m.h.type = (uint8_t)(fuzz_take(&r, 1) % WIRE_REQUEST_ACK + 1);
    m.h.cluster_id = cluster_id;
    m.h.link = (uint8_t)fuzz_take(&r, 1);
    m.h.sender = (uint16_t)fuzz_take(&r, 2);
    m.h.dest = (uint16_t)fuzz_take(&r, 2);
    m.h.incarnation = fuzz_take(&r, 8);
    m.h.seq = fuzz_take(&r, 8);
    m.h.send_time = fuzz_take(&r, 8);
    take_payload(&r, &m);

    int n = wire_encode(buf, sizeof(buf), &m, fuzz_key);
    if (!fields_ok(&m, false)) {
        FUZZ_CHECK(n == -EINVAL, "encoded an out-of-range message of type %u: %d", m.h.type, n);
        return;
    }
    FUZZ_CHECK(n >= WIRE_HEADER_LEN + WIRE_MAC_LEN, "encoding failed: %d", n);
    int r2 = wire_decode(buf, (size_t)n, cluster_id, fuzz_key, &m2, &why);
    if (!fields_ok(&m, true) || m.h.link >= VIGIL_MAX_LINKS) {
        FUZZ_CHECK(r2 < 0 && why == DROP_MALFORMED,
                   "an out-of-range message (type %u link %u) decoded (or dropped as %s)", m.h.type,
                   m.h.link, r2 < 0 ? wire_drop_name(why) : "-");
        return;
    }
    FUZZ_CHECK(r2 == 0, "a freshly encoded message was dropped as %s", wire_drop_name(why));
    check_same(&m, &m2);
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
