#!/usr/bin/python3
"""Packet tools that run INSIDE a lab network namespace, started as
`ip netns exec NS /usr/bin/python3 netns_helper.py CMD ...` by vigil_lab.

  capture --iface IF --src ADDR --dport PORT --count N --timeout S
      Read frames with an AF_PACKET socket on IF; keep incoming UDP datagrams
      from ADDR to PORT (IPv4 or IPv6). Prints one JSON object per datagram:
      {"frame": hex of the whole Ethernet frame, "payload": hex of the UDP
      payload}. Exits 0 when it has N, 2 on timeout (with what it has).

  inject --iface IF  (JSON lines as above on stdin)
      Send each frame, byte for byte, out of IF with an AF_PACKET socket, as
      if its original sender sent it again. Run it in the original sender's
      namespace so that the bridge forwards it to the original receiver.

  send --dst ADDR --port PORT  (hex datagrams on stdin, one per line)
      Send each as a UDP datagram from an ephemeral port. --pace N sleeps 1 ms
      after every N datagrams so that the receiver's buffer never overflows.

  recv --bind ADDR --port PORT --timeout S
      Print "ready", then one line "SRC_ADDR LEN" per datagram received
      until S seconds have passed or --count datagrams arrived.

  ping --dst ADDR --count N --timeout S
      ICMP / ICMPv6 echo with a raw socket (no ping binary needed); exit 0
      when a reply came back.

  http --url URL [--method M] [--body TEXT] [--token-file F] [--proxy URL]
       [--ca-file F] --timeout S
      One HTTP or HTTPS request with http.client (through an HTTP proxy with
      CONNECT when --proxy; verifying the server against --ca-file for
      https; `Authorization: Bearer TOKEN` from --token-file). Prints
      {"status": N, "body": TEXT} and exits 0 on any answer; exits 1 with the
      error on stderr when none came.

Standard library only; bounded in count and time.
"""

import argparse
import os
import ipaddress
import json
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4


def _udp_of_frame(frame):
    """(src_ip, dst_ip, sport, dport, payload) of a UDP frame, or None."""
    if len(frame) < 14:
        return None
    ethertype = struct.unpack_from(">H", frame, 12)[0]
    off = 14
    if ethertype == 0x8100 and len(frame) >= 18:  # VLAN tag
        ethertype = struct.unpack_from(">H", frame, 16)[0]
        off = 18
    if ethertype == 0x0800:
        if len(frame) < off + 20:
            return None
        ihl = (frame[off] & 0x0F) * 4
        if frame[off + 9] != 17:
            return None
        src = ipaddress.IPv4Address(frame[off + 12:off + 16])
        dst = ipaddress.IPv4Address(frame[off + 16:off + 20])
        total = struct.unpack_from(">H", frame, off + 2)[0]
        udp = off + ihl
        end = off + total
    elif ethertype == 0x86DD:
        if len(frame) < off + 40 or frame[off + 6] != 17:
            return None  # extension headers: not used by the lab
        src = ipaddress.IPv6Address(frame[off + 8:off + 24])
        dst = ipaddress.IPv6Address(frame[off + 24:off + 40])
        plen = struct.unpack_from(">H", frame, off + 4)[0]
        udp = off + 40
        end = udp + plen
    else:
        return None
    if len(frame) < udp + 8:
        return None
    sport, dport, ulen = struct.unpack_from(">HHH", frame, udp)
    payload = frame[udp + 8:min(end, udp + ulen, len(frame))]
    return src, dst, sport, dport, payload


def cmd_capture(a):
    want_src = ipaddress.ip_address(a.src)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((a.iface, 0))
    deadline = time.monotonic() + a.timeout
    got = 0
    for _ in range(100000):  # bounded: frames looked at
        left = deadline - time.monotonic()
        if left <= 0 or got >= a.count:
            break
        s.settimeout(left)
        try:
            frame, addr = s.recvfrom(65535)
        except socket.timeout:
            break
        if addr[2] == PACKET_OUTGOING:
            continue
        u = _udp_of_frame(frame)
        if u is None:
            continue
        src, _dst, _sport, dport, payload = u
        if src != want_src or dport != a.dport:
            continue
        print(json.dumps({"frame": frame.hex(), "payload": payload.hex()}), flush=True)
        got += 1
    s.close()
    return 0 if got >= a.count else 2


def _fix_udp_checksum(frame):
    """Frames captured on a veth often carry a partial (offloaded) UDP
    checksum; compute the real one so that the receiver accepts the copy."""
    f = bytearray(frame)
    ethertype = struct.unpack_from(">H", f, 12)[0]
    off = 14
    if ethertype == 0x0800:
        ihl = (f[off] & 0x0F) * 4
        if f[off + 9] != 17:
            return bytes(f)
        total = struct.unpack_from(">H", f, off + 2)[0]
        udp = off + ihl
        ulen = total - ihl
        pseudo = bytes(f[off + 12:off + 20]) + struct.pack(">BBH", 0, 17, ulen)
    elif ethertype == 0x86DD:
        if f[off + 6] != 17:
            return bytes(f)
        udp = off + 40
        ulen = struct.unpack_from(">H", f, off + 4)[0]
        pseudo = bytes(f[off + 8:off + 40]) + struct.pack(">IxxxB", ulen, 17)
    else:
        return bytes(f)
    struct.pack_into(">H", f, udp + 6, 0)
    c = _csum(pseudo + bytes(f[udp:udp + ulen]))
    struct.pack_into(">H", f, udp + 6, c or 0xFFFF)
    return bytes(f)


