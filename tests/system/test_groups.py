"""Failover groups run by vigild (issue 5, docs/groups.md): 3 nodes, lan1
(IPv4) and lan2 (IPv6), interval 100ms, timeout 500ms, a client namespace on
lan1 that records every 10 ms which MAC answers for the group's VIP
(vip_probe.py, vip_timeline.py). A fresh lab per test, `fencing = none`
(there is no fencing yet: a node that leaves the view counts as stopped),
but for the clean shutdown, which needs no fencing (`required`).

The group `web`: nodes n1, n2, n3 (n1 preferred); an `ip` resource (the
VIP, host 220 of lan1's network) and an `exec` resource whose start,
stop and monitor use a file in the node's state directory (monitored every
200ms, migration-threshold 2; its stop takes 300 ms, longer than an
interval, so the coordinator sees a restart in place while it stops).

Failover bound (FAILOVER_BOUND = timeout + 6 intervals + 400 ms = 1.5 s),
from the crash to the first answer of the new holder:
  - detection and the new view: timeout + 2 intervals (test_membership.py);
  - the new coordinator's next tick (1 interval; one more when the
    coordinator changes, for the members' admin state, docs/groups.md),
    its ASSIGN, the member's checks; the members' reports of the crashed node are dropped with the
    view (fencing = none), so the start needs no more reports;
  - the start: the address added and announced at once (a netlink round
    trip), the prober's next round (10 ms);
  - 3 intervals and 400 ms of slack for scheduling (sanitizer builds).

Run: /usr/bin/python3 -m pytest -q -rs tests/system/test_groups.py
"""

import os
import time

import pytest

import vigil_lab

vigil_lab.skip_unless_ready()

ALL3 = ("n1", "n2", "n3")
INTERVAL = 0.1
TIMEOUT = 0.5
FAILOVER_BOUND = TIMEOUT + 6 * INTERVAL + 0.4
MONITOR = 0.2


def group_config(lab, vip, fencing="none"):
    run = os.path.join(lab.tmp, "$VIGIL_NODE", "app.run")
    text = lab.config_text().replace("[cluster]\n", "[cluster]\nfencing = %s\n" % fencing, 1)
    return text + """
[group "web"]
nodes = n1, n2, n3
migration-threshold = 2
monitor-interval = 200ms

[resource "web/vip"]
type = ip
address = %(vip)s

[resource "web/app"]
type = exec
start = touch %(run)s
stop = sleep 0.3; rm -f %(run)s
monitor = test -f %(run)s || exit 7
""" % {"vip": vip, "run": run}


@pytest.fixture
def glab(request):
    why = vigil_lab.missing_requirements()
    if why:
        pytest.skip(why)
    param = getattr(request, "param", "none")  # fencing, or "none-nostart": the test starts
    fencing, start = param.split("-")[0], not param.endswith("-nostart")
    lab = vigil_lab.Lab(3, interval="100ms", timeout="500ms", start=False, client="lan1")
    try:
        lab.vip = lab.vip_addr()
        lab.vip_ip = lab.vip.split("/")[0]
        lab.write_config(group_config(lab, lab.vip, fencing))
        if start:
            lab.start_all()
        yield lab
    finally:
        problems = lab.close()
    if problems:
        pytest.fail("problems while cleaning up:\n" + "\n".join(problems), pytrace=False)


def web(status):
    groups = status.get("groups") or []
    return groups[0] if groups else {}


def agreed_on(lab, node, names=ALL3):
    """Every node in names says web is online on node."""
    for n in names:
        g = web(lab.status(n))
        if g.get("state") != "online" or g.get("node") != node:
            return False
    return True


def wait_online(lab, node, names=ALL3, timeout=10.0):
    lab.wait_for(lambda: agreed_on(lab, node, names), timeout,
                 "web online on %s in the status of %s" % (node, ", ".join(names)))


def app_file(lab, node):
    return os.path.join(lab.nodes[node].state_dir, "app.run")


def log_text(lab, node):
    with open(lab.nodes[node].log, errors="replace") as f:
        return f.read()


def crash(lab, node):
    """A node crash: vigild killed and the node off every network (the
    kernel would keep the address of a killed vigild)."""
    t0 = lab.kill9(node)
    for link, _ in lab.links:
        lab.link_down(node, link)
    return t0


