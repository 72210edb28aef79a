/* Datagram codec of udp links: header, HMAC, and the payload of every
 * message type; layout in docs/wire-format.md. */
#include "proto.h"

#include <errno.h>
#include <sodium.h>
#include <string.h>

#include "bytes.h"

/* Payload sizes: fixed parts and per-entry sizes. */
#define HB_FIXED_LEN 30
#define HB_ENTRY_LEN 4
/* after the seen entries: ASSIGN sequence, admin sequence, G, reserved */
#define HB_REPORT_LEN 18
#define HB_GROUP_LEN 4
#define VIEW_LEN 32
#define ASSIGN_FIXED_LEN 48
#define ASSIGN_ENTRY_LEN 4
#define REQUEST_LEN 16
#define ACK_LEN 24

#define HB_MAX_LEN                                                                                 \
    (HB_FIXED_LEN + VIGIL_MAX_NODES * HB_ENTRY_LEN + HB_REPORT_LEN +                               \
     VIGIL_MAX_GROUPS * HB_GROUP_LEN)
_Static_assert(WIRE_HEADER_LEN + HB_MAX_LEN + WIRE_MAC_LEN <= WIRE_MAX_DATAGRAM,
               "a heartbeat with every node and every group must fit in one datagram");
_Static_assert(WIRE_HEADER_LEN + ASSIGN_FIXED_LEN + VIGIL_MAX_GROUPS * ASSIGN_ENTRY_LEN +
                       WIRE_MAC_LEN <=
                   WIRE_MAX_DATAGRAM,
               "an ASSIGN with every group must fit in one datagram");
_Static_assert(VIGIL_MAX_NODES < WIRE_NONE && VIGIL_MAX_GROUPS < WIRE_NONE,
               "WIRE_NONE must not be an index");

static const char *const drop_names[DROP__MAX] = {
    [DROP_SHORT] = "short",
    [DROP_BAD_MAGIC] = "bad_magic",
    [DROP_BAD_VERSION] = "bad_version",
    [DROP_WRONG_CLUSTER] = "wrong_cluster",
    [DROP_BAD_MAC] = "bad_mac",
    [DROP_MALFORMED] = "malformed",
    [DROP_UNKNOWN_NODE] = "unknown_node",
    [DROP_WRONG_DESTINATION] = "wrong_destination",
    [DROP_WRONG_LINK] = "wrong_link",
    [DROP_REPLAY] = "replay",
    [DROP_STALE_INCARNATION] = "stale_incarnation",
    [DROP_UNKNOWN_INCARNATION] = "unknown_incarnation",
    [DROP_UNEXPECTED] = "unexpected",
};

const char *wire_drop_name(enum drop_reason r)
{
    return (unsigned)r < DROP__MAX ? drop_names[r] : "invalid";
}

uint32_t wire_cluster_id(const char *cluster_name)
{
    uint8_t digest[32];

    crypto_generichash(digest, sizeof(digest), (const uint8_t *)cluster_name, strlen(cluster_name),
                       NULL, 0);
    return get_u32(digest);
}

static void mac_compute(uint8_t out[WIRE_MAC_LEN], const uint8_t *buf, size_t len,
                        const uint8_t key[VIGIL_KEY_BYTES])
{
    crypto_auth_hmacsha256_state st;

    crypto_auth_hmacsha256_init(&st, key, VIGIL_KEY_BYTES);
    crypto_auth_hmacsha256_update(&st, buf, len);
    crypto_auth_hmacsha256_final(&st, out);
}

/* The header of any message, with its payload length. */
static void put_header(uint8_t *buf, const struct wire_header *h, uint8_t type, size_t payload)
{
    put_u32(buf, WIRE_MAGIC);
    buf[4] = WIRE_VERSION;
    buf[5] = type;
    buf[6] = h->link;
    buf[7] = 0;
    put_u32(buf + 8, h->cluster_id);
    put_u16(buf + 12, h->sender);
    put_u16(buf + 14, h->dest);
    put_u64(buf + 16, h->incarnation);
    put_u64(buf + 24, h->seq);
    put_u64(buf + 32, h->send_time);
    put_u16(buf + 40, (uint16_t)payload);
    put_u16(buf + 42, 0);
}

