"""Ties settled by the witness (issue 4): two nodes, lan1 and a witness over
HTTP on a network of its own. Exactly half of the votes is a tie; the side
the witness grants is quorate, the other is not, and without the witness
neither is. docs/membership.md says how the witness is asked."""

import random
import re
import time

import pytest

import vigil_lab

vigil_lab.skip_unless_ready(daemon=False, witness=True)


def need():
    why = vigil_lab.missing_requirements(daemon=True, witness=True)
    if why:
        pytest.skip(why)


@pytest.fixture
def wlab(make_lab):
    need()
    lab = make_lab(2, links=[("lan1", "ipv4")], witness=True)
    lab.wait_converged(timeout=10.0)
    return lab


def views(lab):
    return {n: lab.status(n)["view"] for n in lab.nodes}


def two_disjoint_quorate(vs):
    """Both quorate in views that do not share a node: split brain."""
    a, b = vs["n1"], vs["n2"]
    return a["quorate"] and b["quorate"] and not set(a["members"]) & set(b["members"])


def test_lan_cut_exactly_one_side_quorate_20_times(wlab):
    lab = wlab
    rng = random.Random(20261123)
    winners = []
    for trial in range(20):
        time.sleep(rng.uniform(0.0, 0.3))       # the cut at a random moment of the cycle
        who = rng.choice(["n1", "n2"])
        lab.link_down(who, "lan1")
        deadline = time.monotonic() + 3.0
        settled = None
        for _ in range(300):                    # poll every 10 ms until settled, 3 s at most
            vs = views(lab)
            assert not two_disjoint_quorate(vs), lab.explain(
                "trial %d: both sides quorate: %r" % (trial, vs))
            alone = len(vs["n1"]["members"]) == 1 and len(vs["n2"]["members"]) == 1
            q = [n for n in ("n1", "n2") if vs[n]["quorate"]]
            if alone and len(q) == 1:
                other = "n2" if q[0] == "n1" else "n1"
                if "lost the witness's arbitration" in vs[other]["quorum"]:
                    settled = vs
                    break
            if time.monotonic() > deadline:
                break
            time.sleep(0.01)
        assert settled, lab.explain("trial %d: no single quorate side within 3 s: %r" % (
            trial, views(lab)))
        win = "n1" if settled["n1"]["quorate"] else "n2"
        lose = "n2" if win == "n1" else "n1"
        assert "witness" in settled[win]["quorum"], settled
        assert "lost the witness's arbitration" in settled[lose]["quorum"], settled
        # stays so: the loser never becomes quorate while cut
        for _ in range(10):
            vs = views(lab)
            assert not two_disjoint_quorate(vs) and vs[win]["quorate"], lab.explain(repr(vs))
            time.sleep(0.05)
        winners.append(win)
        lab.link_up(who, "lan1")
        lab.wait_converged(timeout=10.0)
    assert len(winners) == 20


def test_witness_and_lan_gone_neither_side_quorate(wlab):
    lab = wlab
    lab.witness_kill()
    lab.wait_for(lambda: all(lab.own_link(lab.status(n), "arbiter").get("state") == "down"
                             for n in lab.nodes), 5.0, "both nodes to lose the witness")
    lab.link_down("n1", "lan1")
    lab.wait_for(lambda: all(len(v["members"]) == 1 for v in views(lab).values()), 5.0,
                 "each node alone in its view")
    for _ in range(20):                         # 2 s: still neither
        vs = views(lab)
        assert not vs["n1"]["quorate"] and not vs["n2"]["quorate"], lab.explain(repr(vs))
        for v in vs.values():
            assert "witness cannot settle it" in v["quorum"] or "asking" in v["quorum"], v
        time.sleep(0.1)
    for n in lab.nodes:
        with open(lab.nodes[n].log, errors="replace") as f:
            text = f.read()
        assert "NOT quorate" in text and "witness cannot settle it" in text, text[-1500:]
    # the witness comes back: one side wins
    lab.witness_start()
    lab.wait_for(lambda: sum(v["quorate"] for v in views(lab).values()) == 1, 10.0,
                 "one side to win once the witness is back")
    assert not two_disjoint_quorate(views(lab))


LOG_RE = re.compile(r"^\[\s*(\d+\.\d+)\] vigild\[([^\]]+)\] (\w+): (.*)$")


def first_log_line(lab, node, text, after):
    """Monotonic time of the first line of `node`'s log at or after `after`
    whose message holds `text`, or None."""
    with open(lab.nodes[node].log, errors="replace") as f:
        for line in f:
            m = LOG_RE.match(line.rstrip("\n"))
            if m and m.group(2) == node and float(m.group(1)) >= after - 0.001 \
                    and text in m.group(4):
                return float(m.group(1))
    return None


@pytest.fixture
def dlab2(make_lab):
    why = vigil_lab.missing_requirements(daemon=True, disk=True)
    if why:
        pytest.skip(why)
    lab = make_lab(2, links=[("lan1", "ipv4")], disk=True)
    lab.wait_converged(timeout=10.0)
    return lab


