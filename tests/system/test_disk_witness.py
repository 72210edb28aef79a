"""Disk and witness heartbeat links (issue 3): 3 real vigild in network
namespaces with lan1 (IPv4), a shared disk file on a bindfs (FUSE) mount
whose I/O the test can make hang (SIGSTOP of bindfs), and vigil-witness over
HTTP on its own network; interval 100ms, timeout 500ms. Each test gets a
fresh lab. See docs/testing.md ("Disk and witness links")."""

import os
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

import vigil_lab

vigil_lab.skip_unless_ready(daemon=False, disk=True, witness=True)

LAN, DISK, WIT = "lan1", "shared", "arbiter"
LINKS = (LAN, DISK, WIT)
INTERVAL = 0.1
TIMEOUT = 0.5
SLACK = 0.2
DETECT_WAIT = TIMEOUT + 2.0     # how long we poll for a link going down
OWN_DOWN_BOUND = TIMEOUT + 1.0  # a node's own disk/witness side is down within this of the fault
BACK_UP_WAIT = 5.0              # after a thaw / a restart of the witness
NAMES = ("n1", "n2", "n3")


def need_daemons():
    why = vigil_lab.missing_requirements(daemon=True, disk=True, witness=True)
    if why:
        pytest.skip(why)


@pytest.fixture
def dlab(make_lab):
    """3 nodes, lan1 + shared disk + witness over http, converged."""
    need_daemons()
    lab = make_lab(3, links=[(LAN, "ipv4")], disk=True, witness=True)
    lab.wait_converged(timeout=10.0)
    return lab


def peer(st, name):
    return vigil_lab.Lab.entry(st, name)


def since_of(st, target, link=None):
    """since_mono of a node, or of one of its links (None when not given)."""
    e = peer(st, target)
    if link is None:
        return e.get("since_mono")
    return ((e.get("link_detail") or {}).get(link) or {}).get("since_mono")


def snapshot(lab, links=(LAN, WIT)):
    """{(observer, target, link or None): since_mono} for every pair: to tell
    afterwards that nothing flapped."""
    snap = {}
    for obs in NAMES:
        st = lab.status(obs)
        for t in NAMES:
            if t == obs:
                continue
            snap[(obs, t, None)] = since_of(st, t)
            for l in links:
                snap[(obs, t, l)] = since_of(st, t, l)
    return snap


def assert_no_flap(lab, before, what):
    after = snapshot(lab, links=tuple(sorted({k[2] for k in before if k[2]})))
    changed = {k: (before[k], after.get(k)) for k in before if after.get(k) != before[k]}
    assert not changed, lab.explain("%s: these changed state (observer, target, link): %r" % (
        what, changed))


def own_sides(lab, link):
    """{node: (state, detail)} of every running node's own side of `link`."""
    return {n: lab.own_side(n, link) for n in NAMES if lab.nodes[n].running()}


def wait_own(lab, link, state, timeout, what, names=NAMES, contains=()):
    """Wait until every node in `names` has its own side of `link` in
    `state` (and its detail contains every string of `contains`). Returns
    {node: detail}."""
    def ok():
        out = {}
        for n in names:
            side = lab.own_side(n, link)
            if side is None or side[0] != state:
                return False
            if any(c not in (side[1] or "") for c in contains):
                return False
            out[n] = side[1]
        return out
    return lab.wait_for(ok, timeout, what)


def everyone_sees(lab, state, links, observers=NAMES, targets=NAMES):
    for obs in observers:
        for t in targets:
            if t != obs and not lab.sees(obs, t, state, links):
                return False
    return True


# --------------------------------------------------------------- the lab itself

