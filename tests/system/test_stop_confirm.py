"""Confirming a stop through the disk and the witness (safety rule 2,
docs/groups.md "Confirming a stop"): 3 nodes, lan1 (IPv4) and lan2 (IPv6),
interval 100ms, timeout 500ms, `fencing = required`, the group `web` of
test_groups.py (a VIP and an exec app whose stop takes 300 ms), a client
namespace on lan1 that records every 10 ms which MAC answers for the VIP.

The holder n1 is cut off from every udp link (UDP dropped both ways on
both links, its service link stays up so the prober still sees its VIP):
alone it has no quorum and stops the group (rule 3). n2 and n3 take it as
stop-unconfirmed on n1 and cannot hear it on any udp link; with a shared
disk (or a witness) n1's slot (or its alive reports) still carry its group
reports, and a report of `stopped` newer than its last report of `running`
confirms the stop: the group starts on n2, never while n1's VIP answers.

  - test_disk_confirms_the_stop: through the disk;
  - test_witness_confirms_the_stop: through the witness;
  - test_crash_with_disk_still_waits: a crash (vigild killed, the app and
    the VIP left behind) leaves n1's slot saying running: nothing confirms,
    the group starts nowhere (the case without disk and witness:
    test_groups.py test_isolated_holder_fencing_required_waits).

Run: /usr/bin/python3 -m pytest -q -rs tests/system/test_stop_confirm.py
"""

import os
import re
import time

import pytest

import vigil_lab
from test_groups import ALL3, app_file, group_config, isolate, log_text, wait_online, web

vigil_lab.skip_unless_ready()

# from the cut: n1 loses quorum (timeout + 2 intervals), stops the app (300
# ms) and the address, its next report (an interval of the disk or witness
# link), the reader's next round, the coordinator's next ASSIGN; plus slack
# for scheduling (sanitizer builds)
CONFIRM_BOUND = 5.0


def make(disk=False, witness=False):
    why = vigil_lab.missing_requirements(daemon=True, disk=disk, witness=witness)
    if why:
        pytest.skip(why)
    lab = vigil_lab.Lab(3, interval="100ms", timeout="500ms", start=False, client="lan1",
                        disk=disk, witness=witness)
    try:
        lab.vip = lab.vip_addr()
        lab.vip_ip = lab.vip.split("/")[0]
        lab.write_config(group_config(lab, lab.vip, "required"))
        lab.start_all()
    except BaseException:
        lab.close()
        raise
    return lab


def lab_of(**parts):
    """A started lab with `parts` (disk=True or witness=True), closed after
    the test; its cleanup problems fail the test."""
    lab = make(**parts)
    yield lab
    problems = lab.close()
    if problems:
        pytest.fail("problems while cleaning up:\n" + "\n".join(problems), pytrace=False)


@pytest.fixture
def disk_lab():
    yield from lab_of(disk=True)


@pytest.fixture
def witness_lab():
    yield from lab_of(witness=True)


def line_index(text, pattern):
    """Index of the first log line matching the regex, or -1."""
    for k, line in enumerate(text.splitlines()):
        if re.search(pattern, line):
            return k
    return -1


def moved_after_confirmation(lab, probe, t0, confirmed, wait):
    """The group must come online on n2 or n3 once n2 logged `confirmed`
    (within `wait`), the new holder's log has the confirmation before its
    start, and the VIP answered from n1 then from the new holder only, never
    from two MACs. Returns the new holder."""
    mac1 = lab.mac("n1", "lan1")
    others = {n: lab.mac(n, "lan1") for n in ("n2", "n3")}
    lab.wait_for(lambda: confirmed in log_text(lab, "n2"), wait, "n2 to log: %s" % confirmed)
    holder = {}

    def online_on_a_survivor():
        g = web(lab.status("n2"))
        holder["node"] = g.get("node")
        return g.get("state") == "online" and g.get("node") in others

    lab.wait_for(online_on_a_survivor, 5, "web online on n2 or n3")
    new = holder["node"]
    probe.wait_until(lambda tl: others[new] in tl.macs(), 3, "%s answering" % new)
    tl = probe.stop()
    tl.assert_single_holder()
    assert tl.sequence() == [{mac1}, {others[new]}], tl.summary()
    print("n1 last answered %.3f s after the fault, %s first %.3f s; %s"
          % (tl.last_answer(mac1) - t0, new, tl.first_answer(others[new]) - t0, confirmed))
    text = log_text(lab, new)
    k_conf = line_index(text, re.escape(confirmed))
    k_start = line_index(text, r"group web: assigned to this node by the coordinator: starting it")
    assert 0 <= k_conf < k_start, lab.explain(
        "%s: the start (line %d) must come after the confirmation (line %d)" % (new, k_start,
                                                                                k_conf))
    return new


def cut_holder_and_check(lab, via):
    """Cut n1 off every udp link; the group must move to n2 (or n3) only
    after n1's stop was confirmed through `via`, and the VIP never answers
    from two MACs."""
    wait_online(lab, "n1")
    mac1 = lab.mac("n1", "lan1")
    probe = lab.probe_vip(lab.vip_ip, 30, wait=False)
    probe.wait_until(lambda tl: mac1 in tl.macs(), 3, "n1 answering")
    t0 = time.monotonic()
    isolate(lab, "n1")
    lab.wait_for(lambda: "may still run there" in log_text(lab, "n2"), 5,
                 "n2 to take n1 as stop-unconfirmed")
    moved_after_confirmation(lab, probe, t0, "group web: n1 confirmed the stop through %s" % via,
                             CONFIRM_BOUND)
    # n1 stopped it (rule 3)
    assert "not a quorate member" in log_text(lab, "n1")
    assert not os.path.exists(app_file(lab, "n1"))


