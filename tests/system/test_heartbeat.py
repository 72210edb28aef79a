"""Heartbeat system tests: 3 real vigild in network namespaces, lan1 (IPv4)
and lan2 (IPv6), interval 100ms, timeout 500ms. Each test gets a fresh lab
(the `lab` fixture in conftest.py). See docs/testing.md."""

import os
import random
import time

import vigil_lab
import vigil_wire

vigil_lab.skip_unless_ready()

LINKS = ("lan1", "lan2")
INTERVAL = 0.1
TIMEOUT = 0.5
SLACK = 0.2              # detection must happen within TIMEOUT + SLACK
DETECT_WAIT = TIMEOUT + 2.0  # how long we poll for a detection (the bound is checked on since_mono)


def drops(st):
    return dict(st.get("drops") or {})


def delta(after, before):
    return {k: after.get(k, 0) - before.get(k, 0) for k in set(after) | set(before)
            if after.get(k, 0) != before.get(k, 0)}


def peer(st, name):
    return vigil_lab.Lab.entry(st, name)


def check_detection(lab, observer, target, t0, what):
    """Wait until `observer` reports `target` dead and check the detection
    time since_mono - t0 against the timeout. Also checks, independently of
    since_mono, that no status taken after t0 + TIMEOUT + SLACK (by the
    daemon's own now_mono) still showed the target not dead."""
    last_not_dead = [None]

    def dead():
        st = lab.status(observer)
        e = peer(st, target)
        if e["state"] == "dead":
            return e, st
        last_not_dead[0] = st["now_mono"]
        return False

    e, st = lab.wait_for(dead, DETECT_WAIT, "%s to see %s dead (%s)" % (observer, target, what),
                         interval=0.02)
    d = e["since_mono"] - t0
    # the last heartbeat left at most one interval before t0; so no detection
    # before TIMEOUT - INTERVAL, and none later than TIMEOUT + SLACK
    assert TIMEOUT - INTERVAL - 0.05 <= d <= TIMEOUT + SLACK, lab.explain(
        "%s: %s saw %s dead %.3fs after the fault (allowed %.2f..%.2f)" % (
            what, observer, target, d, TIMEOUT - INTERVAL - 0.05, TIMEOUT + SLACK))
    assert e["since_mono"] <= st["now_mono"], lab.explain(
        "%s: since_mono %.3f is after the status time %.3f" % (what, e["since_mono"], st["now_mono"]))
    if last_not_dead[0] is not None:
        late = last_not_dead[0] - t0
        assert late <= TIMEOUT + SLACK, lab.explain(
            "%s: %s still showed %s not dead %.3fs after the fault (since_mono says %.3fs)" % (
                what, observer, target, late, d))
    for link in LINKS:
        assert e["links"].get(link) == "down", lab.explain(
            "%s: %s says %s is dead but its %s is %r" % (what, observer, target, link,
                                                         e["links"].get(link)))
    return d


# ---------------------------------------------------------------------------