def test_lab_disk_witness_parts_and_cleanup():
    """No vigild: bindfs freeze/thaw, the witness network, vigil-witness
    answering /healthz from every node, a cut wan veth, kill/restart of the
    witness, and cleanup of everything (also with the disk frozen)."""
    lab = vigil_lab.Lab(3, links=[(LAN, "ipv4")], start=False, disk=True, disk_init=False,
                        witness=True)
    dd = None
    try:
        assert {lab.witness_ns} | {n.ns for n in lab.nodes.values()} <= set(lab.namespaces)
        assert vigil_lab._mounted(lab.disk_mnt)
        assert os.path.getsize(lab.device) == vigil_lab.DISK_SIZE
        conf = open(lab.conf).read()
        assert 'type = disk' in conf and "device = %s" % lab.device in conf
        assert "url = http://198.18.0.250:%d" % lab.witness_port in conf
        assert oct(os.stat(lab.token_file).st_mode & 0o777) == "0o600"
        for n in lab.nodes.values():
            assert n.wan_addr == "198.18.0.%d" % n.id
            status, body = lab.http(n.name, "/healthz", token=False)
            assert status == 200, body
        # a cut wan veth: that node no longer reaches the witness, the others do
        lab.witness_link_down("n2")
        with pytest.raises(vigil_lab.LabError):
            lab.http("n2", "/healthz", timeout=1.0)
        assert lab.http("n1", "/healthz")[0] == 200
        lab.witness_link_up("n2")
        assert lab.http("n2", "/healthz")[0] == 200
        # killed and restarted on the same address and port
        lab.witness_kill()
        with pytest.raises(vigil_lab.LabError):
            lab.http("n1", "/healthz", timeout=1.0)
        lab.witness_start()
        assert lab.http("n3", "/healthz")[0] == 200
        # O_DIRECT I/O on the shared file hangs while bindfs is stopped
        argv = ["dd", "if=" + lab.device, "of=/dev/null", "bs=4096", "count=1", "iflag=direct",
                "status=none"]
        assert subprocess.run(argv, timeout=10).returncode == 0
        lab.disk_hang()
        dd = subprocess.Popen(argv)
        time.sleep(1.0)
        assert dd.poll() is None, "a read of the shared disk completed while bindfs is stopped"
        lab.disk_thaw()
        assert dd.wait(timeout=5) == 0
        # frozen again, with a reader blocked: close() must still clean up
        lab.disk_hang()
        dd = subprocess.Popen(argv)
        time.sleep(0.3)
        raise RuntimeError("planned failure inside the lab")
    except RuntimeError as e:
        assert "planned" in str(e)
    finally:
        problems = lab.close()
        if dd is not None:
            dd.wait(timeout=10)
    assert problems == [], problems
    assert not vigil_lab._mounted(lab.disk_mnt)
    assert not os.path.exists(lab.tmp)
    assert lab.bindfs.poll() is not None and lab.witness_proc.poll() is not None
    assert not [ns for ns in vigil_lab._existing_netns() if ns.startswith(lab.prefix)]


# --------------------------------------------------------------- (a)

def test_all_links_up(dlab):
    lab = dlab
    sts = lab.wait_converged()
    for obs, st in sts.items():
        own = {l["name"]: l for l in st["links"]}
        assert set(own) == set(LINKS), lab.explain("%s: top-level links %r" % (obs, st["links"]))
        assert own[LAN]["type"] == "udp" and own[DISK]["type"] == "disk" \
            and own[WIT]["type"] == "witness", lab.explain("%s: link types %r" % (obs, st["links"]))
        for l in LINKS:
            assert own[l].get("state") == "up", lab.explain("%s: own %s %r" % (obs, l, own[l]))
        for t in NAMES:
            e = peer(st, t)
            assert e["state"] == "alive", lab.explain("%s sees %s %s" % (obs, t, e["state"]))
            for l in LINKS:
                assert e["links"].get(l) == "up", lab.explain("%s sees %s's %s %r" % (
                    obs, t, l, e["links"].get(l)))


# --------------------------------------------------------------- (b)

def test_lan_cut_node_stays_alive_through_disk_and_witness(dlab):
    lab = dlab
    sts = lab.wait_converged()
    since = {o: since_of(sts[o], "n1") for o in ("n2", "n3")}
    since_n1 = {t: since_of(sts["n1"], t) for t in ("n2", "n3")}
    t0 = time.monotonic()
    lab.link_down("n1", LAN)   # n1's only LAN
    want = {LAN: "down", DISK: "up", WIT: "up"}
    for obs in ("n2", "n3"):
        e = lab.wait_for(lambda obs=obs: lab.sees(obs, "n1", "alive", want), DETECT_WAIT,
                         "%s to see n1 alive with lan1 down, shared and arbiter up" % obs)
        d = e["link_detail"][LAN]["since_mono"] - t0
        assert 0 < d <= TIMEOUT + SLACK, lab.explain("%s saw n1's lan1 down after %.3fs" % (obs, d))
        lab.wait_for(lambda obs=obs: lab.sees("n1", obs, "alive", want), DETECT_WAIT,
                     "n1 to see %s alive with lan1 down, shared and arbiter up" % obs)
    # it stays that way: a node cut from the LAN is not a dead node
    lab.hold(lambda: all(lab.sees(o, "n1", "alive", want) for o in ("n2", "n3"))
             and all(lab.sees("n1", o, "alive", want) for o in ("n2", "n3")),
             4 * TIMEOUT, "n1 and its peers alive through disk and witness while lan1 is cut")
    sts = lab.statuses()
    for obs in ("n2", "n3"):
        assert since_of(sts[obs], "n1") == since[obs], lab.explain("%s: n1 flapped" % obs)
        assert since_of(sts["n1"], obs) == since_n1[obs], lab.explain("n1: %s flapped" % obs)
    for n in NAMES:
        own = {l["name"]: l.get("state") for l in sts[n]["links"]}
        assert own[DISK] == "up" and own[WIT] == "up", lab.explain("%s own links %r" % (n, own))
    lab.link_up("n1", LAN)
    sts = lab.wait_converged(timeout=5.0)
    for obs in ("n2", "n3"):
        assert since_of(sts[obs], "n1") == since[obs], lab.explain("%s: n1 flapped" % obs)


