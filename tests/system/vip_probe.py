#!/usr/bin/python3
"""Who answers for a floating address? A prober run INSIDE a client namespace
(docs/testing.md, "The client namespace and the VIP prober"):

    ip netns exec NS /usr/bin/python3 vip_probe.py probe --iface IF --vip ADDR
        --out FILE --duration S [--interval S] [--count N]
        [--probe-src ADDR [--probe-mac MAC]]
        [--tcp-port P [--tcp-timeout S] [--tcp-every N] [--tcp-send TEXT]]

Every --interval (default 10 ms), for at most --duration seconds and --count
rounds, it asks who holds the VIP and records every answer with a
CLOCK_MONOTONIC timestamp (time.monotonic(): the same clock in every
namespace, so a test can compare it with its own times):

- IPv4: a broadcast ARP request for the VIP from an AF_PACKET socket; the
  sender MAC of every ARP reply for the VIP is recorded. Two replies with two
  MACs to one request mean two holders.
- IPv6: a neighbour solicitation for the VIP to its solicited-node multicast
  group (hop limit 255, a source link-layer address option), sent as a whole
  Ethernet frame from the same AF_PACKET socket; the target link-layer address
  of every solicited advertisement is recorded.

The probes do not go through the client's own IP stack, on purpose. With
--probe-src, they come from a probe identity of their own: that source
address (which nobody holds) and a locally administered MAC (--probe-mac,
random by default), so the answers are unicast to a MAC that is not the
client's: the client's kernel drops them (PACKET_OTHERHOST) and only this
socket sees them. The client's neighbour cache is then moved only by what a
holder announces (or by the client's own traffic), never by the prober, and
the nodes' cache entry for the client's own address is never touched. (Had
the answers reached the client's kernel, the prober would refresh the
client's cache every 10 ms and a test could not tell that an announcement
moved it.) Without --probe-src the client's own address and MAC are used:
the kernel then learns from every answer.

Each round also samples the client's own neighbour-cache entry for the VIP
(an RTM_GETNEIGH dump over rtnetlink, filtered on IF), and a netlink
subscription to neighbour events records every change of that entry with its
time. Other frames that speak for the VIP (gratuitous ARP, unsolicited or
multicast advertisements, answers to someone else) are recorded as `seen`.

With --tcp-port, every --tcp-every rounds it also starts a TCP connection to
VIP:PORT (non-blocking; several may be in flight) and records its outcome:
`ok` (connected; then it sends --tcp-send if given and reads what the server
says: the first line, or everything up to EOF with --tcp-send, at most 4 KiB,
until the same deadline), `refused`, `timeout` (no answer within
--tcp-timeout), `unreachable` or `error`.

Output: JSON lines in FILE, written as they happen (flushed every round):

  {"type": "start", "t": T, "vip": ..., "family": 4|6, "iface": ..., "client_mac": ...,
   "probe_mac": ..., "probe_src": ..., "stealth": true|false, "interval": ...,
   "duration": ..., "count": ..., "tcp_port": ..., "pid": ...}
  {"type": "probe", "round": K, "t": T_SENT, "replies": [[T, MAC], ...],
   "neigh": [MAC or null, STATE] or null}
  {"type": "tcp", "round": K, "t": T_START, "t_end": T_END, "result": "ok"|...,
   "connect_ms": ..., "reply": TEXT or null, "error": TEXT or null}
  {"type": "neigh", "t": T, "event": "new"|"del", "mac": MAC or null, "state": STATE}
  {"type": "seen", "t": T, "kind": "garp-request"|"garp-reply"|"arp-reply"|"arp-request"
   |"na-unsolicited"|"na-other", "mac": MAC, "eth_src": MAC, "dst": ...}
  {"type": "end", "t": T, "reason": "duration"|"count"|"signal", "rounds": N,
   "late": N, "tcp_pending": N}

A probe record is written when its round closes (when the next round is
sent, or at the end): answers arriving between two sends belong to the
earlier one. It prints "ready" on stdout once its sockets are open and the
start record is written, then probes. SIGTERM or SIGINT stop it cleanly: it
writes the round in progress, the TCP attempts still in flight (result
"pending") and the end record, then exits 0. Exit 1 on a setup error (the
reason on stderr), 2 on bad usage.

    ip netns exec NS /usr/bin/python3 vip_probe.py serve --port P --text TEXT
        --duration S [--max-conns N]

A tiny TCP server for the TCP probe (and demos): on [::]:P (IPv4 too) it
sends TEXT and a newline to every connection and closes it; prints "ready";
stops after S seconds, N connections, or SIGTERM.

Standard library only (Debian's /usr/bin/python3); Linux only.
"""

