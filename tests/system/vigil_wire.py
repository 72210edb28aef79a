"""Vigil udp-link datagrams in Python (docs/wire-format.md), for tests.

Builds heartbeats and the group messages (right or wrong key, any header
field), parses headers and payloads as strictly as vigild does, and says which
drop reason the stateless checks of a receiver must give a datagram (checks
1-4 of docs/wire-format.md, in that order). Standard library only.
`python3 vigil_wire.py` runs its self-checks.
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
TYPE_VIEW = 2
TYPE_ASSIGN = 3
TYPE_REQUEST = 4
TYPE_REQUEST_ACK = 5
MAX_NODES = 64   # VIGIL_MAX_NODES
MAX_GROUPS = 64  # VIGIL_MAX_GROUPS
MAX_LINKS = 8    # VIGIL_MAX_LINKS
NONE = 0xFF      # no node, no group

GROUP_STATES = ("stopped", "starting", "running", "stopping", "failed", "stop-failed")
REQUEST_KINDS = {1: "move", 2: "move-clear", 3: "stop", 4: "start", 5: "standby", 6: "unstandby"}
# which kinds take a group, which a node
_REQUEST_ARGS = {1: (True, True), 2: (True, False), 3: (True, False), 4: (True, False),
                 5: (False, True), 6: (False, True)}
ACK_RESULTS = ("ok", "unknown-group", "unknown-node", "not-coordinator", "refused")
REFUSE_REASONS = {1: "no-quorum", 2: "not-in-policy"}
ADMIN_STOPPED = 0x01  # ASSIGN entry flag

_HEADER = struct.Struct(">IBBBBIHHQQQHH")  # 44 bytes
assert _HEADER.size == HEADER_LEN
_HB_FIXED = struct.Struct(">QQQIBB")       # 30 bytes
_HB_REPORT = struct.Struct(">QQBB")        # 18 bytes, after the seen entries
_ASSIGN_FIXED = struct.Struct(">QQQQB7xQ")  # 48 bytes
_REQUEST = struct.Struct(">QBBB5x")        # 16 bytes
_ACK = struct.Struct(">QBB6xQ")            # 24 bytes


class Malformed(ValueError):
    """A payload vigild drops as `malformed`."""


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


def _state_code(state):
    return GROUP_STATES.index(state) if isinstance(state, str) else state


def heartbeat_payload(epoch=0, echo_time=0, echo_delay=0, seen=(), members=0,
                      assign_seq=0, groups=(), admin_seq=0):
    """seen: iterable of (node_id, link_mask); groups: iterable of
    (state, failures), state a name of GROUP_STATES or its code."""
    seen, groups = list(seen), list(groups)
    out = _HB_FIXED.pack(epoch, members, echo_time, echo_delay, len(seen), 0)
    for node, mask in seen:
        out += struct.pack(">HBB", node, mask, 0)
    out += _HB_REPORT.pack(assign_seq, admin_seq, len(groups), 0)
    for state, failures in groups:
        out += struct.pack(">BBH", _state_code(state), min(failures, 255), 0)
    return out


def parse_heartbeat(payload):
    """The fields of a heartbeat payload as a dict (group states by name);
    raises Malformed where vigild would drop it."""
    if len(payload) < _HB_FIXED.size:
        raise Malformed("heartbeat shorter than %d bytes" % _HB_FIXED.size)
    epoch, members, echo_time, echo_delay, n, res = _HB_FIXED.unpack_from(payload)
    if res or n > MAX_NODES:
        raise Malformed("heartbeat: reserved byte %d, %d seen entries" % (res, n))
    at = _HB_FIXED.size + 4 * n
    if len(payload) < at + _HB_REPORT.size:
        raise Malformed("heartbeat: no group report part")
    seen = []
    for i in range(n):
        node, mask, res = struct.unpack_from(">HBB", payload, _HB_FIXED.size + 4 * i)
        if res or not 1 <= node <= MAX_NODES:
            raise Malformed("heartbeat: seen entry %d: node %d, reserved %d" % (i, node, res))
        seen.append((node, mask))
    assign_seq, admin_seq, g, res = _HB_REPORT.unpack_from(payload, at)
    at += _HB_REPORT.size
    if res or g > MAX_GROUPS or len(payload) != at + 4 * g:
        raise Malformed("heartbeat: %d groups in %d bytes, reserved %d" % (g, len(payload), res))
    groups = []
    for i in range(g):
        state, failures, res = struct.unpack_from(">BBH", payload, at + 4 * i)
        if res or state >= len(GROUP_STATES):
            raise Malformed("heartbeat: group %d: state %d, reserved %d" % (i, state, res))
        groups.append((GROUP_STATES[state], failures))
    return {"epoch": epoch, "members": members, "echo_time": echo_time,
            "echo_delay": echo_delay, "seen": seen, "assign_seq": assign_seq,
            "admin_seq": admin_seq, "groups": groups}


def assign_payload(epoch, seq, admin_seq=0, standby=0, groups=(), fenced=0):
    """groups: iterable of (node_index, move_target, flags); NONE for none."""
    groups = list(groups)
    out = _ASSIGN_FIXED.pack(epoch, seq, admin_seq, standby, len(groups), fenced)
    for node, move, flags in groups:
        out += struct.pack(">BBBB", node, move, flags, 0)
    return out


def _index_ok(v, limit):
    return v == NONE or v < limit


def parse_assign(payload):
    if len(payload) < _ASSIGN_FIXED.size or any(payload[33:40]):
        raise Malformed("ASSIGN: short, or reserved bytes set")
    epoch, seq, admin_seq, standby, g, fenced = _ASSIGN_FIXED.unpack_from(payload)
    if not epoch or not seq or g > MAX_GROUPS or len(payload) != _ASSIGN_FIXED.size + 4 * g:
        raise Malformed("ASSIGN: epoch %d seq %d, %d groups in %d bytes"
                        % (epoch, seq, g, len(payload)))
    groups = []
    for i in range(g):
        node, move, flags, res = struct.unpack_from(">BBBB", payload, _ASSIGN_FIXED.size + 4 * i)
        if res or flags & ~ADMIN_STOPPED or not _index_ok(node, MAX_NODES) \
                or not _index_ok(move, MAX_NODES):
            raise Malformed("ASSIGN: group %d: %d %d %d %d" % (i, node, move, flags, res))
        groups.append((node, move, flags))
    return {"epoch": epoch, "seq": seq, "admin_seq": admin_seq, "standby": standby,
            "fenced": fenced, "groups": groups}


def request_payload(req_id, kind, group=NONE, node=NONE):
    """kind: a name of REQUEST_KINDS or its code."""
    if isinstance(kind, str):
        kind = {v: k for k, v in REQUEST_KINDS.items()}[kind]
    return _REQUEST.pack(req_id, kind, group, node)


def _arg_ok(v, takes, limit):
    """An index where the kind takes one, NONE where it does not."""
    return v < limit if takes else v == NONE


def parse_request(payload):
    if len(payload) != _REQUEST.size or any(payload[11:16]):
        raise Malformed("REQUEST: %d bytes, or reserved bytes set" % len(payload))
    req_id, kind, group, node = _REQUEST.unpack(payload)
    if not req_id or kind not in _REQUEST_ARGS \
            or not _arg_ok(group, _REQUEST_ARGS[kind][0], MAX_GROUPS) \
            or not _arg_ok(node, _REQUEST_ARGS[kind][1], MAX_NODES):
        raise Malformed("REQUEST: id %d kind %d group %d node %d" % (req_id, kind, group, node))
    return {"id": req_id, "kind": REQUEST_KINDS[kind], "group": group, "node": node}


def request_ack_payload(req_id, result, reason=0, admin_seq=0):
    """result: a name of ACK_RESULTS or its code; reason: a code of REFUSE_REASONS."""
    if isinstance(result, str):
        result = ACK_RESULTS.index(result)
    return _ACK.pack(req_id, result, reason, admin_seq)


def parse_request_ack(payload):
    if len(payload) != _ACK.size or any(payload[10:16]):
        raise Malformed("REQUEST_ACK: %d bytes, or reserved bytes set" % len(payload))
    req_id, result, reason, admin_seq = _ACK.unpack(payload)
    refused = result == ACK_RESULTS.index("refused")
    if not req_id or result >= len(ACK_RESULTS) \
            or (reason not in REFUSE_REASONS if refused else reason != 0):
        raise Malformed("REQUEST_ACK: id %d result %d reason %d" % (req_id, result, reason))
    return {"id": req_id, "result": ACK_RESULTS[result],
            "reason": REFUSE_REASONS.get(reason) if refused else None, "admin_seq": admin_seq}


def parse_view(payload):
    if len(payload) != 32 or not 1 <= payload[0] <= 4 or any(payload[1:8]):
        raise Malformed("view message: %d bytes" % len(payload))
    epoch, members, aux = struct.unpack_from(">QQQ", payload, 8)
    return {"kind": payload[0], "epoch": epoch, "members": members, "aux": aux}


_PARSERS = {TYPE_HEARTBEAT: parse_heartbeat, TYPE_VIEW: parse_view, TYPE_ASSIGN: parse_assign,
            TYPE_REQUEST: parse_request, TYPE_REQUEST_ACK: parse_request_ack}


def parse(data, cluster, key):
    """(header dict, payload dict) of an authentic, well-formed datagram; raises
    Malformed with the drop reason vigild's decoder would count otherwise."""
    why = expected_stateless_drop(data, cluster, key)
    if why:
        raise Malformed(why)
    h = parse_header(data)
    end = HEADER_LEN + h["payload_len"]
    if len(data) != end + MAC_LEN or h["flags"] or data[42:44] != b"\0\0" \
            or h["link"] >= MAX_LINKS or h["type"] not in _PARSERS:
        raise Malformed("malformed")
    return h, _PARSERS[h["type"]](data[HEADER_LEN:end])


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