def test_runs_on_preferred_node(glab):
    """The group starts on n1 (first in the policy) once the view forms;
    every node's status agrees, the JSON carries the fields of
    docs/status-json.md, and only n1's MAC answers for the VIP; a reload
    that changes the group is refused (the admin commands:
    test_group_admin.py)."""
    wait_online(glab, "n1")
    # placement is the coordinator's last decision, made once per interval
    # (docs/status-json.md): the one made before n1 reported running says
    # "start"; the next one must say "keep"
    glab.wait_for(lambda: (web(glab.status("n1")).get("placement") or {}).get("action") == "keep",
                  2, "the coordinator's decision to be keep")
    st = glab.status("n1")
    g = web(st)
    assert g["nodes"]["n1"]["state"] == "running", g
    assert g["nodes"]["n2"]["state"] == "stopped", g
    assert [r["name"] for r in g["resources"]] == ["vip", "app"], g
    # each resource as n1 runs it: the start dropped what the probe found
    # before it (not running), so no monitor yet, or one that passed
    for r in g["resources"]:
        assert r["state"] == "running" and r["failures"] == 0, r
        m = r["last_monitor"]
        assert m is None or (m["result"] == "ok" and not m["probe"]), r
    n2 = web(glab.status("n2"))["resources"]
    assert all(r["last_monitor"]["probe"] and r["last_monitor"]["result"] == "not running"
               for r in n2), n2
    assert [r["state"] for r in web(glab.status("n2"))["resources"]] == ["stopped", "stopped"]
    assert g["placement"]["action"] == "keep", g
    assert st["fencing"] == "none"
    assert os.path.exists(app_file(glab, "n1"))
    assert not os.path.exists(app_file(glab, "n2"))
    text = glab.status_text("n2")
    assert "GROUP" in text and "online" in text and "fencing: none" in text, text
    tl = glab.probe_vip(glab.vip_ip, 0.5)
    tl.assert_single_holder()
    assert tl.macs() == {glab.mac("n1", "lan1")}, tl.summary()
    assert g["move_target"] is None and g["admin_stopped"] is False, g
    assert st["admin"]["standby"] == [], st["admin"]
    # a reload that changes a group is refused, the group keeps running
    with open(glab.conf) as f:
        text = f.read()
    glab.write_config(text.replace("migration-threshold = 2", "migration-threshold = 3"))
    glab.hup("n1")
    glab.wait_for(lambda: "configuration not reloaded: group 'web' migration-threshold changed"
                  in log_text(glab, "n1"), 3, "n1 to refuse the reload")
    assert agreed_on(glab, "n1")


def test_crash_fails_over(glab):
    """kill -9 of the holder's vigild with its links down → the VIP answers
    from n2 (the next in the policy) within FAILOVER_BOUND, never from two
    MACs at once; n2 and n3 agree that web is online on n2."""
    wait_online(glab, "n1")
    mac1, mac2 = glab.mac("n1", "lan1"), glab.mac("n2", "lan1")
    probe = glab.probe_vip(glab.vip_ip, 20, wait=False)
    probe.wait_until(lambda tl: mac1 in tl.macs(), 3, "n1 answering")
    t0 = crash(glab, "n1")
    probe.wait_until(lambda tl: mac2 in tl.macs(), FAILOVER_BOUND + 3, "n2 answering")
    time.sleep(0.3)
    tl = probe.stop()
    tl.assert_single_holder()
    fo = tl.failover(mac1, mac2)
    took = fo["t_first_new"] - t0
    print("failover: first answer from n2 %.3f s after the crash, gap %.3f s, %d silent rounds"
          % (took, fo["gap"], fo["silent_rounds"]))
    assert not fo["old_after_new"], tl.summary()
    assert took <= FAILOVER_BOUND, "n2 answered %.3f s after the crash (bound %.2f s)\n%s" % (
        took, FAILOVER_BOUND, tl.summary())
    wait_online(glab, "n2", names=("n2", "n3"), timeout=3)
    assert os.path.exists(app_file(glab, "n2"))
    assert "n1 left the view while it was active there; fencing = none" in log_text(glab, "n2")