import argparse
import errno
import ipaddress
import json
import os
import secrets
import select
import signal
import socket
import struct
import sys
import time

ETH_P_ARP = 0x0806
ETH_P_IPV6 = 0x86DD
ETH_P_IP = 0x0800
PACKET_OUTGOING = 4
ARPOP_REQUEST, ARPOP_REPLY = 1, 2
ND_NS, ND_NA = 135, 136
BROADCAST = b"\xff" * 6

# rtnetlink
NETLINK_ROUTE = 0
RTM_NEWNEIGH, RTM_DELNEIGH, RTM_GETNEIGH = 28, 29, 30
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLM_F_REQUEST, NLM_F_DUMP = 0x1, 0x300
RTMGRP_NEIGH = 0x4
NDA_DST, NDA_LLADDR = 1, 2
NUD_STATES = [(0x01, "INCOMPLETE"), (0x02, "REACHABLE"), (0x04, "STALE"), (0x08, "DELAY"),
              (0x10, "PROBE"), (0x20, "FAILED"), (0x40, "NOARP"), (0x80, "PERMANENT")]

MAX_DURATION = 3600.0
MAX_ROUNDS = 1000000
MAX_TCP_INFLIGHT = 256
TCP_READ_MAX = 4096
FRAMES_PER_WAKEUP = 512    # a flood cannot hold the loop
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def mac_text(b):
    return ":".join("%02x" % x for x in b)


def mac_bytes(text):
    parts = text.split(":")
    if len(parts) != 6:
        raise ValueError("bad MAC %r" % text)
    return bytes(int(p, 16) for p in parts)


def nud_text(state):
    names = [n for bit, n in NUD_STATES if state & bit]
    return "|".join(names) if names else "NONE"


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def iface_mac(iface):
    with open("/sys/class/net/%s/address" % iface) as f:
        return mac_bytes(f.read().strip())


def iface_addr(iface, family):
    """The interface's first global address of `family` (netlink-free: ip -j)."""
    import subprocess
    out = subprocess.run(["ip", "-j", "-%d" % family, "addr", "show", "dev", iface],
                         capture_output=True, text=True, timeout=5).stdout
    for link in json.loads(out or "[]"):
        for a in link.get("addr_info", []):
            if a.get("scope") == "global":
                return a["local"]
    return None


# ---------------------------------------------------------------- frames

def build_arp_request(src_mac, src_ip, vip):
    """A broadcast ARP request for vip (padded to the 60-byte minimum)."""
    eth = BROADCAST + src_mac + struct.pack("!H", ETH_P_ARP)
    arp = struct.pack("!HHBBH", 1, ETH_P_IP, 6, 4, ARPOP_REQUEST)
    arp += src_mac + src_ip + b"\0" * 6 + vip
    return (eth + arp).ljust(60, b"\0")


def solicited_node(vip):
    """(IPv6 group ff02::1:ffXX:XXXX, its Ethernet multicast MAC)."""
    group = bytes.fromhex("ff0200000000000000000001ff") + vip[13:]
    assert len(group) == 16
    return group, b"\x33\x33" + group[12:]


def build_ns(src_mac, src_ip, vip):
    """A neighbour solicitation for vip to its solicited-node group, hop limit
    255, with a source link-layer address option, as an Ethernet frame."""
    group, gmac = solicited_node(vip)
    body = struct.pack("!BBHI", ND_NS, 0, 0, 0) + vip + bytes([1, 1]) + src_mac
    pseudo = src_ip + group + struct.pack("!I", len(body)) + b"\0\0\0" + bytes([58])
    body = body[:2] + struct.pack("!H", csum(pseudo + body)) + body[4:]
    ip6 = struct.pack("!IHBB", 6 << 28, len(body), 58, 255) + src_ip + group
    return gmac + src_mac + struct.pack("!H", ETH_P_IPV6) + ip6 + body


