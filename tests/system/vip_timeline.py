#!/usr/bin/python3
"""Read what vip_probe.py recorded and say who held the VIP when (pure
Python, importable; docs/testing.md, "The client namespace and the VIP
prober").

    tl = Timeline.from_file(path)
    tl.macs()                      # every MAC that answered a probe
    tl.violations()                # rounds answered by two MACs or more
    tl.assert_single_holder()      # AssertionError listing them, with a summary
    tl.failover(old_mac, new_mac)  # last answer from old -> first from new
    tl.cache_moved_to(mac, after)  # when the client's neighbour cache showed mac
    tl.tcp_outages()               # TCP: last ok -> first ok after failures

Times are CLOCK_MONOTONIC seconds (time.monotonic() in the test process is
the same clock). A round is one probe: its send time `t` and every answer
that arrived before the next probe was sent.

`python3 vip_timeline.py FILE` prints the summary of a recording;
`python3 vip_timeline.py --selfcheck` runs the self-checks on synthetic data
(also run by tests/system/test_vip_probe.py).
"""

import json
import sys

# TCP outcomes that are answers, failures, and neither
TCP_OK = "ok"
TCP_FAILED = ("refused", "timeout", "unreachable", "error")
TCP_IGNORED = ("pending", "skipped")


class Round:
    """One probe: round number, send time, [(t, mac)] answers, and the
    client's cache entry for the VIP sampled right before it was sent."""
    __slots__ = ("round", "t", "replies", "neigh", "error")

    def __init__(self, rec):
        self.round = rec["round"]
        self.t = rec["t"]
        self.replies = [(float(t), str(m)) for t, m in rec.get("replies", [])]
        n = rec.get("neigh")
        self.neigh = (n[0], n[1]) if n else None
        self.error = rec.get("error")

    @property
    def macs(self):
        return frozenset(m for _, m in self.replies)

    def __repr__(self):
        return "<Round %d t=%.3f %s>" % (self.round, self.t, ",".join(sorted(self.macs)) or "-")


class Tcp:
    """One TCP attempt: start t, end t_end, result, reply text."""
    __slots__ = ("round", "t", "t_end", "result", "reply", "error", "connect_ms")

    def __init__(self, rec):
        for k in self.__slots__:
            setattr(self, k, rec.get(k))

    def __repr__(self):
        return "<Tcp %s t=%.3f %s %r>" % (self.round, self.t, self.result, self.reply)