# --------------------------------------------------------------- (c)

def test_disk_hang_only_the_disk_link_goes_down(dlab):
    lab = dlab
    lab.wait_converged()
    time.sleep(2 * INTERVAL)
    before = snapshot(lab)
    t0 = lab.disk_hang()
    try:
        details = wait_own(lab, DISK, "down", OWN_DOWN_BOUND + 1.0,
                           "every node's own side of the disk link down during the hang")
        took = time.monotonic() - t0
        assert took <= OWN_DOWN_BOUND, lab.explain(
            "own disk sides went down %.2fs after the hang (allowed %.1fs)" % (took, OWN_DOWN_BOUND))
        for n, det in details.items():
            assert lab.device in (det or ""), lab.explain(
                "%s: the detail of its disk link should name the device: %r" % (n, det))
        # and every peer's shared link, from every side
        lab.wait_for(lambda: everyone_sees(lab, "alive", {DISK: "down", LAN: "up", WIT: "up"}),
                     DETECT_WAIT, "every node to see every peer's shared down, lan1 and arbiter up")
        # it stays so; vigild keeps answering (quickly); nothing else moves
        worst = [0.0]

        def steady():
            sts = {}
            for n in NAMES:
                t = time.monotonic()
                sts[n] = lab.status(n)
                worst[0] = max(worst[0], time.monotonic() - t)
            for obs, st in sts.items():
                if lab.own_link(st, DISK).get("state") != "down":
                    return False
                for t in NAMES:
                    e = peer(st, t)
                    if t != obs and (e["state"] != "alive" or e["links"].get(LAN) != "up"
                                     or e["links"].get(WIT) != "up" or e["links"].get(DISK) != "down"):
                        return False
            return True
        lab.hold(steady, 4 * TIMEOUT, "shared down, lan1 and arbiter up, everyone alive, during the hang")
        assert worst[0] < 1.0, lab.explain("vigilctl status took %.2fs during the hang" % worst[0])
        for n in NAMES:
            st = lab.status(n)
            own = {l["name"]: l.get("state") for l in st["links"]}
            assert own[LAN] == "up" and own[WIT] == "up", lab.explain("%s own links %r" % (n, own))
            assert st["view"]["quorate"] and sorted(st["view"]["members"]) == list(NAMES), \
                lab.explain("%s view during the hang: %r" % (n, st["view"]))
        assert_no_flap(lab, before, "disk hang")
    finally:
        t1 = lab.disk_thaw()
    wait_own(lab, DISK, "up", BACK_UP_WAIT, "every node's own disk side up after the thaw")
    lab.wait_converged(timeout=BACK_UP_WAIT)
    print("disk link back up everywhere %.2fs after the thaw" % (time.monotonic() - t1))
    assert_no_flap(lab, before, "disk hang and thaw")
    assert not lab.check_daemons(), lab.explain("a daemon died: %r" % lab.check_daemons())


# --------------------------------------------------------------- (d)