def parse_arp(frame, vip):
    """(op, sha, spa, tha, tpa) of an ARP frame that speaks for vip (its sender
    IP is vip), else None."""
    if len(frame) < 42 or frame[12:14] != b"\x08\x06":
        return None
    htype, ptype, hlen, plen, op = struct.unpack_from("!HHBBH", frame, 14)
    if htype != 1 or ptype != ETH_P_IP or hlen != 6 or plen != 4:
        return None
    sha, spa, tha, tpa = frame[22:28], frame[28:32], frame[32:38], frame[38:42]
    if spa != vip:
        return None
    return op, sha, spa, tha, tpa


def parse_na(frame, vip):
    """(dst_ip, flags, lladdr) of a neighbour advertisement for target vip,
    else None. lladdr: the target link-layer address option, else the
    Ethernet source."""
    if len(frame) < 14 + 40 + 24 or frame[12:14] != b"\x86\xdd":
        return None
    ip = frame[14:54]
    if ip[0] >> 4 != 6 or ip[6] != 58 or ip[7] != 255:
        return None
    plen = struct.unpack_from("!H", ip, 4)[0]
    end = min(len(frame), 54 + plen)
    icmp = frame[54:end]
    if len(icmp) < 24 or icmp[0] != ND_NA or icmp[1] != 0 or icmp[8:24] != vip:
        return None
    lladdr = frame[6:12]
    off = 24
    while off + 2 <= len(icmp) and icmp[off + 1] != 0:
        olen = icmp[off + 1] * 8
        if off + olen > len(icmp):
            break
        if icmp[off] == 2 and olen >= 8:
            lladdr = icmp[off + 2:off + 8]
            break
        off += olen
    return ip[24:40], icmp[4], lladdr


# ---------------------------------------------------------------- netlink

class Neigh:
    """The client's neighbour-cache entry for the VIP: a dump per sample, and
    a subscription to RTMGRP_NEIGH for the changes."""

    def __init__(self, ifindex, family, vip):
        self.ifindex, self.vip = ifindex, vip
        self.af = socket.AF_INET if family == 4 else socket.AF_INET6
        self.seq = 0
        self.dump = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_ROUTE)
        self.dump.bind((0, 0))
        self.dump.settimeout(1.0)
        self.events = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_ROUTE)
        self.events.bind((0, RTMGRP_NEIGH))
        self.events.setblocking(False)

    def close(self):
        self.dump.close()
        self.events.close()

    def _entries(self, data):
        """Yield (msg_type, mac or None, state) for our VIP in a netlink buffer;
        ("error", errno) for an error message, ("done",) at the end of a dump."""
        off = 0
        while off + 16 <= len(data):
            length, mtype, _flags, _seq, _pid = struct.unpack_from("=IHHII", data, off)
            if length < 16 or off + length > len(data):
                break
            if mtype == NLMSG_DONE:
                yield ("done",)
            elif mtype == NLMSG_ERROR:
                err = struct.unpack_from("=i", data, off + 16)[0]
                yield ("error", -err)
            elif mtype in (RTM_NEWNEIGH, RTM_DELNEIGH) and length >= 28:
                fam, _p1, _p2, ifindex, state, _fl, _ty = struct.unpack_from("=BBHiHBB", data, off + 16)
                dst = mac = None
                a = off + 28
                while a + 4 <= off + length:
                    alen, atype = struct.unpack_from("=HH", data, a)
                    if alen < 4:
                        break
                    val = data[a + 4:a + alen]
                    if atype == NDA_DST:
                        dst = val
                    elif atype == NDA_LLADDR:
                        mac = val
                    a += (alen + 3) & ~3
                if fam == self.af and ifindex == self.ifindex and dst == self.vip:
                    yield (mtype, mac_text(mac) if mac and len(mac) == 6 else None, state)
            off += (length + 3) & ~3

    def sample(self):
        """[mac or None, state] of the entry, or None when there is none."""
        self.seq += 1
        ndmsg = struct.pack("=BBHiHBB", self.af, 0, 0, 0, 0, 0, 0)
        hdr = struct.pack("=IHHII", 16 + len(ndmsg), RTM_GETNEIGH, NLM_F_REQUEST | NLM_F_DUMP,
                          self.seq, 0)
        self.dump.send(hdr + ndmsg)
        found = None
        for _ in range(64):   # bounded: a dump of a lab namespace is a few messages
            data = self.dump.recv(65536)
            for e in self._entries(data):
                if e[0] == "done":
                    return found
                if e[0] == "error":
                    raise OSError(e[1], "RTM_GETNEIGH: %s" % os.strerror(e[1]))
                if e[0] == RTM_NEWNEIGH:
                    found = [e[1], nud_text(e[2])]
        return found

    def read_events(self):
        """[(event, mac, state)] of the changes queued on the subscription."""
        out = []
        for _ in range(64):
            try:
                data = self.events.recv(65536)
            except BlockingIOError:
                break
            except OSError as e:
                if e.errno == errno.ENOBUFS:   # overrun: say so, go on
                    out.append(("overrun", None, "ENOBUFS"))
                    continue
                raise
            for e in self._entries(data):
                if e[0] in (RTM_NEWNEIGH, RTM_DELNEIGH):
                    out.append(("new" if e[0] == RTM_NEWNEIGH else "del", e[1], nud_text(e[2])))
        return out


