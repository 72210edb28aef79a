"""vigild and vigilctl as an admin meets them: SIGHUP reload, a key file
others can read, a broken configuration, a daemon that is not running."""

import os
import stat
import subprocess
import time

import pytest

import vigil_lab

pytestmark = pytest.mark.skipif(vigil_lab.missing_requirements() is not None,
                                reason=vigil_lab.missing_requirements() or "")


def log_text(lab, name):
    with open(lab.nodes[name].log, errors="replace") as f:
        return f.read()


def test_sighup_applies_timing_and_detection_follows(lab):
    lab.timeout = "900ms"
    lab.write_config()
    for name in lab.nodes:
        lab.hup(name)
    lab.wait_for(lambda: all(lab.status(n)["config"]["timeout_ms"] == 900 for n in lab.nodes),
                 5.0, "every node to apply timeout 900ms")
    assert "configuration reloaded" in log_text(lab, "n1")
    lab.wait_converged()
    t0 = lab.kill9("n3")
    lab.wait_for(lambda: lab.sees("n1", "n3", "dead"), 3.0, "n1 sees n3 dead")
    since = lab.entry(lab.status("n1"), "n3")["since_mono"]
    # the new timeout rules: not declared dead before 900ms minus one interval
    # of slack for the last heartbeat sent before the kill, nor much after
    assert 0.9 - 0.1 - 0.02 <= since - t0 <= 0.9 + 0.2, lab.explain(
        "detection took %.3fs with timeout 900ms" % (since - t0))


def test_sighup_refuses_other_changes_and_bad_files(lab):
    before = lab.status("n1")
    good = lab.config_text()
    # another port: not a timing change
    lab.write_config(good.replace("port = %d" % lab.port, "port = %d" % (lab.port + 1)))
    lab.hup("n1")
    lab.wait_for(lambda: "configuration not reloaded" in log_text(lab, "n1"), 5.0,
                 "n1 to refuse the port change")
    assert "only interval, timeout and initial-timeout apply live" in log_text(lab, "n1")
    # a broken file: every error logged with file:line, the old one kept
    lab.write_config(good.replace("timeout = %s" % lab.timeout, "timeout = soon"))
    lab.hup("n1")
    lab.wait_for(lambda: "timeout" in log_text(lab, "n1") and "error(s)" in log_text(lab, "n1"),
                 5.0, "n1 to log the broken file")
    assert "%s:" % lab.conf in log_text(lab, "n1")
    after = lab.status("n1")
    assert after["incarnation"] == before["incarnation"]
    assert after["config"] == before["config"]
    assert [l["port"] for l in after["links"]] == [lab.port] * 2
    lab.write_config(good)
    assert lab.converged()


def test_key_file_readable_by_others_is_refused(lab):
    lab.terminate("n3")
    os.chmod(lab.key_file, 0o644)
    try:
        lab.start("n3", wait=False)
        node = lab.nodes["n3"]
        node.expected_exit = True
        rc = node.proc.wait(timeout=10)
        assert rc != 0
        text = log_text(lab, "n3")
        assert "readable by group or others" in text and "chmod 600" in text, text[-2000:]
    finally:
        os.chmod(lab.key_file, stat.S_IRUSR | stat.S_IWUSR)
    lab.start("n3")
    lab.wait_converged()


def test_vigild_refuses_a_broken_configuration(tmp_path):
    conf = tmp_path / "vigil.conf"
    conf.write_text("[cluster]\nname = x\ninterval = 1s\ntimeout = 500ms\n"
                    '[node "a"]\nid = 1\nlan1 = 192.0.2.1\n'
                    '[link "lan1"]\ntype = udp\npriority = 1\n')
    r = subprocess.run([vigil_lab.binary("vigild"), "-c", str(conf), "--node", "a",
                        "--socket", str(tmp_path / "s"), "--state-dir", str(tmp_path / "st"),
                        "--foreground"], capture_output=True, timeout=10)
    err = r.stderr.decode()
    assert r.returncode == 1
    assert "%s:4:" % conf in err and "timeout" in err and "vigilctl config check" in err, err
    r = subprocess.run([vigil_lab.binary("vigild"), "-c", str(conf), "--foreground"],
                       capture_output=True, timeout=10)
    assert r.returncode == 2 and "--node NAME is required" in r.stderr.decode()


def test_vigilctl_without_a_daemon(tmp_path):
    sock = str(tmp_path / "nothing.sock")
    r = subprocess.run([vigil_lab.binary("vigilctl"), "--socket", sock, "status"],
                       capture_output=True, timeout=10)
    err = r.stderr.decode()
    assert r.returncode == 1
    assert sock in err and "is vigild running" in err, err
