"""keepalived (Debian's package): the VRRP subsystem only (-P), one
vrrp_instance on lan1 holding the VIP. Every node starts as BACKUP with
`nopreempt`, so that a node coming back does not take the VIP back (as
Vigil's `failback = no`, Heartbeat's `auto_failback off` and Pacemaker's
resource-stickiness); priorities 150, 100, 50... decide the first master.
advert_int 1 is keepalived's default (VRRPv2); 0.1 needs VRRPv3
(`vrrp_version 3`), which keepalived's documentation names for sub-second
adverts. A node is master 3 x advert_int + skew after the last advert."""

import os
import re
import shutil
import signal
import subprocess
import time

NOTIFY = """#!/bin/sh
# keepalived notify script of bench/compare: the instance's state, for the bench
echo "$3" > %s
"""


class System:
    name = "keepalived"
    MEMBERSHIP_RE = re.compile(r"Entering (MASTER|BACKUP|FAULT) STATE(?! \(init\))")
    MEMBERSHIP_WHAT = "VRRP state changes (keepalived's log)"
    private = ()
    nodes = 3
    move_how = ("SIGTERM to keepalived on the master (it sends a priority-0 advert, VRRP's hand-over), "
                "started again as BACKUP once another node holds the VIP")

    def __init__(self, advert_int="1"):
        self.advert_int = advert_int
        self.period = float(advert_int)
        self.vrrp3 = float(advert_int) < 1
        self.label = "keepalived advert_int %s" % advert_int
        self.timing = ("advert_int %s%s: master down after 3 x advert_int + skew" % (
            advert_int, ", VRRPv3 (sub-second adverts need it)" if self.vrrp3 else " (the default), VRRPv2"))

    def version(self):
        r = subprocess.run(["keepalived", "--version"], capture_output=True)
        return (r.stderr or r.stdout).decode().splitlines()[0].strip()

    def files(self, tb, node):
        d = os.path.join(tb.node_dir(node), "keepalived")
        return {"dir": d, "conf": os.path.join(d, "keepalived.conf"), "notify": os.path.join(d, "notify.sh"),
                "state": os.path.join(d, "state"), "log": os.path.join(d, "keepalived.log")}

    def configure(self, tb):
        out = []
        for i, node in enumerate(tb.names):
            f = self.files(tb, node)
            os.makedirs(f["dir"], exist_ok=True)
            with open(f["notify"], "w") as fh:
                fh.write(NOTIFY % f["state"])
            os.chmod(f["notify"], 0o755)
            with open(f["conf"], "w") as fh:
                fh.write("""# written by bench/compare for node %(node)s
global_defs {
    router_id %(node)s
%(v3)s}

vrrp_instance bench {
    state BACKUP
    nopreempt
    interface lan1
    virtual_router_id 51
    priority %(prio)d
    advert_int %(advert)s
    virtual_ipaddress {
        %(vip)s dev lan1
    }
    notify %(notify)s
}
""" % {"node": node, "v3": "    vrrp_version 3\n" if self.vrrp3 else "", "prio": max(1, 150 - 50 * i),
                    "advert": self.advert_int, "vip": tb.vip, "notify": f["notify"]})
            out += [f["conf"], f["notify"]]
        return out

    def start(self, tb, node):
        f = self.files(tb, node)
        try:
            os.unlink(f["state"])
        except FileNotFoundError:
            pass
        # a node back from a crash has no pid files left (keepalived would
        # take the killed daemon's for a running one)
        pids = [os.path.join(f["dir"], "keepalived.pid"), os.path.join(f["dir"], "vrrp.pid")]
        for p in pids:
            try:
                os.unlink(p)
            except FileNotFoundError:
                pass
        tb.spawn(node, ["keepalived", "-n", "-l", "-D", "-G", "-P", "-f", f["conf"], "-p", pids[0],
                        "-r", pids[1]], f["log"])

    def state(self, tb, node):
        try:
            with open(self.files(tb, node)["state"]) as fh:
                return fh.read().strip()
        except OSError:
            return None

    def ready(self, tb, node):
        return self.state(tb, node) in ("MASTER", "BACKUP")

    def move(self, tb, old, new):
        """VRRP has no move command: the documented way to hand over is to
        stop keepalived on the master, which sends an advert of priority 0 so
        that a backup takes over at once (after its skew time)."""
        procs = [p for p in tb.procs[old] if p.poll() is None]
        t0 = time.monotonic()
        for p in procs:
            os.kill(p.pid, signal.SIGTERM)
        return t0

    def after_move(self, tb, old, new):
        for p in tb.procs[old]:
            p.wait(timeout=10)
        tb.procs[old] = []
        self.start(tb, old)

    def pre_crash(self, tb, node):
        pass

    def post_crash(self, tb, node):
        pass

    def logs(self, tb, node):
        return [self.files(tb, node)["log"]]


def missing():
    return None if shutil.which("keepalived") or os.path.exists("/usr/sbin/keepalived") else \
        "keepalived is not installed (Debian package keepalived)"


def variants(quick):
    return [System("1"), System("0.1")]