static bool fits(size_t cap, size_t payload)
{
    return WIRE_HEADER_LEN + payload + WIRE_MAC_LEN <= cap;
}

/* Header and MAC around a payload already written at buf + WIRE_HEADER_LEN;
 * the caller checked that it fits. Returns the datagram's length. */
static int seal(uint8_t *buf, const struct wire_header *h, uint8_t type, size_t payload,
                const uint8_t key[VIGIL_KEY_BYTES])
{
    put_header(buf, h, type, payload);
    mac_compute(buf + WIRE_HEADER_LEN + payload, buf, WIRE_HEADER_LEN + payload, key);
    return (int)(WIRE_HEADER_LEN + payload + WIRE_MAC_LEN);
}

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

/* A node or group index field: an index below max, or WIRE_NONE. */
static bool index_ok(uint8_t v, unsigned max)
{
    return v == WIRE_NONE || v < max;
}

/* ---- Heartbeat (type 1) ---- */

/* The fields an encoder must refuse and a decoder drops (beyond lengths
 * and reserved bytes). Seen node ids are left to the decoder, so that the
 * encoder can still make a datagram a receiver drops (tests). */
static bool heartbeat_valid(const struct wire_heartbeat *hb)
{
    if (hb->n_seen > VIGIL_MAX_NODES || hb->n_groups > VIGIL_MAX_GROUPS)
        return false;
    for (unsigned i = 0; i < hb->n_groups; i++)
        if (hb->groups[i].state > WIRE_GROUP_STOP_FAILED)
            return false;
    return true;
}

int wire_encode_heartbeat(uint8_t *buf, size_t cap, const struct wire_header *h,
                          const struct wire_heartbeat *hb, const uint8_t key[VIGIL_KEY_BYTES])
{
    if (!heartbeat_valid(hb))
        return -EINVAL;
    size_t seen_end = HB_FIXED_LEN + (size_t)hb->n_seen * HB_ENTRY_LEN;
    size_t payload = seen_end + HB_REPORT_LEN + (size_t)hb->n_groups * HB_GROUP_LEN;
    if (!fits(cap, payload))
        return -ENOSPC;

    uint8_t *p = buf + WIRE_HEADER_LEN;
    put_u64(p, hb->epoch);
    put_u64(p + 8, hb->members);
    put_u64(p + 16, hb->echo_time);
    put_u32(p + 24, hb->echo_delay);
    p[28] = hb->n_seen;
    p[29] = 0;
    for (unsigned i = 0; i < hb->n_seen; i++) {
        uint8_t *e = p + HB_FIXED_LEN + i * HB_ENTRY_LEN;
        put_u16(e, hb->seen[i].node);
        e[2] = hb->seen[i].links;
        e[3] = 0;
    }
    uint8_t *r = p + seen_end;
    put_u64(r, hb->assign_seq);
    put_u64(r + 8, hb->admin_seq);
    r[16] = hb->n_groups;
    r[17] = 0;
    for (unsigned i = 0; i < hb->n_groups; i++) {
        uint8_t *e = r + HB_REPORT_LEN + i * HB_GROUP_LEN;
        e[0] = hb->groups[i].state;
        e[1] = hb->groups[i].failures;
        e[2] = e[3] = 0;
    }
    return seal(buf, h, WIRE_HEARTBEAT, payload, key);
}

