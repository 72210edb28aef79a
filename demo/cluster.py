#!/usr/bin/python3
"""Vigil demo: a 3-node cluster in network namespaces (lan1 IPv4, lan2 IPv6,
a shared disk and a witness; heartbeat every 100 ms, link timeout 500 ms).
Shows the status of each node, cuts a link, cuts every LAN of a node (it
stays alive through the disk and the witness), kills a node and times how
fast the survivors declare it dead, then removes everything it made. Needs
root; about 20 s. Without bindfs (shared disk) or vigil-witness, that part is
left out and the demo says so.

    sudo make demo          (or: VIGIL_BUILD=build sudo /usr/bin/python3 demo/cluster.py)
"""

import os
import signal
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "system"))

import vigil_lab  # noqa: E402


def banner(text):
    print("\n\033[1m=== %s\033[0m" % text if sys.stdout.isatty() else "\n=== %s" % text, flush=True)


def show(lab, names):
    for n in names:
        print("--- vigilctl status on %s" % n)
        print(lab.status_text(n).rstrip(), flush=True)


def main():
    why = vigil_lab.missing_requirements()
    if why:
        print("demo/cluster.py: %s" % why, file=sys.stderr)
        return 77
    # a SIGTERM/SIGHUP ends the demo through the normal cleanup path
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda s, f: sys.exit(128 + s))

    extra, skipped = {}, []
    why = vigil_lab.missing_requirements(disk=True)
    if why:
        skipped.append("shared disk link (%s)" % why)
    else:
        extra["disk"] = True
    why = vigil_lab.missing_requirements(witness=True)
    if why:
        skipped.append("witness link (%s)" % why)
    else:
        extra["witness"] = True
    for s in skipped:
        print("demo/cluster.py: leaving out the %s" % s, flush=True)
    what = ["lan1 = 192.0.2.0/24", "lan2 = 2001:db8:2::/64"]
    if extra.get("disk"):
        what.append("shared = a file on a FUSE mount")
    if extra.get("witness"):
        what.append("arbiter = vigil-witness at 198.18.0.250")
    banner("starting 3 nodes (%s; 100ms / 500ms)" % ", ".join(what))
    with vigil_lab.Lab(3, interval="100ms", timeout="500ms", **extra) as lab:
        print("lab %s: namespaces %s" % (lab.prefix, ", ".join(lab.namespaces)))
        print("config %s:\n" % lab.conf)
        print("    " + lab.config_text().replace("\n", "\n    ").rstrip())
        t = time.monotonic()
        lab.wait_converged()
        print("all nodes see each other on every link after %.2fs" % (time.monotonic() - t))
        time.sleep(0.5)  # a few round trips for the RTT column
        show(lab, ["n1", "n2", "n3"])

        banner("cutting n3's lan2 (ip link set lan2 down inside n3)")
        t0 = time.monotonic()
        lab.link_down("n3", "lan2")
        for obs in ("n1", "n2"):
            e = lab.wait_for(lambda obs=obs: lab.sees(obs, "n3", "alive", {"lan2": "down"}), 3.0,
                             "%s to see n3's lan2 down" % obs)
            print("%s: n3 still alive, lan2 down after %.0f ms" % (
                obs, (e["link_detail"]["lan2"]["since_mono"] - t0) * 1000))
        show(lab, ["n1"])
        lab.link_up("n3", "lan2")
        lab.wait_converged()
        print("lan2 of n3 restored; every link up again")

        others = [l for l in (lab.disk_link, lab.witness_link) if l]
        if others:
            banner("cutting every LAN of n3 (lan1 and lan2 down): %s keep it alive" % " and ".join(others))
            t0 = time.monotonic()
            lab.link_down("n3", "lan1")
            lab.link_down("n3", "lan2")
            want = {"lan1": "down", "lan2": "down"}
            want.update({l: "up" for l in others})
            for obs in ("n1", "n2"):
                e = lab.wait_for(lambda obs=obs: lab.sees(obs, "n3", "alive", want), 3.0,
                                 "%s to see n3 alive with both LANs down" % obs)
                print("%s: n3 still alive (since %.1fs ago), lan1 and lan2 down after %.0f ms, %s up" % (
                    obs, time.monotonic() - e["since_mono"],
                    (max(e["link_detail"][l]["since_mono"] for l in ("lan1", "lan2")) - t0) * 1000,
                    " and ".join(others)))
            lab.wait_for(lambda: lab.sees("n3", "n1", "alive", want), 3.0,
                         "n3 to see n1 alive with both LANs down")
            time.sleep(1.0)   # it stays so
            show(lab, ["n1", "n3"])
            lab.link_up("n3", "lan1")
            lab.link_up("n3", "lan2")
            lab.wait_converged()
            print("LANs of n3 restored; every link up again; n3 was never declared dead")

        banner("kill -9 of vigild on n3")
        t0 = lab.kill9("n3")
        for obs in ("n1", "n2"):
            e = lab.wait_for(lambda obs=obs: lab.sees(obs, "n3", "dead"), 3.0,
                             "%s to see n3 dead" % obs)
            print("%s: n3 dead %.0f ms after the kill (timeout 500 ms)" % (
                obs, (e["since_mono"] - t0) * 1000))
        show(lab, ["n1", "n2"])

        banner("cleaning up")
    print("removed namespaces %s and every process of the lab%s" % (
        ", ".join(lab.namespaces), " (and the disk's FUSE mount)" if lab.mounts else ""))
    for s in skipped:
        print("left out: the %s" % s)
    left = [ns for ns in lab.namespaces if ns in vigil_lab._existing_netns()]
    if left or lab.problems:
        print("problems: %s" % (lab.problems + left), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
