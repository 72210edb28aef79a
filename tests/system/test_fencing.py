"""Fencing by fence agents in vigild (issue 6, docs/fencing.md): the
coordinator of the quorate view fences a node that left the view while a
group may still run there, before the group starts elsewhere.

The lab of test_groups.py (3 nodes, interval 100ms, timeout 500ms, group
`web` with a VIP and an exec resource, n1 preferred), with `fencing =
required`, `fence-action = off` and fence devices:
  - `dummy`: Debian's fence_dummy (fence-agents), its plug state in a file of
    the lab's; it can report status, so an off is confirmed by status;
  - `broken`: a fence agent of the test's (a script) whose off always fails
    (exit 1), with metadata, so the configuration check passes.
The crash of n1 (test_groups.crash: kill -9 and every link down) leaves
the group stop-unconfirmed on n1; only fencing lets it start on n2.

Run: /usr/bin/python3 -m pytest -q -rs tests/system/test_fencing.py
"""

import os
import re
import shutil

import pytest

import vigil_lab
from test_groups import crash, group_config, wait_online, web

vigil_lab.skip_unless_ready()

FENCE_DUMMY = shutil.which("fence_dummy", path="/usr/sbin:/sbin:/usr/local/sbin")

BROKEN = """#!/bin/sh
# a fence agent whose every power action fails (the test's)
input=$(cat)
case "$input" in
*action=metadata*)
    cat <<'EOF'
<?xml version="1.0" ?>
<resource-agent name="fence_broken" shortdesc="always fails">
<parameters>
<parameter name="action" unique="0" required="1"><content type="string"/></parameter>
<parameter name="plug" unique="0" required="1"><content type="string"/></parameter>
</parameters>
<actions><action name="off"/><action name="metadata"/></actions>
</resource-agent>
EOF
    exit 0;;
esac
echo "Failed: the test's broken device refuses ($input)" | tr '\\n' ' '
exit 1
"""


# A fence agent of the test's that really powers a lab node off: it kills
# the node's vigild (pid from a file the test writes) and takes its links
# down, like test_groups.crash.
LAB_AGENT = """#!/bin/sh
input=$(cat)
case "$input" in
*action=metadata*)
    cat <<'EOF'
<?xml version="1.0" ?>
<resource-agent name="fence_lab" shortdesc="powers a lab node off">
<parameters>
<parameter name="action" unique="0" required="1"><content type="string"/></parameter>
<parameter name="plug" unique="0" required="1"><content type="string"/></parameter>
<parameter name="dir" unique="0" required="1"><content type="string"/></parameter>
</parameters>
<actions><action name="off"/><action name="metadata"/></actions>
</resource-agent>
EOF
    exit 0;;
esac
plug=$(printf '%s\\n' "$input" | sed -n 's/^plug=//p')
dir=$(printf '%s\\n' "$input" | sed -n 's/^dir=//p')
action=$(printf '%s\\n' "$input" | sed -n 's/^action=//p')
[ "$action" = off ] || { echo "fence_lab: only off"; exit 1; }
kill -9 "$(cat "$dir/$plug.pid")" || exit 1
for link in $(cat "$dir/$plug.links"); do
    ip -n "$(cat "$dir/$plug.ns")" link set "$link" down || exit 1
done
echo "Success: $plug powered off"
"""


def fence_config(lab, devices):
    text = group_config(lab, lab.vip, "required")
    text = text.replace("[cluster]\n", "[cluster]\nfence-action = off\n", 1)
    return text + "\n" + devices


def dummy_device(lab, level=1):
    return ('[fence "dummy"]\ntype = agent\nagent = fence_dummy\nnodes = n1, n2, n3\n'
            "level = %d\nstatus_file = %s\n" % (level, lab.dummy_status))


def broken_device(lab, level=1):
    return ('[fence "broken"]\ntype = agent\nagent = %s\nnodes = n1, n2, n3\n'
            "level = %d\nretries = 1\ntimeout = 5s\n" % (lab.broken, level))


@pytest.fixture
def flab():
    why = vigil_lab.missing_requirements()
    if why:
        pytest.skip(why)
    if not FENCE_DUMMY:
        pytest.skip("fence_dummy not found: install fence-agents (scripts/install-deps does)")
    lab = vigil_lab.Lab(3, interval="100ms", timeout="500ms", start=False, client="lan1")
    try:
        lab.vip = lab.vip_addr()
        lab.vip_ip = lab.vip.split("/")[0]
        lab.dummy_status = os.path.join(lab.tmp, "dummy.status")
        with open(lab.dummy_status, "w") as f:
            f.write("on")  # fence_dummy reads "on" or "off", no newline
        lab.broken = os.path.join(lab.tmp, "fence_broken")
        with open(lab.broken, "w") as f:
            f.write(BROKEN)
        os.chmod(lab.broken, 0o755)
        yield lab
    finally:
        problems = lab.close()
    if problems:
        pytest.fail("problems while cleaning up:\n" + "\n".join(problems), pytrace=False)