def test_monitor_failure_restarts_then_moves(glab):
    """The exec monitor fails (its file removed) → the group restarts in
    place on n1 (failure 1 of 2); once more → the threshold: it stops on n1
    and moves to n2; the VIP never answers from two MACs."""
    wait_online(glab, "n1")
    mac1, mac2 = glab.mac("n1", "lan1"), glab.mac("n2", "lan1")
    probe = glab.probe_vip(glab.vip_ip, 30, wait=False)
    probe.wait_until(lambda tl: mac1 in tl.macs(), 3, "n1 answering")

    os.unlink(app_file(glab, "n1"))
    glab.wait_for(lambda: "restarting the group here" in log_text(glab, "n1"), 5,
                  "n1 to restart the group in place")
    glab.wait_for(lambda: os.path.exists(app_file(glab, "n1")), 5, "the app to run again on n1")
    wait_online(glab, "n1", timeout=5)
    assert web(glab.status("n1"))["nodes"]["n1"]["failures"] == 1
    # the coordinator saw it stopping and let the restart go on
    assert "still stopping it" in log_text(glab, "n1")
    assert "stopping it here" not in log_text(glab, "n1")

    os.unlink(app_file(glab, "n1"))
    probe.wait_until(lambda tl: mac2 in tl.macs(), 8, "n2 answering after the move")
    wait_online(glab, "n2", timeout=5)
    tl = probe.stop()
    tl.assert_single_holder()
    assert tl.sequence() == [{mac1}, {mac2}], tl.summary()
    g = web(glab.status("n1"))
    assert g["nodes"]["n1"]["state"] == "failed", g
    assert g["nodes"]["n1"]["failures"] == 2, g
    assert "the migration threshold" in log_text(glab, "n1")
    # n1's own resources (docs/status-json.md): stopped, the app's two
    # failures, its last monitor the failed one (no monitor runs after it)
    vip, app = g["resources"]
    assert (vip["name"], vip["state"], vip["failures"]) == ("vip", "stopped", 0), vip
    assert (app["name"], app["state"], app["failures"]) == ("app", "stopped", 2), app
    m = app["last_monitor"]
    assert (m["result"], m["exit_code"], m["probe"]) == ("not running", 7, False), m
    assert "monitor of web/app (exec): not running (exit 7)" in m["reason"], m
    assert 0 <= m["age_s"] < 10 and m["at_mono"] <= time.monotonic(), m
    text = glab.status_text("n1")
    assert "resources on n1 (this node" in text, text
    assert [ln.split()[:5] for ln in text.splitlines() if ln.startswith("web ")][-1] == \
        ["web", "app", "exec", "stopped", "2"], text
    assert "not running (exit 7)" in text, text
    # and n2's: running, its monitors passing
    glab.wait_for(lambda: (web(glab.status("n2"))["resources"][1]["last_monitor"] or {})
                  .get("result") == "ok", 3, "a monitor of the app to pass on n2")
    app2 = web(glab.status("n2"))["resources"][1]
    assert (app2["state"], app2["failures"], app2["monitor_interval_ms"]) == ("running", 0, 200), app2
    assert app2["last_monitor"]["exit_code"] == 0, app2
    assert not os.path.exists(app_file(glab, "n1"))
    assert os.path.exists(app_file(glab, "n2"))


@pytest.mark.parametrize("glab", ["required"], indirect=True)
def test_clean_shutdown_moves_with_fencing_required(glab):
    """SIGTERM on the holder (fencing = required): it stops the group,
    reports it stopped, then leaves; the stop is confirmed, so n2 starts it
    (no fencing needed) and the VIP never answers from two MACs."""
    wait_online(glab, "n1")
    assert glab.status("n2")["fencing"] == "required"
    mac1, mac2 = glab.mac("n1", "lan1"), glab.mac("n2", "lan1")
    probe = glab.probe_vip(glab.vip_ip, 20, wait=False)
    probe.wait_until(lambda tl: mac1 in tl.macs(), 3, "n1 answering")
    t0 = time.monotonic()
    assert glab.terminate("n1") == 0
    took_exit = time.monotonic() - t0
    probe.wait_until(lambda tl: mac2 in tl.macs(), FAILOVER_BOUND + 3, "n2 answering")
    wait_online(glab, "n2", names=("n2", "n3"), timeout=3)
    tl = probe.stop()
    tl.assert_single_holder()
    assert tl.sequence() == [{mac1}, {mac2}], tl.summary()
    print("clean shutdown: n1 left %.3f s after SIGTERM; n2 answered %.3f s after it"
          % (took_exit, tl.first_answer(mac2) - t0))
    text = log_text(glab, "n1")
    assert "vigild is stopping: stopping the group here first" in text
    assert "leaving once a heartbeat said so" in text
    assert "may still run there" not in log_text(glab, "n2")
    assert not os.path.exists(app_file(glab, "n1"))


def isolate(lab, node):
    """Cut node off the cluster's heartbeats (UDP dropped both ways on both
    links); its service link stays up, so the prober still sees its VIP."""
    for other in ALL3:
        if other != node:
            lab.drop_both(node, other)