/* The payload of a heartbeat, already authenticated. */
static int decode_heartbeat(const uint8_t *p, size_t len, struct wire_heartbeat *hb)
{
    if (len < HB_FIXED_LEN)
        return -1;
    hb->epoch = get_u64(p);
    hb->members = get_u64(p + 8);
    hb->echo_time = get_u64(p + 16);
    hb->echo_delay = get_u32(p + 24);
    hb->n_seen = p[28];
    if (p[29] != 0 || hb->n_seen > VIGIL_MAX_NODES)
        return -1;
    size_t seen_end = HB_FIXED_LEN + (size_t)hb->n_seen * HB_ENTRY_LEN;
    if (len < seen_end + HB_REPORT_LEN)
        return -1;
    for (unsigned i = 0; i < hb->n_seen; i++) {
        const uint8_t *e = p + HB_FIXED_LEN + i * HB_ENTRY_LEN;
        hb->seen[i].node = get_u16(e);
        hb->seen[i].links = e[2];
        if (e[3] != 0 || hb->seen[i].node == 0 || hb->seen[i].node > VIGIL_MAX_NODES)
            return -1;
    }
    const uint8_t *r = p + seen_end;
    hb->assign_seq = get_u64(r);
    hb->admin_seq = get_u64(r + 8);
    hb->n_groups = r[16];
    if (r[17] != 0 || hb->n_groups > VIGIL_MAX_GROUPS ||
        len != seen_end + HB_REPORT_LEN + (size_t)hb->n_groups * HB_GROUP_LEN)
        return -1;
    for (unsigned i = 0; i < hb->n_groups; i++) {
        const uint8_t *e = r + HB_REPORT_LEN + i * HB_GROUP_LEN;
        hb->groups[i].state = e[0];
        hb->groups[i].failures = e[1];
        if (e[2] != 0 || e[3] != 0)
            return -1;
    }
    return heartbeat_valid(hb) ? 0 : -1;
}

/* ---- View message (type 2) ---- */

int wire_encode_view(uint8_t *buf, size_t cap, const struct wire_header *h,
                     const struct wire_view *v, const uint8_t key[VIGIL_KEY_BYTES])
{
    if (v->kind < 1 || v->kind > 4)
        return -EINVAL;
    if (!fits(cap, VIEW_LEN))
        return -ENOSPC;
    uint8_t *p = buf + WIRE_HEADER_LEN;
    memset(p, 0, 8);
    p[0] = v->kind;
    put_u64(p + 8, v->epoch);
    put_u64(p + 16, v->members);
    put_u64(p + 24, v->aux);
    return seal(buf, h, WIRE_VIEW, VIEW_LEN, key);
}

/* The payload of a view message, already authenticated. */
static int decode_view(const uint8_t *p, size_t len, struct wire_view *v)
{
    if (len != VIEW_LEN || p[0] < 1 || p[0] > 4 || !all_zero(p + 1, 7))
        return -1;
    v->kind = p[0];
    v->epoch = get_u64(p + 8);
    v->members = get_u64(p + 16);
    v->aux = get_u64(p + 24);
    return 0;
}

/* ---- ASSIGN (type 3) ---- */

static bool assign_valid(const struct wire_assign *a)
{
    if (a->epoch == 0 || a->seq == 0 || a->n_groups > VIGIL_MAX_GROUPS)
        return false;
    for (unsigned i = 0; i < a->n_groups; i++) {
        const struct wire_assignment *g = &a->groups[i];
        if (!index_ok(g->node, VIGIL_MAX_NODES) || !index_ok(g->move_target, VIGIL_MAX_NODES) ||
            (g->flags & ~WIRE_ASSIGN_ADMIN_STOPPED))
            return false;
    }
    return true;
}

int wire_encode_assign(uint8_t *buf, size_t cap, const struct wire_header *h,
                       const struct wire_assign *a, const uint8_t key[VIGIL_KEY_BYTES])
{
    if (!assign_valid(a))
        return -EINVAL;
    size_t payload = ASSIGN_FIXED_LEN + (size_t)a->n_groups * ASSIGN_ENTRY_LEN;
    if (!fits(cap, payload))
        return -ENOSPC;
    uint8_t *p = buf + WIRE_HEADER_LEN;
    put_u64(p, a->epoch);
    put_u64(p + 8, a->seq);
    put_u64(p + 16, a->admin_seq);
    put_u64(p + 24, a->standby);
    p[32] = a->n_groups;
    memset(p + 33, 0, 7);
    put_u64(p + 40, a->fenced);
    for (unsigned i = 0; i < a->n_groups; i++) {
        uint8_t *e = p + ASSIGN_FIXED_LEN + i * ASSIGN_ENTRY_LEN;
        e[0] = a->groups[i].node;
        e[1] = a->groups[i].move_target;
        e[2] = a->groups[i].flags;
        e[3] = 0;
    }
    return seal(buf, h, WIRE_ASSIGN, payload, key);
}