@pytest.mark.parametrize("cut", ["n1", "n2"])
def test_disk_tiebreak_lower_priority_stands_down_and_winner_waits(dlab2, cut):
    """No witness, a shared disk: n2 (the higher id) stands down and writes so
    on the disk; n1 is quorate only once it has read that, never before."""
    lab = dlab2
    t_cut = time.monotonic()
    lab.link_down(cut, "lan1")
    t0 = time.monotonic()
    seen_wait = False
    settled = None
    for _ in range(300):                          # 3 s at most, every 10 ms
        vs = views(lab)
        assert not two_disjoint_quorate(vs), lab.explain(repr(vs))
        if len(vs["n1"]["members"]) == 1 and "waiting for n2" in vs["n1"]["quorum"]:
            seen_wait = True
            assert not vs["n1"]["quorate"], vs
        if vs["n1"]["quorate"] and len(vs["n1"]["members"]) == 1 and not vs["n2"]["quorate"]:
            settled = vs
            break
        if time.monotonic() - t0 > 3.0:
            break
        time.sleep(0.01)
    assert settled, lab.explain("no settled tie after 3 s: %r" % (views(lab),))
    assert "n2 stood down (confirmed on the disk)" in settled["n1"]["quorum"], settled
    assert "lost the disk tie-break" in settled["n2"]["quorum"], settled
    slots = {s["name"]: s for s in lab.disk_dump()["slots"]}
    assert slots["n2"]["state"] == "stood-down" and slots["n1"]["state"] == "running", slots
    for _ in range(10):                           # and it stays so
        vs = views(lab)
        assert vs["n1"]["quorate"] and not vs["n2"]["quorate"], lab.explain(repr(vs))
        time.sleep(0.05)
    # n1 counted the tie as won only after n2 had decided to stand down:
    # either the test saw it wait, or its log says when it counted the tie
    # won, and that is after n2's log says it lost (one monotonic clock)
    t_lost = first_log_line(lab, "n2", "lost the disk tie-break", t_cut)
    t_won = first_log_line(lab, "n1", "n2 stood down (confirmed on the disk)", t_cut)
    assert t_lost is not None and t_won is not None, lab.explain(
        "n2 lost at %r, n1 confirmed at %r" % (t_lost, t_won))
    assert seen_wait or t_won >= t_lost, lab.explain(
        "n1 counted n2 as stood down at %.3f, before n2 lost the tie at %.3f" % (t_won, t_lost))
    lab.link_up(cut, "lan1")
    lab.wait_converged(timeout=10.0)
    slots = {s["name"]: s for s in lab.disk_dump()["slots"]}
    lab.wait_for(lambda: {s["name"]: s for s in lab.disk_dump()["slots"]}["n2"]["state"] == "running",
                 3.0, "n2 to write 'running' again once back in a quorate view")


NP_SECTIONS = {
    "ping": '[np "gw"]\ntype = ping\ntargets = 198.18.0.250\ninterval = 200ms\ntimeout = 1s\n',
    "http": '[np "gw"]\ntype = http\nurl = http://198.18.0.250:%d/healthz\ninterval = 200ms\n'
            'timeout = 1s\n' % vigil_lab.WITNESS_PORT,
}


@pytest.fixture(params=["ping", "http"])
def plab(make_lab, request):
    """Two nodes, lan1, a disk, and ping network-partition resolution against
    the host at 198.18.0.250 on a separate network (the lab's witness
    network, without a witness link: the witness process is just the host
    answering pings there)."""
    why = vigil_lab.missing_requirements(daemon=True, disk=True, witness=True)
    if why:
        pytest.skip(why)
    lab = make_lab(2, links=[("lan1", "ipv4")], disk=True, witness=True, witness_link=None,
                   extra_config=NP_SECTIONS[request.param])
    lab.np_kind = request.param
    lab.wait_converged(timeout=10.0)
    return lab


def test_np_node_without_its_uplink_loses_even_with_the_lowest_id(plab):
    """n1 holds the lowest id, so the disk alone would make it win; but its
    uplink to the ping target (or the HTTP URL) is cut too: it loses and
    stands down, and n2, which still reaches it, wins once n1's stand-down is
    on the disk. Each side says whether it cannot reach the target itself."""
    lab = plab
    lab.witness_link_down("n1")            # n1's way to the ping target
    lab.link_down("n1", "lan1")            # and the interconnect
    settled = None
    t0 = time.monotonic()
    for _ in range(500):                   # 5 s at most, every 10 ms
        vs = views(lab)
        assert not two_disjoint_quorate(vs), lab.explain(repr(vs))
        if vs["n2"]["quorate"] and vs["n2"]["members"] == ["n2"] and not vs["n1"]["quorate"]:
            settled = vs
            break
        if time.monotonic() - t0 > 5.0:
            break
        time.sleep(0.01)
    assert settled, lab.explain("n2 did not win within 5 s: %r" % (views(lab),))
    if lab.np_kind == "ping":
        assert "cannot reach its ping targets" in settled["n1"]["quorum"], settled
    else:
        assert "cannot reach http://198.18.0.250" in settled["n1"]["quorum"], settled
    assert "n1 stood down (confirmed on the disk)" in settled["n2"]["quorum"], settled
    for _ in range(20):                    # stable for 1 s
        vs = views(lab)
        assert vs["n2"]["quorate"] and not vs["n1"]["quorate"], lab.explain(repr(vs))
        time.sleep(0.05)
    # n1's uplink back, the interconnect still cut: no flip-flop, n2 keeps it
    lab.witness_link_up("n1")
    for _ in range(40):                    # 2 s
        vs = views(lab)
        assert vs["n2"]["quorate"] and not vs["n1"]["quorate"], lab.explain(repr(vs))
        time.sleep(0.05)