def test_isolated_holder_stops_fencing_none(glab):
    """The holder cut off from the heartbeats (vigild alive) loses quorum
    and stops the group at once (safety rule 3): its VIP is gone within
    timeout + 2 intervals + the app's 300 ms stop (the address goes last,
    in reverse order) + slack. With fencing = none n2 does not wait for it
    (that is what makes `none` unsafe): the two may overlap for about the
    stop's length, which is printed, not asserted. Healed, n1 rejoins and
    the group stays on n2 (failback off)."""
    wait_online(glab, "n1")
    mac1, mac2 = glab.mac("n1", "lan1"), glab.mac("n2", "lan1")
    probe = glab.probe_vip(glab.vip_ip, 20, wait=False)
    probe.wait_until(lambda tl: mac1 in tl.macs(), 3, "n1 answering")
    t0 = time.monotonic()
    isolate(glab, "n1")
    probe.wait_until(lambda tl: mac2 in tl.macs(), FAILOVER_BOUND + 3, "n2 answering")
    time.sleep(TIMEOUT + 0.5)
    glab.clear_drops()
    tl = probe.stop()
    last1 = tl.last_answer(mac1)
    first2 = tl.first_answer(mac2)
    print("isolation (fencing = none): n1 last answered %.3f s after the cut, n2 first %.3f s; "
          "%d round(s) with both" % (last1 - t0, first2 - t0, len(tl.violations())))
    assert last1 - t0 <= TIMEOUT + 2 * INTERVAL + 0.3 + 0.4, tl.summary()
    assert "not a quorate member" in log_text(glab, "n1")
    assert not os.path.exists(app_file(glab, "n1"))
    glab.wait_for(lambda: glab.status("n1")["view"]["members"] == list(ALL3), 10,
                  "n1 to rejoin the view")
    wait_online(glab, "n2", timeout=5)
    assert web(glab.status("n1"))["nodes"]["n1"]["state"] == "stopped"


@pytest.mark.parametrize("glab", ["required"], indirect=True)
def test_isolated_holder_fencing_required_waits(glab):
    """fencing = required: the isolated holder stops the group (rule 3),
    but n2 and n3 cannot know it: n1 is stop-unconfirmed and the group
    starts nowhere (rule 2) — status offline, the VIP silent. Healed, n1
    says it stopped (its heartbeats reach n2 before n1 is back in the
    view), the stop is confirmed and the group starts again — on n2, the
    first allowed member of {n2, n3}, or on n1 if the view with n1 comes
    first: never two MACs."""
    wait_online(glab, "n1")
    mac1 = glab.mac("n1", "lan1")
    probe = glab.probe_vip(glab.vip_ip, 20, wait=False)
    probe.wait_until(lambda tl: mac1 in tl.macs(), 3, "n1 answering")
    isolate(glab, "n1")
    glab.wait_for(lambda: "may still run there" in log_text(glab, "n2"), 5,
                  "n2 to take n1 as stop-unconfirmed")
    glab.wait_for(lambda: not os.path.exists(app_file(glab, "n1")), 5, "n1 to stop the app")
    glab.hold(lambda: web(glab.status("n2")).get("state") == "offline", 1.5,
              "web offline on n2 while n1 is cut off")
    assert "may still run it" in web(glab.status("n2"))["placement"]["reason"]
    glab.clear_drops()
    glab.wait_for(lambda: "its stop is confirmed" in log_text(glab, "n2"), 10,
                  "n1's stop to be confirmed")
    holder = {}

    def online_somewhere():
        gs = [web(glab.status(n)) for n in ALL3]
        holder["node"] = gs[0].get("node")
        return all(g.get("state") == "online" and g.get("node") == holder["node"] for g in gs)

    glab.wait_for(online_somewhere, 10, "web online again, every node agreeing")
    time.sleep(0.5)
    tl = probe.stop()
    tl.assert_single_holder()
    assert tl.macs() <= {mac1, glab.mac("n2", "lan1")}, tl.summary()
    assert os.path.exists(app_file(glab, holder["node"]))