static int decode_assign(const uint8_t *p, size_t len, struct wire_assign *a)
{
    if (len < ASSIGN_FIXED_LEN || !all_zero(p + 33, 7))
        return -1;
    a->epoch = get_u64(p);
    a->seq = get_u64(p + 8);
    a->admin_seq = get_u64(p + 16);
    a->standby = get_u64(p + 24);
    a->n_groups = p[32];
    a->fenced = get_u64(p + 40);
    if (a->n_groups > VIGIL_MAX_GROUPS ||
        len != ASSIGN_FIXED_LEN + (size_t)a->n_groups * ASSIGN_ENTRY_LEN)
        return -1;
    for (unsigned i = 0; i < a->n_groups; i++) {
        const uint8_t *e = p + ASSIGN_FIXED_LEN + i * ASSIGN_ENTRY_LEN;
        a->groups[i].node = e[0];
        a->groups[i].move_target = e[1];
        a->groups[i].flags = e[2];
        if (e[3] != 0)
            return -1;
    }
    return assign_valid(a) ? 0 : -1;
}

/* ---- REQUEST (type 4) ---- */

/* A kind's arguments: an index where it takes one, WIRE_NONE where not. */
static bool request_valid(const struct wire_request *r)
{
    bool group, node;

    switch (r->kind) {
    case WIRE_REQ_MOVE:
        group = node = true;
        break;
    case WIRE_REQ_MOVE_CLEAR:
    case WIRE_REQ_STOP:
    case WIRE_REQ_START:
        group = true;
        node = false;
        break;
    case WIRE_REQ_STANDBY:
    case WIRE_REQ_UNSTANDBY:
        group = false;
        node = true;
        break;
    default:
        return false;
    }
    return r->id != 0 && (group ? r->group < VIGIL_MAX_GROUPS : r->group == WIRE_NONE) &&
           (node ? r->node < VIGIL_MAX_NODES : r->node == WIRE_NONE);
}

int wire_encode_request(uint8_t *buf, size_t cap, const struct wire_header *h,
                        const struct wire_request *r, const uint8_t key[VIGIL_KEY_BYTES])
{
    if (!request_valid(r))
        return -EINVAL;
    if (!fits(cap, REQUEST_LEN))
        return -ENOSPC;
    uint8_t *p = buf + WIRE_HEADER_LEN;
    put_u64(p, r->id);
    p[8] = r->kind;
    p[9] = r->group;
    p[10] = r->node;
    memset(p + 11, 0, 5);
    return seal(buf, h, WIRE_REQUEST, REQUEST_LEN, key);
}

static int decode_request(const uint8_t *p, size_t len, struct wire_request *r)
{
    if (len != REQUEST_LEN || !all_zero(p + 11, 5))
        return -1;
    r->id = get_u64(p);
    r->kind = p[8];
    r->group = p[9];
    r->node = p[10];
    return request_valid(r) ? 0 : -1;
}

/* ---- REQUEST_ACK (type 5) ---- */

static bool ack_valid(const struct wire_request_ack *a)
{
    if (a->id == 0 || a->result > WIRE_ACK_REFUSED)
        return false;
    if (a->result == WIRE_ACK_REFUSED)
        return a->reason >= WIRE_REFUSED_NO_QUORUM && a->reason <= WIRE_REFUSED_NOT_IN_POLICY;
    return a->reason == 0;
}

int wire_encode_request_ack(uint8_t *buf, size_t cap, const struct wire_header *h,
                            const struct wire_request_ack *a, const uint8_t key[VIGIL_KEY_BYTES])
{
    if (!ack_valid(a))
        return -EINVAL;
    if (!fits(cap, ACK_LEN))
        return -ENOSPC;
    uint8_t *p = buf + WIRE_HEADER_LEN;
    put_u64(p, a->id);
    p[8] = a->result;
    p[9] = a->reason;
    memset(p + 10, 0, 6);
    put_u64(p + 16, a->admin_seq);
    return seal(buf, h, WIRE_REQUEST_ACK, ACK_LEN, key);
}