# ---------------------------------------------------------------- TCP

class TcpAttempt:
    def __init__(self, rnd, family, vip_text, port, timeout, send):
        self.round, self.t = rnd, time.monotonic()
        self.deadline = self.t + timeout
        self.send = send
        self.result = self.error = None
        self.reply = bytearray()
        self.t_conn = None
        self.sock = socket.socket(socket.AF_INET if family == 4 else socket.AF_INET6,
                                  socket.SOCK_STREAM)
        self.sock.setblocking(False)
        rc = self.sock.connect_ex((vip_text, port))
        self.connecting = True
        if rc not in (0, errno.EINPROGRESS):
            self._fail(rc)

    def _fail(self, err):
        self.result = {errno.ECONNREFUSED: "refused", errno.EHOSTUNREACH: "unreachable",
                       errno.ENETUNREACH: "unreachable", errno.ETIMEDOUT: "timeout"}.get(err, "error")
        self.error = os.strerror(err)
        self.finish()

    def finish(self):
        self.t_end = time.monotonic()
        try:
            self.sock.close()
        except OSError:
            pass

    def done(self):
        return self.result is not None

    def on_writable(self):
        err = self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if err:
            self._fail(err)
            return
        self.connecting = False
        self.t_conn = time.monotonic()
        if self.send:
            try:
                self.sock.send(self.send.encode())
            except OSError as e:
                self.result, self.error = "ok", "send: %s" % e
                self.finish()

    def on_readable(self):
        try:
            data = self.sock.recv(TCP_READ_MAX - len(self.reply))
        except BlockingIOError:
            return
        except OSError as e:
            self.result, self.error = "ok", "recv: %s" % e
            self.finish()
            return
        self.reply += data
        if not data or len(self.reply) >= TCP_READ_MAX or (not self.send and b"\n" in self.reply):
            self.result = "ok"
            self.finish()

    def on_deadline(self):
        if self.connecting:
            self.result, self.error = "timeout", "no answer within the timeout"
        else:
            self.result = "ok"
            self.error = "no complete reply within the timeout"
        self.finish()

    def record(self, pending=False):
        text = bytes(self.reply).decode(errors="replace")
        if not self.send:
            text = text.split("\n", 1)[0].rstrip("\r") if text else text
        return {"type": "tcp", "round": self.round, "t": round(self.t, 6),
                "t_end": round(getattr(self, "t_end", time.monotonic()), 6),
                "result": "pending" if pending else self.result,
                "connect_ms": round((self.t_conn - self.t) * 1000, 3) if self.t_conn else None,
                "reply": text if self.t_conn else None, "error": self.error}


# ---------------------------------------------------------------- the prober

