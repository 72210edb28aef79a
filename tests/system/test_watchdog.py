"""The watchdog in vigild and watchdog-only fencing (issue 6,
docs/fencing.md): the lab of test_groups.py (3 nodes, interval 100ms,
timeout 500ms, group `web`, n1 preferred) with `fencing = required`, no
fence device, and a [watchdog] per node (timeout 2s) whose device is a
fake watchdog of the lab (fake_watchdog.py: a FIFO read like the kernel
reads /dev/watchdog; when not kicked for 2 s it "resets" the node: kill -9
of its vigild and every link down, as test_groups.crash does). Each node has
its own configuration file (its own device path).

Run: /usr/bin/python3 -m pytest -q -rs tests/system/test_watchdog.py
"""

import os
import re
import time

import pytest

import vigil_lab
from fake_watchdog import FakeWatchdog
from test_groups import ALL3, crash, group_config, wait_online, web

vigil_lab.skip_unless_ready()

WD_TIMEOUT = 2.0


def node_config(lab, node):
    text = group_config(lab, lab.vip, "required")
    return text + "\n[watchdog]\ndevice = %s\ntimeout = %ds\n" % (
        lab.wd[node].path, int(WD_TIMEOUT))


def start_own(lab, node):
    orig = lab.conf
    lab.conf = orig + "." + node
    try:
        lab.start(node)
    finally:
        lab.conf = orig


@pytest.fixture
def wlab():
    why = vigil_lab.missing_requirements()
    if why:
        pytest.skip(why)
    lab = vigil_lab.Lab(3, interval="100ms", timeout="500ms", start=False, client="lan1")
    lab.wd = {}
    try:
        lab.vip = lab.vip_addr()
        lab.vip_ip = lab.vip.split("/")[0]
        for n in ALL3:
            lab.wd[n] = FakeWatchdog(os.path.join(lab.tmp, "wd-" + n), WD_TIMEOUT,
                                     lambda n=n: crash(lab, n))
        lab.write_config(node_config(lab, "n1"))
        for n in ALL3:
            with open(lab.conf + "." + n, "w") as f:
                f.write(node_config(lab, n))
        for n in ALL3:
            start_own(lab, n)
        yield lab
    finally:
        for w in lab.wd.values():
            w.close()
        problems = lab.close()
    if problems:
        pytest.fail("problems while cleaning up:\n" + "\n".join(problems), pytrace=False)


def log_lines(lab, node):
    with open(lab.nodes[node].log, errors="replace") as f:
        return f.read().splitlines()


def log_time(lines, pattern):
    """The monotonic time (the log's [seconds] stamp) of the first line
    matching pattern, or None."""
    rx = re.compile(pattern)
    for line in lines:
        if rx.search(line):
            m = re.match(r"\[(\d+\.\d+)\]", line)
            return float(m.group(1)) if m else None
    return None


def test_armed_and_kicked(wlab):
    """Every node arms its watchdog once up (the FIFO takes no ioctl, so the
    configured timeout is trusted and the log says so) and keeps kicking it
    while healthy: no reset in three watchdog timeouts."""
    wait_online(wlab, "n1")
    time.sleep(3 * WD_TIMEOUT)
    for n in ALL3:
        w = wlab.wd[n]
        assert w.armed and w.reset_at is None, (n, w.kicks)
        assert w.kicks >= 3 * WD_TIMEOUT / 0.5, (n, w.kicks)  # a kick every 500 ms at least
        text = "\n".join(log_lines(wlab, n))
        assert "armed: it does not take a timeout (WDIOC_SETTIMEOUT): trusting the configured " \
               "2s" in text, text[-2000:]


def test_frozen_holder_is_reset_then_group_moves(wlab):
    """SIGSTOP of the holder's vigild: it stops kicking, its watchdog resets
    it WD_TIMEOUT later; the survivors have no fence device, so web starts
    on n2 only 2 x WD_TIMEOUT after n1 left the view, after the reset; the
    VIP never answers from two MACs."""
    wait_online(wlab, "n1")
    mac1, mac2 = wlab.mac("n1", "lan1"), wlab.mac("n2", "lan1")
    probe = wlab.probe_vip(wlab.vip_ip, 12, wait=False)
    probe.wait_until(lambda tl: mac1 in tl.macs(), 3, "n1 answering")
    t_stop = wlab.stop("n1")
    wlab.wait_for(lambda: wlab.wd["n1"].reset_at is not None, WD_TIMEOUT + 2,
                  "n1's watchdog to fire")
    wait_online(wlab, "n2", names=("n2", "n3"), timeout=2 * WD_TIMEOUT + 4)
    probe.wait_until(lambda tl: mac2 in tl.macs(), 3, "n2 answering")
    tl = probe.stop()
    tl.assert_single_holder()
    reset_at = wlab.wd["n1"].reset_at
    lines = log_lines(wlab, "n2")
    waits = log_time(lines, r"fencing: n1 left the view .* no fence device: it counts as reset "
                            r"by its watchdog")
    counted = log_time(lines, r"fencing: n1 counts as reset by its watchdog")
    assert waits is not None and counted is not None, "\n".join(lines[-30:])
    print("frozen holder: reset %.2f s after SIGSTOP; n2 counted it reset %.2f s after SIGSTOP"
          % (reset_at - t_stop, counted - t_stop))
    # the last kick came up to a kick period (500 ms) before the SIGSTOP
    assert WD_TIMEOUT - 0.6 <= reset_at - t_stop <= WD_TIMEOUT + 1.0
    assert counted > reset_at
    assert counted - t_stop >= 2 * WD_TIMEOUT
    fo = tl.failover(mac1, mac2)
    assert not fo["old_after_new"], tl.summary()
    n1 = [n for n in wlab.status("n2")["nodes"] if n["name"] == "n1"][0]
    assert n1["fencing"]["state"] == "fenced", n1
    assert n1["fencing"]["last"].startswith("reset by its watchdog"), n1


def test_clean_stop_disarms(wlab):
    """A clean stop of a node that holds nothing disarms its watchdog (magic
    close): no reset follows."""
    wait_online(wlab, "n1")
    wlab.terminate("n3")
    w = wlab.wd["n3"]
    wlab.wait_for(lambda: w.disarmed_at is not None, 3, "n3's watchdog disarmed")
    time.sleep(WD_TIMEOUT + 0.5)
    assert w.reset_at is None
    assert any("watchdog %s disarmed (nothing runs here)" % w.path in line
               for line in log_lines(wlab, "n3"))
