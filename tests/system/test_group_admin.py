"""The admin commands end to end (docs/groups.md, "Admin state";
docs/vigilctl.md): vigilctl move / move --clear / stop / start / standby /
unstandby on the lab of test_groups.py (3 nodes, the group `web` on n1, n2,
n3 with failback off, fencing = none, a client namespace recording every
10 ms which MAC answers for the VIP). n1 is the coordinator (lowest id).

Every command is bounded by its own --timeout (15 s here) and each test
by its lab (well under 60 s).

Run: /usr/bin/python3 -m pytest -q -rs tests/system/test_group_admin.py
"""

import os
import time

import vigil_lab
from test_groups import app_file, crash, glab, log_text, wait_online, web  # noqa: F401 (glab)

vigil_lab.skip_unless_ready()

CMD_TIMEOUT = "15s"


def ctl(lab, node, *args):
    """vigilctl on node's socket; the CompletedProcess (text)."""
    argv = [lab.vigilctl, "--socket", lab.nodes[node].socket] + list(args)
    if args[0] in ("move", "stop", "start", "standby", "unstandby") and "--timeout" not in args:
        argv += ["--timeout", CMD_TIMEOUT]
    r = vigil_lab._run(argv, timeout=30, check=False)
    r.out = r.stdout.decode(errors="replace")
    r.err = r.stderr.decode(errors="replace")
    return r


def ok(lab, node, *args):
    t0 = time.monotonic()
    r = ctl(lab, node, *args)
    assert r.returncode == 0, "vigilctl %s on %s: exit %d\n%s%s\n%s" % (
        " ".join(args), node, r.returncode, r.out, r.err, lab.explain(""))
    print("vigilctl %s (on %s): %.2f s: %s" % (" ".join(args), node, time.monotonic() - t0,
                                                r.out.strip()))
    return r


def test_move_stays_then_clear_and_move_back(glab):
    """move web n2 → the VIP moves from n1's MAC to n2's, never two at once;
    status on every node names the move target; web stays on n2 while n1 is
    healthy (no hidden failback); move --clear drops the target and, with
    failback off, web stays on n2; a move back to n1 (its first node) brings
    it back and leaves no target behind."""
    wait_online(glab, "n1")
    mac1, mac2 = glab.mac("n1", "lan1"), glab.mac("n2", "lan1")
    probe = glab.probe_vip(glab.vip_ip, 40, wait=False)
    probe.wait_until(lambda tl: mac1 in tl.macs(), 3, "n1 answering")
    r = ok(glab, "n1", "move", "web", "n2")
    assert "done" in r.out and "online on n2" in r.out, r.out
    probe.wait_until(lambda tl: mac2 in tl.macs(), 3, "n2 answering")
    for n in ("n1", "n2", "n3"):
        glab.wait_for(lambda: web(glab.status(n)).get("move_target") == "n2", 3,
                      "%s to show the move target n2" % n)
    glab.hold(lambda: web(glab.status("n1")).get("node") == "n2", 1.5, "web to stay on n2")
    ok(glab, "n1", "move", "web", "--clear")
    g = web(glab.status("n1"))
    assert g["move_target"] is None and g["node"] == "n2", g
    glab.hold(lambda: web(glab.status("n1")).get("node") == "n2", 1.0,
              "web to stay on n2 after --clear (failback off)")
    ok(glab, "n2", "move", "web", "n1")
    wait_online(glab, "n1", timeout=5)
    glab.wait_for(lambda: web(glab.status("n3")).get("move_target") is None, 3,
                  "the move back to n1 to leave no target")
    tl = probe.stop()
    tl.assert_single_holder()
    assert tl.macs() == {mac1, mac2}, tl.summary()


def test_standby_forwarded_and_unstandby(glab):
    """move web n2, then standby n2 given on n3 (not the coordinator: the
    REQUEST is forwarded) → web leaves n2 for n1, n2 shows `standby` and
    takes nothing; the lapsed move stays visible; unstandby n2 → the move
    applies again (web back on n2), node n2 alive."""
    wait_online(glab, "n1")
    ok(glab, "n1", "move", "web", "n2")
    r = ok(glab, "n3", "standby", "n2")
    assert "done" in r.out, r.out
    wait_online(glab, "n1", timeout=5)
    st = glab.status("n1")
    assert glab.entry(st, "n2")["state"] == "standby", st["nodes"]
    assert st["admin"]["standby"] == ["n2"], st["admin"]
    g = web(st)
    assert g["move_target"] == "n2" and g["move_lapsed"] and "standby" in g["move_lapsed"], g
    assert glab.entry(glab.status("n3"), "n2")["state"] == "standby"
    assert "forwarded" not in r.err
    ok(glab, "n2", "unstandby", "n2")
    wait_online(glab, "n2", timeout=5)
    assert glab.entry(glab.status("n1"), "n2")["state"] == "alive"