def test_vigild_restart_keeps_the_group_running(glab):
    """kill -9 of the holder's vigild and a restart at once (its links stay
    up): the start-up probe finds the group running, it is kept while n1
    joins the view and stays on n1 — the app is not started again, and the
    VIP answers from n1 only throughout."""
    wait_online(glab, "n1")
    mac1 = glab.mac("n1", "lan1")
    mtime = os.stat(app_file(glab, "n1")).st_mtime_ns
    probe = glab.probe_vip(glab.vip_ip, 20, wait=False)
    probe.wait_until(lambda tl: mac1 in tl.macs(), 3, "n1 answering")
    glab.kill9("n1")
    glab.start("n1")
    wait_online(glab, "n1", timeout=5)
    time.sleep(1.0)
    assert agreed_on(glab, "n1")
    tl = probe.stop()
    tl.assert_single_holder()
    assert tl.macs() == {mac1}, tl.summary()
    second = log_text(glab, "n1").split("==== lab: start #2")[1]
    assert "the probe found it running" in second, second[-3000:]
    assert "start of web/app" not in second and "stop of web/app" not in second, second[-3000:]
    assert os.stat(app_file(glab, "n1")).st_mtime_ns == mtime


def test_members_check_what_they_are_told(glab):
    """Authentic ASSIGNs that a member must not act on, sent to n3 on lan2
    (a sequence far ahead: n3 then drops the real lan2 traffic of the
    sender as replays, and lan1 carries the cluster): from n2, which is not
    the coordinator; from n1 with another epoch; from n1 with this epoch
    but a node index that is not configured. n3 starts nothing, the group
    stays on n1, nothing is counted `unexpected`, and the last one is
    logged as ignored."""
    import vigil_wire
    wait_online(glab, "n1")
    st3 = glab.status("n3")
    epoch = st3["view"]["epoch"]
    inc = {n["name"]: int(n["incarnation"], 16) for n in st3["nodes"] if not n.get("self")}
    key, far = glab.key(), 1 << 62  # beyond every sequence, replay and ASSIGN alike

    def assign(sender, seq, epoch_, node_index):
        payload = vigil_wire.assign_payload(epoch_, seq, groups=[(node_index, vigil_wire.NONE, 0)])
        return vigil_wire.build(key, glab.cluster, glab.nodes[sender].id, glab.nodes["n3"].id,
                                inc[sender], seq, int(time.monotonic() * 1e6), link=1,
                                payload=payload, msg_type=vigil_wire.TYPE_ASSIGN)

    glab.send_udp("n2", "n3", "lan2", [assign("n2", far, epoch, 2)])
    glab.send_udp("n1", "n3", "lan2", [assign("n1", far, epoch + 256, 2),
                                       assign("n1", far + 1, epoch, 7)])
    glab.wait_for(lambda: "not configured here" in log_text(glab, "n3"), 3,
                  "n3 to ignore the ASSIGN naming node index 7")
    glab.hold(lambda: agreed_on(glab, "n1"), 1.0, "web online on n1")
    assert not os.path.exists(app_file(glab, "n3"))
    text = log_text(glab, "n3")
    assert "the coordinator assigns it to n3" not in text and "assigned here" not in text, text
    assert glab.status("n3")["drops"]["unexpected"] == 0


@pytest.mark.parametrize("glab", ["none-nostart"], indirect=True)
def test_found_running_twice_keeps_one(glab):
    """The group already runs on n1 and n2 when vigild starts (the app's
    file and the VIP on both): both probes find it running, the coordinator
    keeps it on n1 (placement_keep_one: the first in policy order among
    them) and tells n2 to stop; n1's app is not restarted."""
    for node in ("n1", "n2"):
        os.makedirs(glab.nodes[node].state_dir, exist_ok=True)
        with open(app_file(glab, node), "w"):
            pass
        vigil_lab._run([glab.ip, "-n", glab.nodes[node].ns, "addr", "add", glab.vip, "dev",
                        "lan1"])
    mtime = os.stat(app_file(glab, "n1")).st_mtime_ns
    glab.start_all()
    wait_online(glab, "n1")
    glab.wait_for(lambda: not os.path.exists(app_file(glab, "n2")), 5, "n2 to stop the app")
    glab.wait_for(lambda: web(glab.status("n1"))["nodes"]["n2"]["state"] == "stopped", 5,
                  "n2 to report it stopped")
    assert log_text(glab, "n1").count("active on 2 nodes at once: n1 keeps it") == 1
    assert "the probe found it running" in log_text(glab, "n2")
    assert os.stat(app_file(glab, "n1")).st_mtime_ns == mtime
    tl = glab.probe_vip(glab.vip_ip, 0.5)
    tl.assert_single_holder()
    assert tl.macs() == {glab.mac("n1", "lan1")}, tl.summary()
