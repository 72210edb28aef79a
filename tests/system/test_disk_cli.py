"""vigilctl disk init / dump against real files and a device that hangs.

The hang is real: the disk file sits on a bindfs (FUSE) mount, and bindfs is
stopped with SIGSTOP, so every I/O on it blocks in the kernel until SIGCONT.
vigilctl must give up after --timeout with a message instead of hanging.
Needs root, bindfs and /dev/fuse for the mount; the other tests only need a
built vigilctl. Every mount and process made here is removed, pass or fail."""

import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time

import pytest

import vigil_lab

VIGILCTL = vigil_lab.binary("vigilctl")
MIB = 1 << 20

CONF = """\
[cluster]
name = web
interval = 100ms
timeout = 500ms

[node "alpha"]
id = 1
lan1 = 192.0.2.1

[node "beta"]
id = 2
lan1 = 192.0.2.2

[link "lan1"]
type = udp
priority = 1

[link "shared"]
type = disk
device = {device}
"""

if not os.access(VIGILCTL, os.X_OK):
    pytest.skip("%s not found; build it first with `make`" % VIGILCTL, allow_module_level=True)


def vigilctl(*args, timeout=30):
    t0 = time.monotonic()
    r = subprocess.run([VIGILCTL] + list(args), capture_output=True, text=True, timeout=timeout)
    return r, time.monotonic() - t0


def write_conf(path, device):
    with open(path, "w") as f:
        f.write(CONF.format(device=device))


@pytest.fixture
def tmp():
    d = tempfile.mkdtemp(prefix="vigil-disk-cli-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def fuse_disk(tmp):
    """A 1 MiB disk file on a bindfs mount: (path, bindfs Popen, config)."""
    bindfs = shutil.which("bindfs")
    if os.geteuid() != 0:
        pytest.skip("the hanging-device test needs root (FUSE mount)")
    if bindfs is None or not os.path.exists("/dev/fuse"):
        pytest.skip("the hanging-device test needs bindfs and /dev/fuse (scripts/install-deps)")
    real, mnt = os.path.join(tmp, "real"), os.path.join(tmp, "mnt")
    os.mkdir(real)
    os.mkdir(mnt)
    with open(os.path.join(real, "d.img"), "wb") as f:
        f.truncate(MIB)
    proc = subprocess.Popen([bindfs, "-f", "--forward-odirect=4096", "-o", "direct_io", real, mnt],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not os.path.ismount(mnt):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("bindfs did not mount %s" % mnt)
            time.sleep(0.05)
        device = os.path.join(mnt, "d.img")
        conf = os.path.join(tmp, "vigil.conf")
        write_conf(conf, device)
        yield device, proc, conf
    finally:
        # a stopped bindfs first, or the unmount waits for it
        if proc.poll() is None:
            proc.send_signal(signal.SIGCONT)
        subprocess.run(["umount", mnt], capture_output=True)
        if os.path.ismount(mnt):
            subprocess.run(["umount", "-l", mnt], capture_output=True)
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def test_init_then_dump_on_fuse(fuse_disk):
    device, _, conf = fuse_disk
    r, _ = vigilctl("disk", "init", device, "-c", conf)
    assert r.returncode == 0, r.stderr
    assert 'for cluster "web"' in r.stdout
    r, _ = vigilctl("disk", "dump", device, "-c", conf)
    assert r.returncode == 0, r.stderr
    assert 'cluster  "web"' in r.stdout
    assert "slots: none written since init" in r.stdout


@pytest.mark.parametrize("cmd,timeout", [("dump", "2s"), ("init", "1s")])
def test_gives_up_on_a_hung_device(fuse_disk, cmd, timeout):
    device, bindfs, conf = fuse_disk
    r, _ = vigilctl("disk", "init", device, "-c", conf)
    assert r.returncode == 0, r.stderr
    args = ["disk", cmd, device, "--timeout", timeout] + (["-c", conf] if cmd == "init" else [])
    want = "vigilctl: %s did not answer within %s (its I/O hangs); giving up" % (device, timeout)
    bindfs.send_signal(signal.SIGSTOP)
    # vigilctl gives up from its main thread while its I/O thread may stay
    # stuck in the kernel until bindfs runs again, so the process cannot be
    # waited for before the thaw: watch its stderr for the message instead.
    proc = subprocess.Popen([VIGILCTL] + args, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    lines, seen = [], threading.Event()

    def read_err():
        for line in proc.stderr:
            lines.append(line)
            if want in line:
                seen.set()

    reader = threading.Thread(target=read_err, daemon=True)
    t0 = time.monotonic()
    reader.start()
    try:
        seen.wait(timeout=30)
        took = time.monotonic() - t0
    finally:
        bindfs.send_signal(signal.SIGCONT)
    rc = proc.wait(timeout=30)
    reader.join(timeout=5)
    limit = float(timeout[:-1])
    assert seen.is_set(), "".join(lines)
    assert rc == 1, (rc, "".join(lines))
    assert limit - 0.1 <= took < limit + 1.5, took
    # the device answers again once bindfs runs: nothing was left half-done
    r, _ = vigilctl("disk", "dump", device)
    assert r.returncode == 0, r.stdout + r.stderr


def test_init_refuses_ext4_unless_forced(tmp):
    mkfs = shutil.which("mkfs.ext4") or "/usr/sbin/mkfs.ext4"
    if not os.access(mkfs, os.X_OK):
        pytest.skip("needs mkfs.ext4 (e2fsprogs)")
    device, conf = os.path.join(tmp, "d.img"), os.path.join(tmp, "vigil.conf")
    with open(device, "wb") as f:
        f.truncate(MIB)
    subprocess.run([mkfs, "-q", "-F", device], check=True, capture_output=True)
    write_conf(conf, device)
    r, _ = vigilctl("disk", "init", device, "-c", conf)
    assert r.returncode == 1
    assert "TYPE=ext4" in r.stderr and "--force" in r.stderr
    r, _ = vigilctl("disk", "init", device, "-c", conf, "--force")
    assert r.returncode == 0, r.stderr
    assert "overwriting it (--force)" in r.stderr


def test_init_refuses_a_small_file_even_forced(tmp):
    device, conf = os.path.join(tmp, "d.img"), os.path.join(tmp, "vigil.conf")
    with open(device, "wb") as f:
        f.truncate(64 * 1024)
    write_conf(conf, device)
    r, _ = vigilctl("disk", "init", device, "-c", conf, "--force")
    assert r.returncode == 1
    assert "truncate -s 1M %s" % device in r.stderr
    assert os.path.getsize(device) == 64 * 1024


def test_usage_errors_exit_2(tmp):
    for args in (["disk"], ["disk", "init", "/dev/null"], ["disk", "dump"],
                 ["disk", "dump", "/dev/null", "--timeout", "soon"]):
        r, _ = vigilctl(*args)
        assert r.returncode == 2, (args, r.stderr)
        assert r.stderr.startswith("vigilctl: ")