def _selftest():
    key, cluster = bytes(range(32)), "web"
    groups = [("running", 0), ("stop-failed", 300), (0, 2)]
    hb = heartbeat_payload(7, 1111, 22, [(1, 3), (3, 1)], 5, assign_seq=9, groups=groups,
                           admin_seq=0x305)
    assert len(hb) == 30 + 8 + 18 + 12
    p = parse_heartbeat(hb)
    assert p["seen"] == [(1, 3), (3, 1)] and p["assign_seq"] == 9 and p["admin_seq"] == 0x305
    assert p["groups"] == [("running", 0), ("stop-failed", 255), ("stopped", 2)]
    assert parse_heartbeat(heartbeat_payload())["groups"] == []
    assert len(heartbeat_payload()) == 48
    a = assign_payload(0x301, 1, 2, 0x4, [(0, NONE, 0), (NONE, NONE, ADMIN_STOPPED)])
    assert parse_assign(a)["groups"] == [(0, NONE, 0), (NONE, NONE, 1)]
    assert parse_assign(assign_payload(0x301, 1, fenced=0x6))["fenced"] == 0x6
    assert parse_request(request_payload(5, "move", 1, 2))["kind"] == "move"
    assert parse_request(request_payload(5, "standby", node=0))["group"] == NONE
    ack = parse_request_ack(request_ack_payload(5, "refused", 2, 7))
    assert ack["reason"] == "not-in-policy" and ack["admin_seq"] == 7
    d = build(key, cluster, 2, 1, 1, 1, 1, payload=hb)
    assert parse(d, cluster, key)[1]["groups"][0] == ("running", 0)
    assert parse(build(key, cluster, 2, 1, 1, 1, 1, payload=a, msg_type=TYPE_ASSIGN),
                 cluster, key)[1]["seq"] == 1
    bad = [
        (parse_heartbeat, hb[:30]),                           # without the report part
        (parse_heartbeat, hb[:-1]), (parse_heartbeat, hb + b"\0"),
        (parse_heartbeat, hb[:55] + b"\1" + hb[56:]),          # reserved after G
        (parse_heartbeat, hb[:56] + b"\6" + hb[57:]),          # state
        (parse_heartbeat, hb[:59] + b"\1"  + hb[60:]),         # entry reserved
        (parse_assign, a[:32] + b"\0" + a[33:]),               # G mismatch
        (parse_assign, a[:39] + b"\1" + a[40:]),               # reserved
        (parse_assign, a[:48] + bytes([MAX_NODES]) + a[49:]),  # node index
        (parse_assign, a[:54] + b"\2" + a[55:]),               # flag
        (parse_assign, assign_payload(0, 1)), (parse_assign, assign_payload(1, 0)),
        (parse_assign, assign_payload(1, 1)[:32] + bytes([65]) + bytes(15) + bytes(260)),
        (parse_request, request_payload(5, "stop", 1, 2)),    # stop takes no node
        (parse_request, request_payload(5, "move", 1)),       # move takes a node
        (parse_request, request_payload(0, "start", 1)),      # id 0
        (parse_request, request_payload(5, 7, 1, 1)),
        (parse_request, request_payload(5, "start", 1) + b"\0"),
        (parse_request_ack, request_ack_payload(5, "ok", 1)),
        (parse_request_ack, request_ack_payload(5, "refused", 0)),
        (parse_request_ack, request_ack_payload(5, 5)),
    ]
    for i, (fn, payload) in enumerate(bad):
        try:
            fn(payload)
        except Malformed:
            continue
        raise AssertionError("bad payload %d accepted by %s" % (i, fn.__name__))
    print("vigil_wire: self-checks passed")


if __name__ == "__main__":
    _selftest()