def test_all_alive_every_link_up_rtt(lab):
    names = sorted(lab.nodes)

    def ready():
        sts = lab.converged()
        if not sts:
            return False
        for obs, st in sts.items():
            for e in st["nodes"]:
                if e["name"] == obs:
                    continue
                det = e.get("link_detail") or {}
                if any((det.get(l) or {}).get("rtt_ms") is None for l in LINKS):
                    return False
                if set(LINKS) - set((e.get("sees") or {}).get(obs) or []):
                    return False
        return sts

    sts = lab.wait_for(ready, 5.0, "every link up with an RTT on every node, and every peer "
                                   "saying it sees the observer on both links")
    for obs, st in sts.items():
        ctx = lambda m: lab.explain("%s: %s" % (obs, m))  # noqa: E731
        assert st["node"] == obs, ctx("node is %r" % st.get("node"))
        assert st["id"] == lab.nodes[obs].id, ctx("id %r" % st.get("id"))
        assert st["cluster"] == lab.cluster, ctx("cluster %r" % st.get("cluster"))
        assert st["config"]["interval_ms"] == 100 and st["config"]["timeout_ms"] == 500, ctx(
            "config %r" % st.get("config"))
        assert sorted(e["name"] for e in st["nodes"]) == names, ctx("nodes list")
        me = peer(st, obs)
        assert me["self"] is True and me["state"] == "alive", ctx("self entry %r" % me)
        assert me["incarnation"] == st["incarnation"], ctx("self incarnation")
        for other in names:
            if other == obs:
                continue
            e = peer(st, other)
            assert e["self"] is False, ctx("%s marked self" % other)
            assert e["state"] == "alive", ctx("%s is %s" % (other, e["state"]))
            assert e["incarnation"] == sts[other]["incarnation"], ctx(
                "%s's incarnation %r, it says %r" % (other, e["incarnation"], sts[other]["incarnation"]))
            assert e["since_mono"] <= st["now_mono"], ctx("since_mono in the future")
            for link in LINKS:
                assert e["links"][link] == "up", ctx("%s %s %s" % (other, link, e["links"][link]))
                det = e["link_detail"][link]
                assert 0 < det["rtt_ms"] < 100, ctx("%s %s rtt %r" % (other, link, det["rtt_ms"]))
                assert det["srtt_ms"] is not None and 0 < det["srtt_ms"] < 100, ctx(
                    "%s %s srtt %r" % (other, link, det["srtt_ms"]))
                assert det["last_rx_ago_ms"] < TIMEOUT * 1000, ctx("last_rx_ago_ms %r" % det)
        view = st["view"]
        assert sorted(view["members"]) == names and view["quorate"] is True \
            and view["coordinator"] == "n1", ctx("view %r" % view)
        d = drops(st)
        assert d and all(v == 0 for v in d.values()), ctx("drops in a clean lab: %r" % d)
        assert st["counters"]["sent"] > 0 and st["counters"]["received"] > 0, ctx(
            "counters %r" % st["counters"])
        assert {l["name"]: l["socket"] for l in st["links"]} == {"lan1": "up", "lan2": "up"}, ctx(
            "links %r" % st["links"])


def test_link_cut_and_restore(lab):
    sts = lab.wait_converged()
    since = {o: peer(sts[o], "n1")["since_mono"] for o in ("n2", "n3")}
    inc = sts["n1"]["incarnation"]
    t0 = time.monotonic()
    lab.link_down("n1", "lan2")
    for obs in ("n2", "n3"):
        e = lab.wait_for(lambda obs=obs: lab.sees(obs, "n1", "alive", {"lan2": "down", "lan1": "up"}),
                         DETECT_WAIT, "%s to see n1's lan2 down and lan1 up" % obs)
        d = e["link_detail"]["lan2"]["since_mono"] - t0
        assert 0 < d <= TIMEOUT + SLACK, lab.explain(
            "%s saw n1's lan2 down after %.3fs (allowed up to %.2f)" % (obs, d, TIMEOUT + SLACK))
        # and from n1's side, the peer's lan2 is down too
        lab.wait_for(lambda obs=obs: lab.sees("n1", obs, "alive", {"lan2": "down", "lan1": "up"}),
                     DETECT_WAIT, "n1 to see %s's lan2 down" % obs)
    # n1 never stopped being alive: a cut link is not a dead node
    for obs in ("n2", "n3"):
        e = peer(lab.status(obs), "n1")
        assert e["state"] == "alive" and e["since_mono"] == since[obs] and e["incarnation"] == inc, \
            lab.explain("%s: n1 should have stayed alive since %.3f: %r" % (obs, since[obs], e))
    lab.link_up("n1", "lan2")
    sts = lab.wait_converged(timeout=5.0)
    for obs in ("n2", "n3"):
        e = peer(sts[obs], "n1")
        assert e["since_mono"] == since[obs], lab.explain("%s: n1 flapped: %r" % (obs, e))
        assert e["link_detail"]["lan2"]["since_mono"] > t0, lab.explain("lan2 since_mono not updated")