class Prober:
    def __init__(self, a):
        self.a = a
        ip = ipaddress.ip_address(a.vip.split("/")[0])
        self.family = ip.version
        self.vip_text = str(ip)
        self.vip = ip.packed
        self.ifindex = socket.if_nametoindex(a.iface)
        self.client_mac = iface_mac(a.iface)
        if a.probe_src:
            src = ipaddress.ip_address(a.probe_src)
            if src.version != self.family:
                raise ValueError("--probe-src %s is not of the VIP's family" % a.probe_src)
            self.src = src.packed
            self.probe_mac = mac_bytes(a.probe_mac) if a.probe_mac else \
                bytes([0x02]) + secrets.token_bytes(5)   # locally administered, unicast
            self.stealth = True
        else:
            own = iface_addr(a.iface, self.family)
            if own is None:
                raise ValueError("%s has no global IPv%d address to probe from; give --probe-src"
                                 % (a.iface, self.family))
            self.src = ipaddress.ip_address(own).packed
            self.probe_mac = self.client_mac
            self.stealth = False
        self.probe_src_text = str(ipaddress.ip_address(self.src))
        if self.family == 4:
            self.request = build_arp_request(self.probe_mac, self.src, self.vip)
            proto = ETH_P_ARP
        else:
            self.request = build_ns(self.probe_mac, self.src, self.vip)
            proto = ETH_P_IPV6
        self.pkt = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(proto))
        self.pkt.bind((a.iface, proto))
        self.pkt.setblocking(False)
        self.neigh = Neigh(self.ifindex, self.family, self.vip)
        self.out = open(a.out, "w", buffering=1 << 16)
        self.round = None          # the probe record of the round in flight
        self.rounds = 0
        self.late = 0
        self.tcp = []
        self.stop_reason = None

    def emit(self, rec):
        self.out.write(json.dumps(rec, separators=(",", ":")) + "\n")

    def start_record(self):
        a = self.a
        self.emit({"type": "start", "t": round(time.monotonic(), 6), "vip": self.vip_text,
                   "family": self.family, "iface": a.iface, "ifindex": self.ifindex,
                   "client_mac": mac_text(self.client_mac), "probe_mac": mac_text(self.probe_mac),
                   "probe_src": self.probe_src_text, "stealth": self.stealth,
                   "interval": a.interval, "duration": a.duration, "count": a.count,
                   "tcp_port": a.tcp_port, "tcp_timeout": a.tcp_timeout if a.tcp_port else None,
                   "tcp_every": a.tcp_every if a.tcp_port else None, "pid": os.getpid()})
        self.out.flush()

    def close_round(self):
        if self.round is not None:
            self.emit(self.round)
            self.round = None

    def send_round(self):
        self.read_frames()    # what already arrived belongs to the round closing now
        self.close_round()
        self.rounds += 1
        try:
            neigh = self.neigh.sample()
        except OSError as e:
            neigh = ["error", str(e)]
        t = time.monotonic()
        self.round = {"type": "probe", "round": self.rounds, "t": round(t, 6), "replies": [],
                      "neigh": neigh}
        try:
            self.pkt.send(self.request)
        except OSError as e:
            self.round["error"] = "send: %s" % e
        a = self.a
        if a.tcp_port and (self.rounds - 1) % a.tcp_every == 0:
            if len([x for x in self.tcp if not x.done()]) >= MAX_TCP_INFLIGHT:
                self.emit({"type": "tcp", "round": self.rounds, "t": round(t, 6),
                           "t_end": round(t, 6), "result": "skipped", "connect_ms": None,
                           "reply": None, "error": "%d attempts in flight" % MAX_TCP_INFLIGHT})
            else:
                self.tcp.append(TcpAttempt(self.rounds, self.family, self.vip_text, a.tcp_port,
                                           a.tcp_timeout, a.tcp_send))
        self.out.flush()

    def on_frame(self, frame, pkttype, t):
        if pkttype == PACKET_OUTGOING:
            return
        if self.family == 4:
            arp = parse_arp(frame, self.vip)
            if arp is None:
                return
            op, sha, _spa, tha, tpa = arp
            if op == ARPOP_REPLY and tpa == self.src and tha == self.probe_mac:
                if self.round is not None:
                    self.round["replies"].append([round(t, 6), mac_text(sha)])
                return
            if tpa == self.vip:
                kind = "garp-reply" if op == ARPOP_REPLY else "garp-request"
            else:
                kind = "arp-reply" if op == ARPOP_REPLY else "arp-request"
            self.emit({"type": "seen", "t": round(t, 6), "kind": kind, "mac": mac_text(sha),
                       "eth_src": mac_text(frame[6:12]),
                       "dst": str(ipaddress.ip_address(tpa))})
        else:
            na = parse_na(frame, self.vip)
            if na is None:
                return
            dst, flags, lladdr = na
            solicited = bool(flags & 0x40)
            if solicited and dst == self.src and frame[0:6] == self.probe_mac:
                if self.round is not None:
                    self.round["replies"].append([round(t, 6), mac_text(lladdr)])
                return
            self.emit({"type": "seen", "t": round(t, 6),
                       "kind": "na-other" if solicited else "na-unsolicited",
                       "mac": mac_text(lladdr), "eth_src": mac_text(frame[6:12]),
                       "dst": str(ipaddress.ip_address(dst)), "flags": flags})

    def read_frames(self):
        for _ in range(FRAMES_PER_WAKEUP):
            try:
                frame, addr = self.pkt.recvfrom(2048)
            except BlockingIOError:
                return
            self.on_frame(frame, addr[2], time.monotonic())

    def read_neigh_events(self):
        t = time.monotonic()
        for event, mac, state in self.neigh.read_events():
            self.emit({"type": "neigh", "t": round(t, 6), "event": event, "mac": mac,
                       "state": state})

    def finish_tcp(self, pending=False):
        """Write the attempts that are done (and, when pending, the others as
        "pending"); returns how many were still pending."""
        keep, n_pending = [], 0
        for x in self.tcp:
            if x.done():
                self.emit(x.record())
            elif pending:
                x.finish()
                self.emit(x.record(pending=True))
                n_pending += 1
            else:
                keep.append(x)
        self.tcp = keep
        return n_pending

    def run(self, wake_fd):
        a = self.a
        t0 = time.monotonic()
        t_end = t0 + a.duration
        next_send = t0
        # bounded: at most count rounds, each with a bounded number of wakeups
        max_wakeups = (a.count + 2) * (4 * FRAMES_PER_WAKEUP + 2 * MAX_TCP_INFLIGHT + 8)
        for _ in range(max_wakeups):
            now = time.monotonic()
            if self.stop_reason:
                break
            if now >= t_end:
                self.stop_reason = "duration"
                break
            if now >= next_send:
                if self.rounds >= a.count:
                    self.stop_reason = "count"
                    break
                self.send_round()
                next_send += a.interval
                if next_send <= now:          # fell behind: do not burst to catch up
                    self.late += 1
                    next_send = now + a.interval
                continue
            for x in self.tcp:
                if not x.done() and now >= x.deadline:
                    x.on_deadline()
            self.finish_tcp()
            deadline = min([next_send, t_end] + [x.deadline for x in self.tcp])
            rfds = [self.pkt, self.neigh.events, wake_fd] + [x.sock for x in self.tcp
                                                             if not x.connecting]
            wfds = [x.sock for x in self.tcp if x.connecting]
            r, w, _ = select.select(rfds, wfds, [], max(0.0, deadline - time.monotonic()))
            if self.pkt in r:
                self.read_frames()
            if self.neigh.events in r:
                self.read_neigh_events()
            if wake_fd in r:
                try:
                    os.read(wake_fd, 64)
                except BlockingIOError:
                    pass
            for x in list(self.tcp):
                if x.done():
                    continue
                if x.sock in w:
                    x.on_writable()
                elif x.sock in r:
                    x.on_readable()
        else:
            self.stop_reason = "bound"
        # what arrived up to now still counts
        self.read_frames()
        self.read_neigh_events()
        self.close_round()
        pending = self.finish_tcp(pending=True)
        self.emit({"type": "end", "t": round(time.monotonic(), 6), "reason": self.stop_reason,
                   "rounds": self.rounds, "late": self.late, "tcp_pending": pending})
        self.out.flush()

    def close(self):
        for x in self.tcp:
            x.finish()
        self.pkt.close()
        self.neigh.close()
        self.out.close()