def test_stop_then_start(glab):
    """stop web → offline everywhere, the VIP answers nowhere, the app file
    is gone; start web → online on n1 again."""
    wait_online(glab, "n1")
    r = ok(glab, "n2", "stop", "web")
    assert "offline" in r.out, r.out
    for n in ("n1", "n2", "n3"):
        g = web(glab.status(n))
        assert g["state"] == "offline" and g["admin_stopped"] is True, (n, g)
    tl = glab.probe_vip(glab.vip_ip, 0.5)
    assert tl.macs() == set(), tl.summary()
    ok(glab, "n1", "start", "web")
    wait_online(glab, "n1", timeout=5)
    assert web(glab.status("n3"))["admin_stopped"] is False


def test_errors_are_clear(glab):
    """An unknown group or node → exit 1, naming it and what exists; a
    missing argument → exit 2 with the usage."""
    wait_online(glab, "n1")
    r = ctl(glab, "n2", "move", "web", "nx")
    assert r.returncode == 1 and "no node 'nx'" in r.err and "n1, n2, n3" in r.err, r.err
    r = ctl(glab, "n2", "stop", "nosuch")
    assert r.returncode == 1 and "no group 'nosuch'" in r.err and "web" in r.err, r.err
    r = ctl(glab, "n2", "standby", "nx")
    assert r.returncode == 1 and "no node 'nx'" in r.err, r.err
    r = ctl(glab, "n2", "move", "web")
    assert r.returncode == 2 and "usage:" in r.err, r.err
    assert web(glab.status("n1"))["node"] == "n1"


def test_standby_survives_coordinator_crash(glab):
    """standby n3, then the coordinator n1 crashes (kill -9, links down) →
    the new coordinator n2 keeps n3 in standby: web goes to n2, never n3;
    then standby n2 too → nothing may hold it, it stops (a clear reason in
    the timeout message of a move to n3)."""
    wait_online(glab, "n1")
    ok(glab, "n2", "standby", "n3")
    crash(glab, "n1")
    wait_online(glab, "n2", names=("n2", "n3"), timeout=10)
    for n in ("n2", "n3"):
        st = glab.status(n)
        assert st["admin"]["standby"] == ["n3"], (n, st["admin"])
        assert glab.entry(st, "n3")["state"] == "standby", (n, st["nodes"])
    assert web(glab.status("n2"))["nodes"]["n3"]["state"] == "stopped"
    r = ctl(glab, "n3", "move", "web", "n3", "--timeout", "2s")
    assert r.returncode == 1 and "not done after" in r.err, r.err


def test_restarted_coordinator_carries_on(glab):
    """stop web, then n1 (the coordinator) is killed and started again: it
    comes back as coordinator with no admin state of its own, and n2 and n3
    send theirs back before it places anything: web stays offline (no app
    file anywhere, the VIP silent), n1's status shows it stopped by the
    administrator; start web → online on n1."""
    wait_online(glab, "n1")
    ok(glab, "n1", "stop", "web")
    glab.kill9("n1")
    glab.start("n1")
    glab.wait_for(lambda: glab.status("n1")["view"]["coordinator"] == "n1"
                  and glab.status("n1")["view"]["quorate"], 10, "n1 to coordinate again")
    probe = glab.probe_vip(glab.vip_ip, 1.5, wait=False)
    glab.hold(lambda: not any(os.path.exists(app_file(glab, n)) for n in ("n1", "n2", "n3")),
              1.5, "web to stay stopped everywhere")
    tl = probe.wait()
    assert tl.macs() == set(), tl.summary()
    g = web(glab.status("n1"))
    assert g["admin_stopped"] is True and g["state"] == "offline", g
    assert "holds a newer admin state" in log_text(glab, "n1")
    ok(glab, "n3", "start", "web")
    wait_online(glab, "n1", timeout=5)


def test_no_quorum_refused(glab):
    """n2 and n3 crash: n1 alone has no quorum → stop web given on n1 is
    refused at once (exit 1) with the coordinator's reason."""
    wait_online(glab, "n1")
    crash(glab, "n2")
    crash(glab, "n3")
    glab.wait_for(lambda: not glab.status("n1")["view"]["quorate"], 5, "n1 to lose quorum")
    t0 = time.monotonic()
    r = ctl(glab, "n1", "stop", "web")
    took = time.monotonic() - t0
    assert r.returncode == 1 and "no quorum" in r.err, r.err
    assert took < 5, "refused after %.1f s, not at once" % took
    print("refused in %.2f s: %s" % (took, r.err.strip()))