def log_lines(lab, node):
    with open(lab.nodes[node].log, errors="replace") as f:
        return f.read().splitlines()


def first_line(lines, pattern):
    """Index of the first line matching pattern, or None."""
    rx = re.compile(pattern)
    for i, line in enumerate(lines):
        if rx.search(line):
            return i
    return None


def test_fence_dummy_before_failover(flab):
    """n1 crashes: n2 (the new coordinator) fences it with fence_dummy (off,
    confirmed by status), and only then starts web: the log says so in
    that order, the plug's file says off, the VIP answers from n2."""
    flab.write_config(fence_config(flab, dummy_device(flab)))
    flab.start_all()
    wait_online(flab, "n1")
    crash(flab, "n1")
    wait_online(flab, "n2", names=("n2", "n3"), timeout=15)
    lines = log_lines(flab, "n2")
    fenced = first_line(lines, r"fencing: n1 is fenced \(off, confirmed")
    status = first_line(lines, r"fencing: status of n1 by dummy .*the plug is off")
    started = first_line(lines, r"group web.*(start|starting)")
    started_after = [i for i, line in enumerate(lines)
                     if fenced is not None and i > fenced and re.search(r"web", line)
                     and re.search(r"start", line)]
    assert fenced is not None, "\n".join(lines[-40:])
    assert status is not None and status < fenced, "\n".join(lines[-40:])
    assert started_after, "\n".join(lines[-40:])
    # nothing of web started on n2 before n1 was fenced (its start at boot
    # was never: n1 held it)
    before = [line for line in lines[:fenced] if re.search(r"web.*n2.*start(ed|ing)", line)]
    assert not before, "\n".join(before)
    assert started is not None
    with open(flab.dummy_status) as f:
        assert f.read() == "off"
    n1 = [n for n in flab.status("n2")["nodes"] if n["name"] == "n1"][0]
    assert n1["fencing"]["state"] == "fenced", n1
    assert n1["fencing"]["last"].startswith("off, confirmed after"), n1
    assert n1["fencing"]["plans"] == 1, n1
    n1_on_n3 = [n for n in flab.status("n3")["nodes"] if n["name"] == "n1"][0]
    assert n1_on_n3["fencing"]["state"] == "idle", n1_on_n3  # only the coordinator fences
    assert "fencing n1: fenced: off, confirmed after" in flab.status_text("n2")
    tl = flab.probe_vip(flab.vip_ip, 0.5)
    tl.assert_single_holder()
    assert tl.macs() == {flab.mac("n2", "lan1")}, tl.summary()


def test_next_level_after_failing_device(flab):
    """Level 1 is a device that always fails (tried 1 + retries = 2 times),
    level 2 is fence_dummy: n1 is fenced by level 2 and web moves; the log
    names the failures of level 1 first."""
    flab.write_config(fence_config(flab, broken_device(flab, 1) + "\n" + dummy_device(flab, 2)))
    flab.start_all()
    wait_online(flab, "n1")
    crash(flab, "n1")
    wait_online(flab, "n2", names=("n2", "n3"), timeout=20)
    lines = log_lines(flab, "n2")
    fails = [i for i, line in enumerate(lines)
             if re.search(r"fencing: off of n1 by broken \(level 1, attempt [12]", line)
             and "failed" in line]
    by_dummy = first_line(lines, r"fencing: off of n1 by dummy \(level 2, attempt 1.*succeeded")
    fenced = first_line(lines, r"fencing: n1 is fenced")
    assert len(fails) == 2, "\n".join(lines[-40:])
    assert by_dummy is not None and fenced is not None, "\n".join(lines[-40:])
    assert max(fails) < by_dummy < fenced
    assert "the test's broken device refuses" in lines[fails[0]]


def test_all_devices_fail_group_stays_down(flab):
    """Only the failing device: n1 cannot be fenced, so web starts nowhere
    (the VIP never answers from n2 or n3) and the log says why; status shows
    web offline."""
    flab.write_config(fence_config(flab, broken_device(flab)))
    flab.start_all()
    wait_online(flab, "n1")
    mac1 = flab.mac("n1", "lan1")
    probe = flab.probe_vip(flab.vip_ip, 4, wait=False)
    crash(flab, "n1")
    flab.wait_for(lambda: first_line(log_lines(flab, "n2"), r"n1 could not be fenced") is not None,
                  15, "n2 to give up fencing n1")
    tl = probe.stop()
    assert tl.macs() <= {mac1}, tl.summary()
    line = log_lines(flab, "n2")[first_line(log_lines(flab, "n2"), r"n1 could not be fenced")]
    assert "level 1: off of n1 by broken" in line and "its groups stay down" in line, line
    st = flab.status("n2")
    g = web(st)
    assert g.get("state") != "online", g
    n1 = [n for n in st["nodes"] if n["name"] == "n1"][0]
    # read well within the 10 s before the next try
    assert n1["fencing"]["state"] == "failed", n1
    assert "level 1: off of n1 by broken" in n1["fencing"]["last"], n1