class Timeline:
    def __init__(self, records):
        self.start = None
        self.end = None
        self.rounds = []
        self.tcp = []
        self.neigh_events = []   # (t, event, mac, state)
        self.seen = []           # other frames that spoke for the VIP: dicts
        self.unknown = []
        for rec in records:
            kind = rec.get("type")
            if kind == "start":
                self.start = rec
            elif kind == "end":
                self.end = rec
            elif kind == "probe":
                self.rounds.append(Round(rec))
            elif kind == "tcp":
                self.tcp.append(Tcp(rec))
            elif kind == "neigh":
                self.neigh_events.append((rec["t"], rec.get("event"), rec.get("mac"),
                                          rec.get("state")))
            elif kind == "seen":
                self.seen.append(rec)
            else:
                self.unknown.append(rec)
        self.rounds.sort(key=lambda r: r.round)
        self.tcp.sort(key=lambda x: (x.t, x.round or 0))
        self.neigh_events.sort(key=lambda e: e[0])

    # ------------------------------------------------------------ reading

    @classmethod
    def from_lines(cls, lines):
        """Parse JSON lines; a last line cut short (a recording still being
        written) is ignored, any other bad line raises ValueError."""
        lines = [l for l in lines if l.strip()]
        recs = []
        for i, line in enumerate(lines):
            try:
                recs.append(json.loads(line))
            except ValueError:
                if i == len(lines) - 1:
                    break
                raise ValueError("line %d of the recording is not JSON: %r" % (i + 1, line[:200]))
        return cls(recs)

    @classmethod
    def from_text(cls, text):
        return cls.from_lines(text.splitlines())

    @classmethod
    def from_file(cls, path):
        with open(path, errors="replace") as f:
            return cls.from_lines(f.read().splitlines())

    @property
    def complete(self):
        """True when the prober wrote its end record."""
        return self.end is not None

    @property
    def interval(self):
        return (self.start or {}).get("interval")

    # ------------------------------------------------------------ holders

    def answered(self):
        return [r for r in self.rounds if r.replies]

    def holders(self):
        """[(t, frozenset of MACs)] per round (empty: nobody answered)."""
        return [(r.t, r.macs) for r in self.rounds]

    def macs(self):
        """Every MAC that answered a probe."""
        return set(m for r in self.rounds for _, m in r.replies)

    def runs(self):
        """Consecutive rounds with the same set of answering MACs (an empty
        set: silence), as dicts: macs, first/last round, t_first (send time of
        the first), t_last (send time of the last), rounds."""
        out = []
        for r in self.rounds:
            if out and out[-1]["macs"] == r.macs:
                out[-1]["last"] = r.round
                out[-1]["t_last"] = r.t
                out[-1]["rounds"] += 1
            else:
                out.append({"macs": r.macs, "first": r.round, "last": r.round, "t_first": r.t,
                            "t_last": r.t, "rounds": 1})
        return out

    def sequence(self):
        """The holders in order, silences left out and repeats merged:
        e.g. [{A}, {B}] for a clean failover, [{A}, {A, B}, {B}] with a double."""
        out = []
        for r in self.rounds:
            if r.macs and (not out or out[-1] != r.macs):
                out.append(r.macs)
        return out

    def violations(self):
        """Rounds answered by two different MACs or more: two holders at once.
        [(round, t, sorted MACs)]."""
        return [(r.round, r.t, sorted(r.macs)) for r in self.rounds if len(r.macs) > 1]

    def assert_single_holder(self):
        v = self.violations()
        if v:
            raise AssertionError("the VIP answered from two nodes at once in %d round(s), first "
                                 "round %d at %.3f: %s\n%s" % (len(v), v[0][0], v[0][1],
                                                               ", ".join(v[0][2]), self.summary()))

    def first_answer(self, mac, after=None):
        """Time of the first answer from mac (after `after`), or None."""
        for r in self.rounds:
            for t, m in r.replies:
                if m == mac and (after is None or t > after):
                    return t
        return None

    def last_answer(self, mac, before=None):
        """Time of the last answer from mac (before `before`), or None."""
        best = None
        for r in self.rounds:
            for t, m in r.replies:
                if m == mac and (before is None or t < before) and (best is None or t > best):
                    best = t
        return best

    def failover(self, old, new):
        """The move old -> new as the client saw it: t_last_old (the last
        answer from old before the first from new), t_first_new, gap (their
        difference; None when either is missing), silent_rounds (rounds sent
        in between that nobody answered), old_after_new (old still answered
        after new had: a double holding even if never in one round)."""
        t_new = self.first_answer(new)
        t_old = self.last_answer(old, before=t_new) if t_new is not None else self.last_answer(old)
        silent = None
        if t_new is not None and t_old is not None:
            silent = sum(1 for r in self.rounds if t_old < r.t < t_new and not r.replies)
        later = self.last_answer(old)
        return {"t_last_old": t_old, "t_first_new": t_new,
                "gap": (t_new - t_old) if t_new is not None and t_old is not None else None,
                "silent_rounds": silent,
                "old_after_new": bool(t_new is not None and later is not None and later > t_new)}

    def silence(self, after=None, before=None):
        """The longest run of unanswered rounds (sent after `after` and
        before `before`): (t of its first round, t of the first answered round
        after it or None, number of rounds), or None."""
        best, cur = None, None
        for r in self.rounds:
            if (after is not None and r.t <= after) or (before is not None and r.t >= before):
                continue
            if not r.replies:
                if cur is None:
                    cur = [r.t, None, 0]
                cur[2] += 1
            elif cur is not None:
                cur[1] = r.t
                if best is None or cur[2] > best[2]:
                    best = cur
                cur = None
        if cur is not None and (best is None or cur[2] > best[2]):
            best = cur
        return tuple(best) if best else None

    # ------------------------------------------------------------ the client's cache

    def neigh_samples(self):
        """[(t, mac or None, state or None)] sampled at each round (mac None and
        state None: no entry)."""
        out = []
        for r in self.rounds:
            if r.neigh is None:
                out.append((r.t, None, None))
            elif r.neigh[0] == "error":
                continue
            else:
                out.append((r.t, r.neigh[0], r.neigh[1]))
        return out

    def neigh_changes(self):
        """[(t, mac, state)] each time the client's entry for the VIP changed
        MAC (None: no entry), starting with its first state: the samples of
        every round and the netlink events merged in time order, so that each
        change carries the earliest time either saw it."""
        out, last = [], object()
        src = [(t, None if ev == "del" else mac, state) for t, ev, mac, state in self.neigh_events
               if ev in ("new", "del")]
        src = sorted(src + self.neigh_samples(), key=lambda e: e[0])
        for t, mac, state in src:
            if mac != last:
                out.append((t, mac, state))
                last = mac
        return out

    def cache_moved_to(self, mac, after=None):
        """The first time (event or sample, after `after`) at which the
        client's cache entry for the VIP held mac, or None."""
        times = [t for t, ev, m, _ in self.neigh_events if ev == "new" and m == mac]
        times += [t for t, m, _ in self.neigh_samples() if m == mac]
        times = [t for t in times if after is None or t > after]
        return min(times) if times else None

    def cache_held(self, mac, since=None, until=None):
        """True when every sample in [since, until] showed mac."""
        return all(m == mac for t, m, _ in self.neigh_samples()
                   if (since is None or t >= since) and (until is None or t <= until))

    def announcements(self, mac=None):
        """[(t, kind, mac)] of the frames that spoke for the VIP without being
        an answer to a probe (gratuitous ARP, unsolicited NA, ...)."""
        return [(s["t"], s["kind"], s["mac"]) for s in self.seen
                if s.get("kind") in ("garp-request", "garp-reply", "na-unsolicited")
                and (mac is None or s["mac"] == mac)]

    # ------------------------------------------------------------ TCP

    def tcp_results(self):
        """{result: count}."""
        out = {}
        for x in self.tcp:
            out[x.result] = out.get(x.result, 0) + 1
        return out

    def tcp_replies(self):
        """[(t_end, reply)] of the attempts that connected, in order."""
        return [(x.t_end, x.reply) for x in self.tcp if x.result == TCP_OK]

    def tcp_outages(self):
        """Runs of failed attempts between two that connected (attempts in
        order of start), as dicts: t_last_ok (when the last one before ended),
        t_first_ok (when the first one after ended; None if none did),
        duration, failed (count), results ({result: count}), reply_before,
        reply_after."""
        out, last_ok, cur = [], None, None
        for x in self.tcp:
            if x.result in TCP_IGNORED:
                continue
            if x.result == TCP_OK:
                if cur is not None:
                    cur["t_first_ok"] = x.t_end
                    cur["reply_after"] = x.reply
                    cur["duration"] = (x.t_end - cur["t_last_ok"]) if cur["t_last_ok"] is not None else None
                    out.append(cur)
                    cur = None
                last_ok = x
            else:
                if cur is None:
                    cur = {"t_last_ok": last_ok.t_end if last_ok else None, "t_first_ok": None,
                           "duration": None, "failed": 0, "results": {},
                           "reply_before": last_ok.reply if last_ok else None, "reply_after": None,
                           "t_first_failed": x.t}
                cur["failed"] += 1
                cur["results"][x.result] = cur["results"].get(x.result, 0) + 1
        if cur is not None:
            out.append(cur)
        return out

    def tcp_failover(self, old_reply, new_reply):
        """Last connection answered `old_reply` -> first answered `new_reply`
        (after it): t_last_old, t_first_new, gap (None when missing)."""
        t_new = next((x.t_end for x in self.tcp if x.result == TCP_OK and x.reply == new_reply), None)
        olds = [x.t_end for x in self.tcp if x.result == TCP_OK and x.reply == old_reply
                and (t_new is None or x.t_end < t_new)]
        t_old = max(olds) if olds else None
        return {"t_last_old": t_old, "t_first_new": t_new,
                "gap": (t_new - t_old) if t_new is not None and t_old is not None else None}

    # ------------------------------------------------------------ text

    def summary(self, max_runs=30):
        s = self.start or {}
        lines = ["VIP %s on %s: %d rounds every %s s, %d answered, MACs %s, %s%s" % (
            s.get("vip"), s.get("iface"), len(self.rounds), s.get("interval"),
            len(self.answered()), ", ".join(sorted(self.macs())) or "none",
            "end: %s" % self.end.get("reason") if self.end else "no end record",
            " (%d late)" % self.end.get("late", 0) if self.end and self.end.get("late") else "")]
        runs = self.runs()
        for run in runs[:max_runs]:
            lines.append("  rounds %5d-%-5d %.3f-%.3f  %s" % (
                run["first"], run["last"], run["t_first"], run["t_last"],
                ", ".join(sorted(run["macs"])) or "(silence)"))
        if len(runs) > max_runs:
            lines.append("  ... %d more runs" % (len(runs) - max_runs))
        v = self.violations()
        if v:
            lines.append("  DOUBLE ANSWERS in %d rounds: %s" % (len(v), "; ".join(
                "round %d at %.3f: %s" % (n, t, ", ".join(m)) for n, t, m in v[:5])))
        ch = self.neigh_changes()
        if ch:
            lines.append("  client cache: " + "; ".join("%.3f %s %s" % c for c in ch[:10]))
        ann = self.announcements()
        if ann:
            lines.append("  announcements: %d, first %s" % (len(ann), "%.3f %s %s" % ann[0]))
        if self.tcp:
            lines.append("  tcp: %s" % json.dumps(self.tcp_results(), sort_keys=True))
            for o in self.tcp_outages()[:5]:
                lines.append("  tcp outage: %s" % json.dumps(o, sort_keys=True))
        return "\n".join(lines)


