"""Vigil udp-link datagrams in Python (docs/wire-format.md), for tests.

Builds heartbeats (right or wrong key, any header field), parses headers, and
says which drop reason the stateless checks of a receiver must give a datagram
(checks 1-4 of docs/wire-format.md, in that order). Standard library only.
"""

import hashlib
import hmac
import struct

MAGIC = 0x5647494C
VERSION = 1
HEADER_LEN = 44
MAC_LEN = 32
MIN_LEN = HEADER_LEN + MAC_LEN
TYPE_HEARTBEAT = 1

_HEADER = struct.Struct(">IBBBBIHHQQQHH")  # 44 bytes
assert _HEADER.size == HEADER_LEN


def cluster_id(name):
    """First 4 bytes of unkeyed BLAKE2b-256 of the cluster name, big-endian."""
    d = hashlib.blake2b(name.encode("utf-8"), digest_size=32).digest()
    return struct.unpack(">I", d[:4])[0]


def read_key(path):
    """The 32 key bytes of a key file (one line of 64 hex digits)."""
    with open(path, "r", encoding="ascii") as f:
        text = f.read().strip()
    key = bytes.fromhex(text.split()[0])
    if len(key) != 32:
        raise ValueError("%s: expected 64 hex digits, got %d bytes" % (path, len(key)))
    return key


def heartbeat_payload(epoch=0, echo_time=0, echo_delay=0, seen=(), members=0):
    """seen: iterable of (node_id, link_mask)."""
    seen = list(seen)
    out = struct.pack(">QQQIBB", epoch, members, echo_time, echo_delay, len(seen), 0)
    for node, mask in seen:
        out += struct.pack(">HBB", node, mask, 0)
    return out


def build(key, cluster, sender, dest, incarnation, seq, send_time_us, link=0,
          payload=None, magic=MAGIC, version=VERSION, msg_type=TYPE_HEARTBEAT,
          flags=0, cid=None):
    """One datagram, MAC'd with `key` (bytes). cluster: the cluster name."""
    if payload is None:
        payload = heartbeat_payload()
    if cid is None:
        cid = cluster_id(cluster)
    hdr = _HEADER.pack(magic, version, msg_type, link, flags, cid, sender, dest,
                       incarnation, seq, send_time_us, len(payload), 0)
    body = hdr + payload
    return body + hmac.new(key, body, hashlib.sha256).digest()


def parse_header(data):
    """dict of the header fields, or None when shorter than a header."""
    if len(data) < HEADER_LEN:
        return None
    (magic, version, msg_type, link, flags, cid, sender, dest, inc, seq, t,
     plen, _res) = _HEADER.unpack_from(data)
    return {"magic": magic, "version": version, "type": msg_type, "link": link,
            "flags": flags, "cluster_id": cid, "sender": sender, "dest": dest,
            "incarnation": inc, "seq": seq, "send_time": t, "payload_len": plen}


def verify_mac(key, data):
    h = parse_header(data)
    if h is None or len(data) < HEADER_LEN + h["payload_len"] + MAC_LEN:
        return False
    end = HEADER_LEN + h["payload_len"]
    want = hmac.new(key, data[:end], hashlib.sha256).digest()
    return hmac.compare_digest(want, data[end:end + MAC_LEN])


def expected_stateless_drop(data, cluster, key):
    """The drop counter the checks 1-4 of docs/wire-format.md must bump for
    `data`, or None when it passes them (authentic)."""
    if len(data) < MIN_LEN:
        return "short"
    h = parse_header(data)
    if h["magic"] != MAGIC:
        return "bad_magic"
    if h["version"] != VERSION:
        return "bad_version"
    if h["cluster_id"] != cluster_id(cluster):
        return "wrong_cluster"
    if len(data) < HEADER_LEN + h["payload_len"] + MAC_LEN:
        return "short"
    if not verify_mac(key, data):
        return "bad_mac"
    return None