def cmd_probe(a):
    if not 0.001 <= a.interval <= 10:
        raise SystemExit("vip_probe: --interval must be between 0.001 and 10 seconds")
    if not 0 < a.duration <= MAX_DURATION:
        raise SystemExit("vip_probe: --duration must be in (0, %d] seconds" % MAX_DURATION)
    if a.count is None:
        a.count = int(a.duration / a.interval) + 2
    a.count = max(1, min(a.count, MAX_ROUNDS))
    if a.tcp_timeout is None:
        a.tcp_timeout = 0.5
    if not 0.001 <= a.tcp_timeout <= 30 or a.tcp_every < 1:
        raise SystemExit("vip_probe: --tcp-timeout must be in [0.001, 30] s, --tcp-every >= 1")
    try:
        p = Prober(a)
    except (OSError, ValueError) as e:
        sys.stderr.write("vip_probe: %s\n" % e)
        return 1
    rfd, wfd = os.pipe()
    os.set_blocking(rfd, False)
    os.set_blocking(wfd, False)

    def on_signal(signum, _frame):
        p.stop_reason = "signal"

    for s in STOP_SIGNALS:
        signal.signal(s, on_signal)
    signal.set_wakeup_fd(wfd, warn_on_full_buffer=False)
    try:
        p.start_record()
        sys.stdout.write("ready\n")
        sys.stdout.flush()
        p.run(rfd)
    finally:
        p.close()
    return 0