def test_kill9_detected_within_timeout(lab):
    lab.wait_converged()
    t0 = lab.kill9("n1")
    delays = {obs: check_detection(lab, obs, "n1", t0, "kill -9") for obs in ("n2", "n3")}
    # the survivors still see each other
    for a, b in (("n2", "n3"), ("n3", "n2")):
        assert lab.sees(a, b, "alive", {"lan1": "up", "lan2": "up"}), lab.explain(
            "%s should still see %s alive" % (a, b))
    print("detection after kill -9: %s" % {k: "%.3fs" % v for k, v in delays.items()})


def test_sigstop_dead_then_sigcont_alive(lab):
    sts = lab.wait_converged()
    inc = sts["n1"]["incarnation"]
    t0 = lab.stop("n1")
    try:
        for obs in ("n2", "n3"):
            check_detection(lab, obs, "n1", t0, "SIGSTOP")
        left = t0 + 2.0 - time.monotonic()
        if left > 0:
            time.sleep(left)
        # still dead after 2 s stopped
        for obs in ("n2", "n3"):
            assert lab.sees(obs, "n1", "dead"), lab.explain("%s: n1 should be dead while stopped" % obs)
    finally:
        t1 = lab.cont("n1")
    for obs in ("n2", "n3"):
        e = lab.wait_for(lambda obs=obs: lab.sees(obs, "n1", "alive"), 3.0,
                         "%s to see n1 alive again after SIGCONT" % obs)
        assert e["incarnation"] == inc, lab.explain(
            "%s: n1 is the same process; incarnation changed %s -> %s" % (obs, inc, e["incarnation"]))
        assert e["since_mono"] >= t1, lab.explain("%s: alive since %.3f before SIGCONT at %.3f" % (
            obs, e["since_mono"], t1))
    lab.wait_converged(timeout=5.0)


def _heartbeat_header(frame, lab, sender, dest):
    h = vigil_wire.parse_header(frame["payload"])
    assert h and h["magic"] == vigil_wire.MAGIC and h["sender"] == lab.nodes[sender].id \
        and h["dest"] == lab.nodes[dest].id and h["link"] == 0, lab.explain(
            "captured datagram is not a heartbeat %s -> %s on lan1: %r" % (sender, dest, h))
    assert vigil_wire.verify_mac(lab.key(), frame["payload"]), lab.explain(
        "captured heartbeat does not verify with the cluster key (wire-format.md mismatch?)")
    return h


def _replay_and_expect(lab, frame, at, sender, reasons, what):
    """Inject `frame` (from `sender`) and expect exactly one more drop in one
    of `reasons` at `at`, and nothing else to change."""
    before = lab.status(at)
    n = lab.inject(sender, [frame], "lan1")
    assert n == 1

    def counted():
        st = lab.status(at)
        return st if sum(drops(st).get(r, 0) - drops(before).get(r, 0) for r in reasons) >= 1 else False

    after = lab.wait_for(counted, 3.0, "%s to count the %s in %s" % (at, what, "/".join(reasons)))
    time.sleep(3 * INTERVAL)   # let anything else that would change show up
    after = lab.status(at)
    dd = delta(drops(after), drops(before))
    assert len(dd) == 1 and list(dd.values()) == [1] and list(dd)[0] in reasons, lab.explain(
        "%s: %s should add exactly one drop in %s; drops changed by %r" % (at, what, reasons, dd))
    for e0 in before["nodes"]:
        e1 = peer(after, e0["name"])
        for k in ("state", "since_mono", "incarnation", "links"):
            assert e1.get(k) == e0.get(k), lab.explain("%s: %s changed %s of %s: %r -> %r" % (
                at, what, k, e0["name"], e0.get(k), e1.get(k)))
    return list(dd)[0]