# ---------------------------------------------------------------- self-checks

def synthetic(holders, interval=0.01, t0=100.0, neigh=None, tcp=None, events=None, end=True,
              lag=0.0002):
    """Records of a made-up recording: holders[k] is the list of MACs that
    answer round k+1 (each `lag` s apart after its send), neigh[k] the sampled
    (mac, state) or None, tcp a list of (round, result, reply) attempts that
    take 1 ms, events a list of (t, event, mac, state)."""
    recs = [{"type": "start", "t": t0 - 0.001, "vip": "192.0.2.220", "family": 4, "iface": "lan1",
             "interval": interval, "client_mac": "02:00:00:00:00:c0", "probe_mac": "02:00:00:00:00:c1",
             "stealth": True}]
    for k, macs in enumerate(holders):
        t = t0 + k * interval
        recs.append({"type": "probe", "round": k + 1, "t": t,
                     "replies": [[t + (i + 1) * lag, m] for i, m in enumerate(macs)],
                     "neigh": list(neigh[k]) if neigh and neigh[k] else None})
    for rnd, result, reply in tcp or []:
        t = t0 + (rnd - 1) * interval
        recs.append({"type": "tcp", "round": rnd, "t": t, "t_end": t + 0.001, "result": result,
                     "reply": reply if result == "ok" else None, "error": None})
    for t, ev, mac, state in events or []:
        recs.append({"type": "neigh", "t": t, "event": ev, "mac": mac, "state": state})
    if end:
        recs.append({"type": "end", "t": t0 + len(holders) * interval, "reason": "duration",
                     "rounds": len(holders), "late": 0, "tcp_pending": 0})
    return recs