def cmd_serve(a):
    if not 0 < a.duration <= MAX_DURATION:
        raise SystemExit("vip_probe: --duration must be in (0, %d] seconds" % MAX_DURATION)
    stop = []
    for s in STOP_SIGNALS:
        signal.signal(s, lambda *_: stop.append(1))
    srv = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    srv.bind(("::", a.port))
    srv.listen(128)
    srv.settimeout(0.05)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    end = time.monotonic() + a.duration
    served = 0
    line = (a.text + "\n").encode()
    for _ in range(int(a.duration / 0.05) + a.max_conns + 2):
        if stop or served >= a.max_conns or time.monotonic() >= end:
            break
        try:
            c, _addr = srv.accept()
        except socket.timeout:
            continue
        except InterruptedError:
            continue
        with c:
            c.settimeout(1.0)
            try:
                c.sendall(line)
            except OSError:
                pass
        served += 1
    srv.close()
    sys.stdout.write("served %d\n" % served)
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description="Who answers for a floating address "
                                 "(run inside a client network namespace)")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("probe", help="record who answers for VIP, every interval")
    p.add_argument("--iface", required=True, help="the client's interface on the service network")
    p.add_argument("--vip", required=True, help="the floating address (a /PREFIX is ignored)")
    p.add_argument("--out", required=True, help="JSON lines written here")
    p.add_argument("--duration", type=float, required=True, help="seconds, at most 3600")
    p.add_argument("--interval", type=float, default=0.01, help="seconds between probes (0.01)")
    p.add_argument("--count", type=int, help="at most this many rounds (duration/interval+2)")
    p.add_argument("--probe-src", help="the probe identity's source address (nobody holds it); "
                   "without it the client's own address and MAC are used")
    p.add_argument("--probe-mac", help="the probe identity's MAC (random, locally administered)")
    p.add_argument("--tcp-port", type=int, help="also connect to VIP:PORT")
    p.add_argument("--tcp-timeout", type=float, help="seconds (0.5)")
    p.add_argument("--tcp-every", type=int, default=1, help="a connection every N rounds (1)")
    p.add_argument("--tcp-send", help="send this after connecting, then read up to EOF")
    s = sub.add_parser("serve", help="a TCP server that sends one line and closes")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--text", required=True)
    s.add_argument("--duration", type=float, required=True)
    s.add_argument("--max-conns", type=int, default=100000)
    a = ap.parse_args(argv)
    if a.cmd == "probe":
        if a.tcp_send is not None:
            a.tcp_send = a.tcp_send.encode().decode("unicode_escape")
        return cmd_probe(a)
    return cmd_serve(a)


if __name__ == "__main__":
    sys.exit(main())