def test_restart_new_incarnation_and_replay_rejected(lab):
    sts = lab.wait_converged()
    old_inc = sts["n1"]["incarnation"]
    frames = lab.capture("n2", "n1", "lan1", count=2, timeout=5.0)
    assert len(frames) == 2, lab.explain("captured %d heartbeats of n1 at n2, wanted 2" % len(frames))
    for f in frames:
        h = _heartbeat_header(f, lab, "n1", "n2")
        assert h["incarnation"] == int(old_inc, 16), lab.explain(
                "captured incarnation %016x is not n1's %s" % (h["incarnation"], old_inc))

    # replayed while the incarnation is current: an old sequence -> replay
    _replay_and_expect(lab, frames[0], "n2", "n1", ("replay",), "replay of a current-incarnation heartbeat")

    lab.restart("n1")
    new_inc = lab.wait_for(lambda: (lab.status("n1")["incarnation"]), 5.0, "n1's new status")
    assert new_inc != old_inc, lab.explain("n1 restarted but kept incarnation %s" % old_inc)
    for obs in ("n2", "n3"):
        lab.wait_for(lambda obs=obs: (lambda e: e and e["incarnation"] == new_inc)(
            lab.sees(obs, "n1", "alive")), 5.0,
            "%s to see n1 alive with its new incarnation %s" % (obs, new_inc))
    lab.wait_converged(timeout=5.0)

    # a heartbeat of the old incarnation, replayed after the restart
    why = _replay_and_expect(lab, frames[1], "n2", "n1", ("stale_incarnation", "replay"),
                             "replay of an old-incarnation heartbeat")
    e = peer(lab.status("n2"), "n1")
    assert e["incarnation"] == new_inc and e["state"] == "alive", lab.explain(
        "n2 went back to n1's old incarnation after the replay: %r" % e)
    print("old-incarnation replay counted as %s" % why)


def test_garbage_and_forgeries_dropped_by_reason(lab):
    sts = lab.wait_converged()
    rnd = random.Random(0x5647494C)
    key = lab.key()
    wrong_key = bytes(rnd.randrange(256) for _ in range(32))
    cluster = lab.cluster
    target = lab.nodes["n1"].id

    def rbytes(n):
        return bytes(rnd.randrange(256) for _ in range(n))

    def hb(k, sender=2, **kw):
        return vigil_wire.build(k, cluster, sender, target, rnd.getrandbits(64), rnd.randrange(1, 1 << 40),
                                int(time.monotonic() * 1e6), **kw)

    lan1, lan2 = [], []
    for i in range(250):                                 # too short
        (lan1 if i % 5 else lan2).append(rbytes(rnd.randrange(1, vigil_wire.MIN_LEN)))
    for i in range(250):                                 # bad magic, otherwise well-formed
        m = rnd.getrandbits(32)
        if m == vigil_wire.MAGIC:
            m ^= 1
        lan1.append(hb(key, magic=m))
    for i in range(250):                                 # random bytes, long enough
        (lan1 if i % 5 else lan2).append(rbytes(rnd.randrange(vigil_wire.MIN_LEN, 300)))
    for i in range(250):                                 # right format, wrong key
        lan1.append(hb(wrong_key, sender=rnd.choice((2, 3))))
    lan1 += [hb(key, version=2) for _ in range(5)]       # bad version, right key
    lan1 += [hb(key, cid=vigil_wire.cluster_id(cluster) ^ 0x1) for _ in range(5)]  # other cluster
    unknown = hb(key, sender=9)                          # right key, unknown sender
    lan1.append(unknown)

    expected = {}
    for d in lan1 + lan2:
        why = vigil_wire.expected_stateless_drop(d, cluster, key) or "unknown_node"
        expected[why] = expected.get(why, 0) + 1
    assert expected.get("unknown_node") == 1 and expected["bad_mac"] == 250
    assert expected["short"] >= 250 and expected["bad_magic"] >= 250

    before = lab.status("n1")
    lab.send_udp("n3", "n1", "lan1", lan1, pace=10)
    lab.send_udp("n3", "n1", "lan2", lan2, pace=10)
    total = len(lan1) + len(lan2)

    def all_counted():
        st = lab.status("n1")
        return st if sum(delta(drops(st), drops(before)).values()) >= total else False

    try:
        lab.wait_for(all_counted, 10.0, "n1 to count %d dropped datagrams" % total)
    except AssertionError as e:
        snmp = lab.exec_in("n1", ["cat", "/proc/net/snmp"], check=False).stdout.decode()
        udp = [l for l in snmp.splitlines() if l.startswith("Udp:")]
        raise AssertionError("%s\nexpected drops %r\nUDP stats in n1: %s" % (e, expected, udp))
    time.sleep(3 * INTERVAL)
    after = lab.status("n1")
    got = delta(drops(after), drops(before))
    assert got == expected, lab.explain("drop counters of n1 grew by %r, expected %r" % (got, expected))
    # and nothing about the cluster changed
    for e0 in before["nodes"]:
        e1 = peer(after, e0["name"])
        for k in ("state", "since_mono", "incarnation", "links"):
            assert e1.get(k) == e0.get(k), lab.explain("garbage changed %s of %s: %r -> %r" % (
                k, e0["name"], e0.get(k), e1.get(k)))
    assert lab.converged(), lab.explain("cluster no longer converged after the garbage")
    assert not lab.check_daemons(), lab.explain("a daemon died: %r" % lab.check_daemons())