def _close(a, b, eps=1e-6):
    return a is not None and b is not None and abs(a - b) < eps


def selfcheck():
    """Assertions on synthetic recordings; raises AssertionError on a fault.
    Returns the number of checks that ran."""
    A, B = "02:00:00:00:00:0a", "02:00:00:00:00:0b"
    n = 0

    # 1. a clean failover: A for 30 rounds, 10 silent, then B for 60
    holders = [[A]] * 30 + [[]] * 10 + [[B]] * 60
    neigh = [(A, "REACHABLE")] * 45 + [(B, "STALE")] * 55
    tl = Timeline(synthetic(holders, neigh=neigh))
    assert tl.complete and len(tl.rounds) == 100 and tl.interval == 0.01
    assert tl.macs() == {A, B}
    assert tl.violations() == [], tl.violations()
    tl.assert_single_holder()
    assert tl.sequence() == [frozenset([A]), frozenset([B])]
    runs = tl.runs()
    assert [(r["macs"], r["rounds"]) for r in runs] == [
        (frozenset([A]), 30), (frozenset(), 10), (frozenset([B]), 60)], runs
    f = tl.failover(A, B)
    # last A: round 30 (t0 + 0.29 + lag), first B: round 41 (t0 + 0.40 + lag)
    assert _close(f["t_last_old"], 100.29 + 0.0002) and _close(f["t_first_new"], 100.40 + 0.0002), f
    assert _close(f["gap"], 0.11) and f["silent_rounds"] == 10 and not f["old_after_new"], f
    assert tl.silence() == (100.30, 100.40, 10), tl.silence()
    assert tl.neigh_changes() == [(100.0, A, "REACHABLE"), (100.45, B, "STALE")], tl.neigh_changes()
    assert _close(tl.cache_moved_to(B), 100.45) and _close(tl.cache_moved_to(B, after=100.505), 100.51)
    assert tl.cache_held(A, until=100.44) and not tl.cache_held(A)
    n += 1

    # 2. a double answer in one round is a violation, and the detector fails
    holders = [[A]] * 20 + [[A, B]] * 3 + [[B]] * 20
    tl = Timeline(synthetic(holders))
    v = tl.violations()
    assert [r for r, _, _ in v] == [21, 22, 23] and v[0][2] == sorted([A, B]), v
    try:
        tl.assert_single_holder()
    except AssertionError as e:
        assert "two nodes at once" in str(e) and "round 21" in str(e), e
    else:
        raise AssertionError("assert_single_holder() did not fail on a double answer")
    assert tl.sequence() == [frozenset([A]), frozenset([A, B]), frozenset([B])]
    assert tl.failover(A, B)["old_after_new"] is True
    n += 1

    # 3. the same MAC twice in one round (a retransmission) is no violation;
    #    alternation without a shared round is a flap, seen by old_after_new
    holders = [[A, A]] * 5 + [[B]] * 5 + [[A]] * 5
    tl = Timeline(synthetic(holders))
    assert tl.violations() == [] and tl.failover(A, B)["old_after_new"] is True
    assert tl.sequence() == [frozenset([A]), frozenset([B]), frozenset([A])]
    n += 1

    # 4. nobody ever answers; failover to a MAC never seen
    tl = Timeline(synthetic([[]] * 10))
    assert tl.macs() == set() and tl.answered() == [] and tl.violations() == []
    f = tl.failover(A, B)
    assert f["gap"] is None and f["t_first_new"] is None and f["t_last_old"] is None
    assert tl.silence() == (100.0, None, 10)
    n += 1

    # 5. netlink events and samples merged: each change at the earliest time
    #    either saw it; a deletion is a change to None
    ev = [(100.05, "new", A, "STALE"), (100.195, "del", None, "NONE"),
          (100.305, "new", B, "STALE")]
    neigh = [(A, "REACHABLE")] * 20 + [None] * 11 + [(B, "STALE")] * 9
    tl = Timeline(synthetic([[A]] * 40, neigh=neigh, events=ev))
    got = [(round(t, 3), m) for t, m, _ in tl.neigh_changes()]
    assert got == [(100.0, A), (100.195, None), (100.305, B)], tl.neigh_changes()
    assert tl.cache_moved_to(B) == 100.305 and _close(tl.cache_moved_to(B, after=100.305), 100.31)
    n += 1

    # 6. TCP: ok(A) x10, 5 timeouts, 2 refused, ok(B) x10, then one pending
    tcp = ([(k, "ok", "n1") for k in range(1, 11)] + [(k, "timeout", None) for k in range(11, 16)]
           + [(k, "refused", None) for k in range(16, 18)] + [(k, "ok", "n2") for k in range(18, 28)]
           + [(28, "pending", None)])
    tl = Timeline(synthetic([[A]] * 30, tcp=tcp))
    out = tl.tcp_outages()
    assert len(out) == 1, out
    o = out[0]
    assert o["failed"] == 7 and o["results"] == {"timeout": 5, "refused": 2}, o
    assert o["reply_before"] == "n1" and o["reply_after"] == "n2", o
    assert _close(o["t_last_ok"], 100.091) and _close(o["t_first_ok"], 100.171), o
    assert _close(o["duration"], 0.08), o
    fo = tl.tcp_failover("n1", "n2")
    assert _close(fo["gap"], 0.08), fo
    assert tl.tcp_results() == {"ok": 20, "timeout": 5, "refused": 2, "pending": 1}
    # an outage still going on at the end
    tl = Timeline(synthetic([[A]] * 5, tcp=[(1, "ok", "n1"), (2, "timeout", None)]))
    out = tl.tcp_outages()
    assert len(out) == 1 and out[0]["t_first_ok"] is None and out[0]["duration"] is None, out
    n += 1

    # 7. a recording cut short (no end record, a half-written last line)
    lines = [json.dumps(r) for r in synthetic([[A]] * 5, end=False)]
    lines.append(lines[-1][:17])
    tl = Timeline.from_lines(lines)
    assert not tl.complete and len(tl.rounds) == 5
    try:
        Timeline.from_lines(["{", lines[0]])
    except ValueError:
        pass
    else:
        raise AssertionError("a bad line in the middle was accepted")
    assert "no end record" in tl.summary()
    n += 1
    return n


if __name__ == "__main__":
    if sys.argv[1:] == ["--selfcheck"]:
        print("vip_timeline: %d self-checks passed" % selfcheck())
    elif len(sys.argv) == 2:
        print(Timeline.from_file(sys.argv[1]).summary())
    else:
        sys.stderr.write("usage: vip_timeline.py FILE | --selfcheck\n")
        sys.exit(2)
