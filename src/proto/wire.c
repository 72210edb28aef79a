/* Heartbeat datagram codec; layout in docs/wire-format.md. */
#include "proto.h"

#include <errno.h>
#include <sodium.h>
#include <string.h>

#include "bytes.h"

#define HB_FIXED_LEN 30
#define VIEW_LEN 32
#define HB_ENTRY_LEN 4

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

int wire_encode_heartbeat(uint8_t *buf, size_t cap, const struct wire_header *h,
                          const struct wire_heartbeat *hb, const uint8_t key[VIGIL_KEY_BYTES])
{
    if (hb->n_seen > VIGIL_MAX_NODES)
        return -EINVAL;
    size_t payload = HB_FIXED_LEN + (size_t)hb->n_seen * HB_ENTRY_LEN;
    size_t total = WIRE_HEADER_LEN + payload + WIRE_MAC_LEN;
    if (total > cap)
        return -ENOSPC;

    put_header(buf, h, WIRE_HEARTBEAT, payload);
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
    mac_compute(buf + WIRE_HEADER_LEN + payload, buf, WIRE_HEADER_LEN + payload, key);
    return (int)total;
}

int wire_encode_view(uint8_t *buf, size_t cap, const struct wire_header *h,
                     const struct wire_view *v, const uint8_t key[VIGIL_KEY_BYTES])
{
    size_t total = WIRE_HEADER_LEN + VIEW_LEN + WIRE_MAC_LEN;

    if (v->kind < 1 || v->kind > 4)
        return -EINVAL;
    if (total > cap)
        return -ENOSPC;
    put_header(buf, h, WIRE_VIEW, VIEW_LEN);
    uint8_t *p = buf + WIRE_HEADER_LEN;
    memset(p, 0, 8);
    p[0] = v->kind;
    put_u64(p + 8, v->epoch);
    put_u64(p + 16, v->members);
    put_u64(p + 24, v->aux);
    mac_compute(buf + WIRE_HEADER_LEN + VIEW_LEN, buf, WIRE_HEADER_LEN + VIEW_LEN, key);
    return (int)total;
}

/* The payload of a view message, already authenticated. */
static int decode_view(const uint8_t *p, size_t len, struct wire_view *v)
{
    if (len != VIEW_LEN || p[0] < 1 || p[0] > 4)
        return -1;
    for (int i = 1; i < 8; i++)
        if (p[i])
            return -1;
    v->kind = p[0];
    v->epoch = get_u64(p + 8);
    v->members = get_u64(p + 16);
    v->aux = get_u64(p + 24);
    return 0;
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
    if (len != HB_FIXED_LEN + (size_t)hb->n_seen * HB_ENTRY_LEN)
        return -1;
    for (unsigned i = 0; i < hb->n_seen; i++) {
        const uint8_t *e = p + HB_FIXED_LEN + i * HB_ENTRY_LEN;
        hb->seen[i].node = get_u16(e);
        hb->seen[i].links = e[2];
        if (e[3] != 0 || hb->seen[i].node == 0 || hb->seen[i].node > VIGIL_MAX_NODES)
            return -1;
    }
    return 0;
}

int wire_decode(const uint8_t *buf, size_t len, uint32_t cluster_id,
                const uint8_t key[VIGIL_KEY_BYTES], struct wire_header *h,
                struct wire_heartbeat *hb, struct wire_view *view, enum drop_reason *why)
{
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
    if (h->link >= VIGIL_MAX_LINKS ||
        (h->type == WIRE_HEARTBEAT && decode_heartbeat(buf + WIRE_HEADER_LEN, payload, hb) < 0) ||
        (h->type == WIRE_VIEW && decode_view(buf + WIRE_HEADER_LEN, payload, view) < 0) ||
        (h->type != WIRE_HEARTBEAT && h->type != WIRE_VIEW)) {
        *why = DROP_MALFORMED;
        return -1;
    }
    return 0;
}