def test_one_way_drop(lab):
    lab.wait_converged()
    t0 = time.monotonic()
    lab.drop_from("n1", "n2", "lan1")          # n1 no longer hears n2 on lan1
    e = lab.wait_for(lambda: lab.sees("n1", "n2", "alive", {"lan1": "down", "lan2": "up"}),
                     DETECT_WAIT, "n1 to see n2's lan1 down (and n2 still alive)")
    d = e["link_detail"]["lan1"]["since_mono"] - t0
    assert 0 < d <= TIMEOUT + SLACK, lab.explain("n1 saw n2's lan1 down after %.3fs" % d)
    # n2 still hears n1 on lan1, for longer than a timeout
    lab.hold(lambda: lab.sees("n2", "n1", "alive", {"lan1": "up", "lan2": "up"}), 2 * TIMEOUT,
             "n2 sees n1's lan1 up while only n1's input is filtered")
    assert lab.sees("n1", "n3", "alive", {"lan1": "up", "lan2": "up"}), lab.explain(
        "n1's view of n3 should be untouched")
    # n2 learns from n1's heartbeats that n1 does not see it on lan1
    st2 = lab.status("n2")
    sees = (peer(st2, "n1").get("sees") or {}).get("n2")
    assert sees is not None and "lan1" not in sees and "lan2" in sees, lab.explain(
        "n1's heartbeats should say it sees n2 on lan2 only, n2 reports %r" % sees)
    lab.clear_drops("n1")
    lab.wait_for(lambda: lab.sees("n1", "n2", "alive", {"lan1": "up", "lan2": "up"}),
                 DETECT_WAIT, "n1 to see n2's lan1 up again")
    lab.wait_converged(timeout=5.0)


def test_partition_between_two_nodes(lab):
    """n1 and n2 cannot hear each other on any link; n3 hears both."""
    lab.wait_converged()
    t0 = time.monotonic()
    lab.drop_both("n1", "n2")
    check_detection(lab, "n1", "n2", t0, "full cut n1<->n2")
    check_detection(lab, "n2", "n1", t0, "full cut n1<->n2")
    lab.hold(lambda: lab.sees("n3", "n1", "alive", {"lan1": "up", "lan2": "up"})
             and lab.sees("n3", "n2", "alive", {"lan1": "up", "lan2": "up"}), 2 * TIMEOUT,
             "n3 still sees n1 and n2 alive")
    lab.clear_drops()
    lab.wait_converged(timeout=5.0)