def slot_state(dump, node):
    """The state of group web in node's slot of a disk dump, or None."""
    for s in dump.get("slots", []):
        if s.get("name") == node:
            lst = (s.get("groups") or {}).get("list") or []
            return lst[0]["state"] if lst else None
    return None


def test_disk_confirms_the_stop(disk_lab):
    """Through the disk: `vigilctl disk dump` shows the reports in each
    slot; n1 cut off from every udp link stops the group, its slot says
    stopped, n2/n3 confirm it through the disk and start the group."""
    lab = disk_lab
    wait_online(lab, "n1")
    # the slot is written once an interval: it says running an interval
    # after the status does at most
    dump = lab.wait_for(
        lambda: (lambda d: d if all((s.get("groups") or {}).get("list") for s in d["slots"])
                 and len(d["slots"]) == 3 and slot_state(d, "n1") == "running"
                 else None)(lab.disk_dump()),
        3, "every slot to carry group reports, n1's saying running")
    by_name = {s["name"]: s for s in dump["slots"]}
    assert by_name["n1"]["groups"]["list"] == [
        {"group": "web", "state": "running", "failures": 0}], dump
    assert by_name["n2"]["groups"]["list"][0]["state"] == "stopped", dump
    text = lab.disk_dump(json_out=False)
    assert "group reports" in text and "web running" in text, text
    cut_holder_and_check(lab, "the disk (link shared)")
    slot = {s["name"]: s for s in lab.disk_dump()["slots"]}["n1"]
    assert slot["groups"]["list"][0]["state"] == "stopped", slot
    lab.clear_drops()
    lab.wait_for(lambda: lab.status("n1")["view"]["members"] == list(ALL3), 10,
                 "n1 to rejoin the view")


def test_witness_confirms_the_stop(witness_lab):
    """Through the witness: n1's alive reports carry its group reports, the
    witness returns them to n2 and n3, who confirm the stop."""
    cut_holder_and_check(witness_lab, "the witness (link arbiter)")


def test_crash_with_disk_still_waits(disk_lab):
    """A crash (vigild killed, nothing stopped, n1 off the udp links): its
    slot keeps saying running, so nothing confirms and the group starts
    nowhere while n1 may still run it."""
    lab = disk_lab
    wait_online(lab, "n1")
    lab.wait_for(lambda: slot_state(lab.disk_dump(), "n1") == "running", 3,
                 "n1's slot to say running (written once an interval)")
    lab.kill9("n1")
    isolate(lab, "n1")
    lab.wait_for(lambda: "may still run there" in log_text(lab, "n2"), 5,
                 "n2 to take n1 as stop-unconfirmed")
    lab.hold(lambda: web(lab.status("n2")).get("state") == "offline", 3,
             "web offline on n2 while n1's slot says running")
    assert "confirmed the stop" not in log_text(lab, "n2")
    assert "may still run it" in web(lab.status("n2"))["placement"]["reason"]
    slot = {s["name"]: s for s in lab.disk_dump()["slots"]}["n1"]
    assert slot["groups"]["list"][0]["state"] == "running", slot


@pytest.mark.parametrize("path", ["disk", "witness"])
def test_restarted_node_confirms(request, path):
    """Another incarnation confirms only with a report made after the
    departure: n1 crashes (kill -9: the app and the VIP stay) and is cut off
    from every udp link; its last reports say running, nothing confirms.
    vigild starts again on n1, still cut off: its probe finds the group
    running and keeps it for initial-timeout (3 s) while no quorate view
    comes, then stops it; its new slot (a slot that changed twice since a
    disk round after the departure) or its new report to the witness
    (received after the departure, by age_ms and its timeout) says stopped,
    and n2 confirms it "after a restart of its vigild": the group starts on
    n2 or n3, never two MACs."""
    lab = request.getfixturevalue(path + "_lab")
    via = "the disk (link shared)" if path == "disk" else "the witness (link arbiter)"
    wait_online(lab, "n1")
    mac1 = lab.mac("n1", "lan1")
    probe = lab.probe_vip(lab.vip_ip, 40, wait=False)
    probe.wait_until(lambda tl: mac1 in tl.macs(), 3, "n1 answering")
    t0 = lab.kill9("n1")
    isolate(lab, "n1")
    lab.wait_for(lambda: "may still run there" in log_text(lab, "n2"), 5,
                 "n2 to take n1 as stop-unconfirmed")
    lab.hold(lambda: web(lab.status("n2")).get("state") == "offline", 1.0,
             "web offline on n2 while n1's last reports say running")
    lab.start("n1")
    new = moved_after_confirmation(
        lab, probe, t0, "group web: n1 confirmed the stop through %s "
        "(stopped there, after a restart of its vigild)" % via, 3.0 + CONFIRM_BOUND)
    assert not os.path.exists(app_file(lab, "n1"))
    assert os.path.exists(app_file(lab, new))