static int decode_request_ack(const uint8_t *p, size_t len, struct wire_request_ack *a)
{
    if (len != ACK_LEN || !all_zero(p + 10, 6))
        return -1;
    a->id = get_u64(p);
    a->result = p[8];
    a->reason = p[9];
    a->admin_seq = get_u64(p + 16);
    return ack_valid(a) ? 0 : -1;
}

/* ---- Any message ---- */

int wire_encode(uint8_t *buf, size_t cap, const struct wire_msg *m,
                const uint8_t key[VIGIL_KEY_BYTES])
{
    switch (m->h.type) {
    case WIRE_HEARTBEAT:
        return wire_encode_heartbeat(buf, cap, &m->h, &m->hb, key);
    case WIRE_VIEW:
        return wire_encode_view(buf, cap, &m->h, &m->view, key);
    case WIRE_ASSIGN:
        return wire_encode_assign(buf, cap, &m->h, &m->assign, key);
    case WIRE_REQUEST:
        return wire_encode_request(buf, cap, &m->h, &m->request, key);
    case WIRE_REQUEST_ACK:
        return wire_encode_request_ack(buf, cap, &m->h, &m->ack, key);
    default:
        return -EINVAL;
    }
}

/* The payload of an authenticated datagram, by its type: 0 or -1. */
static int decode_payload(const uint8_t *p, size_t len, struct wire_msg *m)
{
    switch (m->h.type) {
    case WIRE_HEARTBEAT:
        return decode_heartbeat(p, len, &m->hb);
    case WIRE_VIEW:
        return decode_view(p, len, &m->view);
    case WIRE_ASSIGN:
        return decode_assign(p, len, &m->assign);
    case WIRE_REQUEST:
        return decode_request(p, len, &m->request);
    case WIRE_REQUEST_ACK:
        return decode_request_ack(p, len, &m->ack);
    default:
        return -1;
    }
}

int wire_decode(const uint8_t *buf, size_t len, uint32_t cluster_id,
                const uint8_t key[VIGIL_KEY_BYTES], struct wire_msg *m, enum drop_reason *why)
{
    struct wire_header *h = &m->h;

    if (len < WIRE_HEADER_LEN + WIRE_MAC_LEN) {
        *why = DROP_SHORT;
        return -1;
    }
    if (get_u32(buf) != WIRE_MAGIC) {
        *why = DROP_BAD_MAGIC;
        return -1;
    }
    if (buf[4] != WIRE_VERSION) {
        *why = DROP_BAD_VERSION;
        return -1;
    }
    if (get_u32(buf + 8) != cluster_id) {
        *why = DROP_WRONG_CLUSTER;
        return -1;
    }
    size_t payload = get_u16(buf + 40);
    if (len < WIRE_HEADER_LEN + payload + WIRE_MAC_LEN) {
        *why = DROP_SHORT;
        return -1;
    }
    uint8_t mac[WIRE_MAC_LEN];
    mac_compute(mac, buf, WIRE_HEADER_LEN + payload, key);
    if (sodium_memcmp(mac, buf + WIRE_HEADER_LEN + payload, WIRE_MAC_LEN) != 0) {
        *why = DROP_BAD_MAC;
        return -1;
    }
    /* Authentic from here on; anything odd is a bug or a version mismatch. */
    if (len != WIRE_HEADER_LEN + payload + WIRE_MAC_LEN || buf[7] != 0 || get_u16(buf + 42) != 0) {
        *why = DROP_MALFORMED;
        return -1;
    }
    h->type = buf[5];
    h->link = buf[6];
    h->cluster_id = cluster_id;
    h->sender = get_u16(buf + 12);
    h->dest = get_u16(buf + 14);
    h->incarnation = get_u64(buf + 16);
    h->seq = get_u64(buf + 24);
    h->send_time = get_u64(buf + 32);
    if (h->link >= VIGIL_MAX_LINKS || decode_payload(buf + WIRE_HEADER_LEN, payload, m) < 0) {
        *why = DROP_MALFORMED;
        return -1;
    }
    return 0;
}
