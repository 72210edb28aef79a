"""The lab itself, without daemons: namespaces, bridges, addresses, nftables
drops and cleanup. Needs root only."""

import subprocess

import pytest

import vigil_lab

vigil_lab.skip_unless_ready(daemon=False)


def _host_links():
    out = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, check=True).stdout.decode()
    return sorted(l.split(":")[1].strip().split("@")[0] for l in out.splitlines())


def _netns():
    return vigil_lab._existing_netns()


def test_network_and_cleanup():
    links_before, ns_before = _host_links(), _netns()
    lab = vigil_lab.Lab(3, start=False)
    try:
        assert len(lab.prefix) <= 8 and lab.prefix.startswith("vg")
        assert set(lab.namespaces) == {lab.switch_ns} | {n.ns for n in lab.nodes.values()}
        assert set(lab.namespaces) <= _netns()
        # the host's interfaces are untouched
        assert _host_links() == links_before
        # every node has lan1 (IPv4) and lan2 (IPv6) with the documented addresses
        for n in lab.nodes.values():
            assert n.addr == {"lan1": "192.0.2.%d" % n.id, "lan2": "2001:db8:2::%x" % n.id}
            out = lab.exec_in(n, ["ip", "-o", "addr", "show", "dev", "lan2"]).stdout.decode()
            assert "2001:db8:2::%x/64" % n.id in out and "tentative" not in out, out
        # everyone reaches everyone on both links
        for a in lab.nodes:
            for b in lab.nodes:
                if a != b:
                    for link in ("lan1", "lan2"):
                        assert lab.ping(a, b, link), "ping %s -> %s on %s" % (a, b, link)
        conf = open(lab.conf).read()
        assert '[node "n2"]' in conf and "lan2 = 2001:db8:2::2" in conf and "port = 5405" in conf

        # one-way UDP drop: n1 drops from n2 on lan1 only
        assert lab.udp_reachable("n2", "n1", "lan1")
        lab.drop_from("n1", "n2", "lan1")
        assert not lab.udp_reachable("n2", "n1", "lan1")
        assert lab.udp_reachable("n1", "n2", "lan1")       # other direction
        assert lab.udp_reachable("n3", "n1", "lan1")       # other peer
        assert lab.udp_reachable("n2", "n1", "lan2")       # other link
        assert lab.ping("n2", "n1", "lan1")                # only UDP is dropped
        # IPv6 drop, both ways
        lab.drop_both("n1", "n3", "lan2")
        assert not lab.udp_reachable("n3", "n1", "lan2")
        assert not lab.udp_reachable("n1", "n3", "lan2")
        lab.clear_drops()
        assert lab.udp_reachable("n2", "n1", "lan1")
        assert lab.udp_reachable("n3", "n1", "lan2")

        # link cut
        lab.link_down("n2", "lan1")
        assert not lab.ping("n1", "n2", "lan1", timeout=1)
        assert lab.ping("n1", "n2", "lan2")
        lab.link_up("n2", "lan1")
        assert lab.ping("n1", "n2", "lan1", timeout=2)
    finally:
        problems = lab.close()
    assert problems == []
    assert not any(ns.startswith(lab.prefix) for ns in _netns())
    assert _netns() == ns_before
    assert _host_links() == links_before


def test_cleanup_after_exception():
    ns_before = _netns()
    with pytest.raises(RuntimeError):
        with vigil_lab.Lab(2, start=False) as lab:
            prefix = lab.prefix
            raise RuntimeError("boom")
    assert not any(ns.startswith(prefix) for ns in _netns())
    assert _netns() == ns_before