def test_bad_device_is_refused_at_start(flab):
    """A device missing what its agent requires is a configuration error:
    vigilctl config check and vigild both say so, naming the section."""
    flab.write_config(fence_config(
        flab, '[fence "nope"]\ntype = agent\nagent = fence_not_installed\nnodes = n1\n'))
    out = vigil_lab._run([flab.vigilctl, "config", "check", flab.conf], check=False)
    err = out.stderr.decode(errors="replace")
    want = '[fence "nope"] agent: fence agent fence_not_installed not found'
    assert out.returncode == 1
    assert want in err, err
    flab.start("n1", wait=False)
    node = flab.nodes["n1"]
    flab.wait_for(lambda: not node.running(), 10, "vigild to refuse the configuration")
    node.expected_exit = True  # the refusal is what this test asks for
    assert node.proc.returncode == 1
    text = "\n".join(log_lines(flab, "n1"))
    assert want in text and "a fence device cannot work on this node" in text, text


def test_stop_failed_holder_is_fenced(flab):
    """The holder's stop fails (`vigilctl move web n3` while n2's stop
    command exits 1): n2 reports the group stop-failed, so it may still run
    there; the coordinator n1 fences n2 (a lab agent that really powers it
    off: kill -9 and every link down), and web starts on n3 only after n2
    left the view fenced; the VIP never answers from two MACs."""
    import test_group_admin  # vigilctl helpers

    flag = os.path.join(flab.tmp, "stop-fails")
    agent = os.path.join(flab.tmp, "fence_lab")
    with open(agent, "w") as f:
        f.write(LAB_AGENT)
    os.chmod(agent, 0o755)
    run = os.path.join(flab.tmp, "$VIGIL_NODE", "app.run")
    text = fence_config(flab, '[fence "lab"]\ntype = agent\nagent = %s\nnodes = n1, n2, n3\n'
                              "retries = 0\ndir = %s\n" % (agent, flab.tmp))
    text = text.replace("nodes = n1, n2, n3\nmigration-threshold",
                        "nodes = n2, n3, n1\nmigration-threshold", 1)
    text = text.replace("stop = sleep 0.3; rm -f %s" % run,
                        "stop = if [ -f %s ]; then exit 1; fi; rm -f %s" % (flag, run), 1)
    assert "nodes = n2, n3, n1" in text and "stop-fails" in text
    flab.write_config(text)
    flab.start_all()
    for n in ("n1", "n2", "n3"):
        node = flab.nodes[n]
        for name, value in (("pid", str(node.pid)), ("ns", node.ns),
                            ("links", " ".join(link for link, _ in flab.links))):
            with open(os.path.join(flab.tmp, "%s.%s" % (n, name)), "w") as f:
                f.write(value)
    wait_online(flab, "n2")
    mac2, mac3 = flab.mac("n2", "lan1"), flab.mac("n3", "lan1")
    probe = flab.probe_vip(flab.vip_ip, 25, wait=False)
    probe.wait_until(lambda tl: mac2 in tl.macs(), 3, "n2 answering")
    open(flag, "w").close()
    flab.nodes["n2"].expected_exit = True  # fencing kills it
    r = test_group_admin.ctl(flab, "n1", "move", "web", "n3", "--timeout", "20s")
    wait_online(flab, "n3", names=("n1", "n3"), timeout=10)
    probe.wait_until(lambda tl: mac3 in tl.macs(), 3, "n3 answering")
    tl = probe.stop()
    tl.assert_single_holder()
    lines = log_lines(flab, "n1")
    fencing = first_line(lines, r"fencing: n2 reports that a group's stop failed there: "
                                r"fencing it")
    fenced = first_line(lines, r"fencing: n2 is fenced")
    left = first_line(lines, r"fencing: n2 left the view after it was fenced")
    started = [i for i, line in enumerate(lines) if "starting it on n3" in line]
    assert fencing is not None and fenced is not None and left is not None, \
        "\n".join(lines[-40:])
    assert started and fencing < fenced < left < started[-1], "\n".join(lines[-40:])
    assert any("stop-failed" in line for line in log_lines(flab, "n2")), \
        "\n".join(log_lines(flab, "n2")[-20:])
    print("vigilctl move: exit %d: %s%s" % (r.returncode, r.out.strip(), r.err.strip()))