def test_sigterm_while_the_disk_hangs(dlab):
    """vigild's shutdown does not wait for a hung disk I/O: its main thread
    exits within 3 s of SIGTERM. The process is reaped only when the kernel
    lets go of its disk thread: in this lab the nodes share one file, so a
    disk thread can sit in uninterruptible sleep (state D, the file's inode
    lock held by another node's pending FUSE write), as on a real hung
    device; the exit code (0) is checked after the thaw."""
    lab = dlab
    lab.wait_converged()
    lab.disk_hang()
    node = lab.nodes["n1"]
    try:
        wait_own(lab, DISK, "down", OWN_DOWN_BOUND + 1.0, "the disk link down (I/O hung)",
                 names=("n1",))
        t = lab.sigterm("n1")
        lab.wait_for(lambda: lab.leader_exited("n1"), 5.0,
                     "vigild's main thread to exit after SIGTERM with a hung disk")
        took = time.monotonic() - t
        held = lab.threads("n1") if node.proc.poll() is None else []
        print("SIGTERM with a hung disk: main thread gone after %.2fs; %s" % (
            took, "process reaped" if not held else
            "process held by the kernel until the I/O ends: %r" % held))
        assert took <= 3.0, lab.explain("vigild took %.2fs to stop on SIGTERM with a hung disk" % took)
        # what is left is held by the kernel, not running vigild's code: a
        # zombie, a thread asleep in the hung I/O, or the process being torn
        # down (a sanitizer build's large mappings take a while to unmap)
        assert all(state in ("Z", "D", "S") or "exit_mmap" in stack or "do_exit" in stack
                   for _, state, stack in held), held
        # the others go on
        for obs in ("n2", "n3"):
            lab.wait_for(lambda obs=obs: lab.sees(obs, "n1", "dead"), DETECT_WAIT,
                         "%s to see n1 dead after it stopped" % obs)
        assert lab.sees("n2", "n3", "alive", {LAN: "up", WIT: "up"})
    finally:
        lab.disk_thaw()
    rc = lab.reap("n1", timeout=5.0)
    assert rc == 0, lab.explain("vigild exited with %s on SIGTERM with a hung disk" % rc)
    lab.start("n1")
    lab.wait_converged(timeout=10.0)


# --------------------------------------------------------------- (e)

def test_witness_killed_and_restarted(dlab):
    lab = dlab
    lab.wait_converged()
    time.sleep(2 * INTERVAL)
    before = snapshot(lab, links=(LAN,))
    t0 = lab.witness_kill()
    details = wait_own(lab, WIT, "down", OWN_DOWN_BOUND + 1.0,
                       "every node's own side of the witness link down", contains=("unreachable",))
    took = time.monotonic() - t0
    assert took <= OWN_DOWN_BOUND, lab.explain(
        "own witness sides went down %.2fs after the kill (allowed %.1fs)" % (took, OWN_DOWN_BOUND))
    for n, det in details.items():
        assert lab.witness_url in det, lab.explain("%s: detail should name the witness: %r" % (n, det))
    lab.wait_for(lambda: everyone_sees(lab, "alive", {WIT: "down", LAN: "up", DISK: "up"}),
                 DETECT_WAIT, "every node to see every peer's arbiter down, lan1 and shared up")
    lab.hold(lambda: everyone_sees(lab, "alive", {WIT: "down", LAN: "up", DISK: "up"})
             and all(s and s[0] == "up" for s in own_sides(lab, DISK).values()),
             4 * TIMEOUT, "peers alive through lan1 and the disk while the witness is gone")
    assert_no_flap(lab, before, "witness killed")
    t1 = time.monotonic()
    lab.witness_start()
    wait_own(lab, WIT, "up", BACK_UP_WAIT, "every node's own witness side up after the restart")
    lab.wait_converged(timeout=BACK_UP_WAIT)
    print("witness link back up everywhere %.2fs after the restart" % (time.monotonic() - t1))
    assert_no_flap(lab, before, "witness killed and restarted")


# --------------------------------------------------------------- (f)

def _write_conf(path, cluster, device, key):
    with open(path, "w") as f:
        f.write('[cluster]\nname = %s\nkey-file = %s\n\n[node "n1"]\nid = 1\nlan1 = 192.0.2.1\n\n'
                '[node "n2"]\nid = 2\nlan1 = 192.0.2.2\n\n[link "lan1"]\ntype = udp\npriority = 1\n\n'
                '[link "shared"]\ntype = disk\ndevice = %s\n' % (cluster, key, device))