def cmd_inject(a):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((a.iface, 0))
    n = 0
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        s.send(_fix_udp_checksum(bytes.fromhex(json.loads(line)["frame"])))
        n += 1
    s.close()
    print(n)
    return 0


def cmd_send(a):
    fam = socket.AF_INET6 if ":" in a.dst else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    n = 0
    for line in sys.stdin:
        line = line.strip()
        if line == "":
            continue
        data = b"" if line == "-" else bytes.fromhex(line)
        s.sendto(data, (a.dst, a.port))
        n += 1
        if a.pace and n % a.pace == 0:
            time.sleep(0.001)
    s.close()
    print(n)
    return 0


def cmd_recv(a):
    fam = socket.AF_INET6 if ":" in a.bind else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((a.bind, a.port))
    print("ready", flush=True)
    deadline = time.monotonic() + a.timeout
    for _ in range(a.count):
        left = deadline - time.monotonic()
        if left <= 0:
            break
        s.settimeout(left)
        try:
            data, addr = s.recvfrom(65535)
        except socket.timeout:
            break
        print("%s %d" % (addr[0], len(data)), flush=True)
    s.close()
    return 0


def _csum(data):
    if len(data) % 2:
        data += b"\0"
    t = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    t = (t >> 16) + (t & 0xFFFF)
    t += t >> 16
    return ~t & 0xFFFF


def cmd_ping(a):
    v6 = ":" in a.dst
    if v6:
        s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    ident = os.getpid() & 0xFFFF
    for seq in range(1, a.count + 1):
        body = struct.pack("!HH", ident, seq) + b"vigil-lab-ping"
        typ = 128 if v6 else 8
        pkt = struct.pack("!BBH", typ, 0, 0) + body
        if not v6:
            pkt = struct.pack("!BBH", typ, 0, _csum(pkt)) + body
        s.sendto(pkt, (a.dst, 0))
        deadline = time.monotonic() + a.timeout
        for _ in range(1000):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            s.settimeout(left)
            try:
                data, addr = s.recvfrom(65535)
            except socket.timeout:
                break
            if not v6:
                data = data[(data[0] & 0x0F) * 4:]
            if len(data) < 8:
                continue
            rtype, _c, _k, rid, rseq = struct.unpack_from("!BBHHH", data)
            if rtype == (129 if v6 else 0) and rid == ident and rseq == seq:
                print("reply from %s seq %d" % (addr[0], seq))
                return 0
    return 1


def cmd_http(a):
    import http.client
    import ssl
    import urllib.parse
    u = urllib.parse.urlsplit(a.url)
    port = u.port or (443 if u.scheme == "https" else 80)
    host = u.hostname
    target = (host, port)
    if a.proxy:
        p = urllib.parse.urlsplit(a.proxy)
        target = (p.hostname, p.port or 3128)
    if u.scheme == "https":
        ctx = ssl.create_default_context(cafile=a.ca_file) if a.ca_file else ssl.create_default_context()
        conn = http.client.HTTPSConnection(target[0], target[1], timeout=a.timeout, context=ctx)
    else:
        conn = http.client.HTTPConnection(target[0], target[1], timeout=a.timeout)
    if a.proxy:
        # always a tunnel (CONNECT), as vigild does, also for plain http
        conn.set_tunnel(host, port)
    headers = {"Connection": "close"}
    if a.token_file:
        with open(a.token_file) as f:
            headers["Authorization"] = "Bearer " + f.read().strip()
    body = a.body.encode() if a.body is not None else None
    if body is not None:
        headers["Content-Type"] = "application/json"
    try:
        conn.request(a.method, u.path or "/", body=body, headers=headers)
        r = conn.getresponse()
        data = r.read(1 << 20)
    except (OSError, http.client.HTTPException) as e:
        print("%s: %s" % (type(e).__name__, e), file=sys.stderr)
        return 1
    finally:
        conn.close()
    print(json.dumps({"status": r.status, "body": data.decode(errors="replace")}))
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("capture")
    c.add_argument("--iface", required=True)
    c.add_argument("--src", required=True)
    c.add_argument("--dport", type=int, required=True)
    c.add_argument("--count", type=int, default=1)
    c.add_argument("--timeout", type=float, default=5.0)
    i = sub.add_parser("inject")
    i.add_argument("--iface", required=True)
    d = sub.add_parser("send")
    d.add_argument("--dst", required=True)
    d.add_argument("--port", type=int, required=True)
    d.add_argument("--pace", type=int, default=20)
    r = sub.add_parser("recv")
    r.add_argument("--bind", required=True)
    r.add_argument("--port", type=int, required=True)
    r.add_argument("--timeout", type=float, default=2.0)
    r.add_argument("--count", type=int, default=1000)
    g = sub.add_parser("ping")
    g.add_argument("--dst", required=True)
    g.add_argument("--count", type=int, default=1)
    g.add_argument("--timeout", type=float, default=2.0)
    h = sub.add_parser("http")
    h.add_argument("--url", required=True)
    h.add_argument("--method", default="GET")
    h.add_argument("--body")
    h.add_argument("--token-file")
    h.add_argument("--proxy")
    h.add_argument("--ca-file")
    h.add_argument("--timeout", type=float, default=3.0)
    a = p.parse_args()
    return {"capture": cmd_capture, "inject": cmd_inject, "send": cmd_send,
            "recv": cmd_recv, "ping": cmd_ping, "http": cmd_http}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