def _sha(path):
    import hashlib
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def test_disk_init_refuses_ext4_unless_forced():
    need_daemons()
    mkfs = shutil.which("mkfs.ext4") or ("/sbin/mkfs.ext4" if os.path.exists("/sbin/mkfs.ext4") else None)
    if mkfs is None:
        pytest.skip("mkfs.ext4 not found (Debian package e2fsprogs)")
    vigilctl = vigil_lab.binary("vigilctl")
    tmp = tempfile.mkdtemp(prefix="vigil-disk-init-")
    try:
        dev = os.path.join(tmp, "fs.img")
        with open(dev, "wb") as f:
            f.write(bytes(4 << 20))
        subprocess.run([mkfs, "-q", "-F", dev], check=True, capture_output=True, timeout=60)
        key = os.path.join(tmp, "authkey")
        subprocess.run([vigilctl, "keygen", key], check=True, capture_output=True, timeout=10)
        conf = os.path.join(tmp, "vigil.conf")
        _write_conf(conf, "init-test", dev, key)
        sha = _sha(dev)
        r = subprocess.run([vigilctl, "disk", "init", dev, "-c", conf], capture_output=True, timeout=30)
        out = (r.stdout + r.stderr).decode(errors="replace")
        assert r.returncode != 0, "disk init wrote over an ext4 file system:\n" + out
        assert "ext4" in out, "the refusal should name ext4:\n" + out
        assert "--force" in out, "the refusal should say how to go ahead anyway:\n" + out
        assert _sha(dev) == sha, "a refused disk init changed the device"
        r = subprocess.run([vigilctl, "disk", "init", dev, "-c", conf, "--force"],
                           capture_output=True, timeout=30)
        out = (r.stdout + r.stderr).decode(errors="replace")
        assert r.returncode == 0, "disk init --force failed:\n" + out
        r = subprocess.run([vigilctl, "disk", "dump", dev, "-c", conf, "--json"],
                           capture_output=True, timeout=30)
        assert r.returncode == 0, (r.stdout + r.stderr).decode(errors="replace")
        assert b"init-test" in r.stdout, r.stdout.decode(errors="replace")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# --------------------------------------------------------------- (g)

def test_device_of_another_cluster_is_not_written(make_lab):
    need_daemons()
    lab = make_lab(3, links=[(LAN, "ipv4")], disk=True, disk_init=False, start=False)
    other = "other-" + lab.prefix
    other_conf = os.path.join(lab.tmp, "other.conf")
    with open(other_conf, "w") as f:
        f.write(lab.config_text().replace("name = %s\n" % lab.cluster, "name = %s\n" % other, 1))
    lab.disk_init(config=other_conf)
    assert other in lab.disk_dump(json_out=False)
    sha = lab.disk_checksum()
    lab.start_all()
    details = wait_own(lab, DISK, "down", 5.0,
                       "every node to refuse the device of cluster %s" % other, contains=(other,))
    for n, det in details.items():
        print("%s: %s" % (n, det))
    # the nodes see each other over lan1, never over the refused disk
    lab.wait_for(lambda: everyone_sees(lab, "alive", {LAN: "up", DISK: "down"}), 5.0,
                 "everyone alive on lan1 with shared down")
    lab.hold(lambda: everyone_sees(lab, "alive", {LAN: "up", DISK: "down"}), 10 * INTERVAL + 1.0,
             "shared stays down on a device of another cluster")
    assert lab.disk_checksum() == sha, lab.explain(
        "a node wrote to the device of cluster %s (its bytes changed)" % other)
    assert other in lab.disk_dump(json_out=False)


# --------------------------------------------------------------- mailbox

def _mailbox_block(lab, node_id):
    off = (2 * node_id) * 4096  # docs: block 2N is node N's mailbox
    with open(lab.disk_file, "rb") as f:
        f.seek(off)
        return f.read(4096)


def test_mailbox_request_is_logged_shown_and_cleared(dlab):
    """Another writer (here vigilctl, as an admin) puts a request into n2's
    mailbox: n2 logs it once, shows it in status, and clears the block."""
    lab = dlab
    r = subprocess.run([lab.vigilctl, "disk", "message", lab.device, "n2", "test", "-c", lab.conf],
                       capture_output=True, timeout=20)
    assert r.returncode == 0, r.stderr.decode()

    def shown():
        own = {l["name"]: l for l in lab.status("n2")["links"]}
        return own[DISK].get("last_mailbox_request")

    lab.wait_for(lambda: shown() is not None, 3.0, "n2 to show the mailbox request")
    req = shown()
    assert req["request"] == "test" and req["from"] == "admin", req
    lab.wait_for(lambda: _mailbox_block(lab, 2) == bytes(4096), 3.0,
                 "n2 to clear its mailbox block on the disk")
    with open(lab.nodes["n2"].log, errors="replace") as f:
        lines = [l for l in f if "mailbox request 'test'" in l]
    assert len(lines) == 1, lines   # read more than once before the clear, logged once
    # nobody else took it
    for other in ("n1", "n3"):
        own = {l["name"]: l for l in lab.status(other)["links"]}
        assert own[DISK].get("last_mailbox_request") is None
    # a request for a node id beyond the configuration is refused by vigilctl
    r = subprocess.run([lab.vigilctl, "disk", "message", lab.device, "n9", "test", "-c", lab.conf],
                       capture_output=True, timeout=20)
    assert r.returncode == 1 and "no node 'n9'" in r.stderr.decode()
