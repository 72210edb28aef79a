"""vigil-witness as a real process on loopback (127.0.0.1 and [::1], ports
picked by the witness itself: it is started with port 0 and says in its log
which port it got). Needs no root. docs/witness-api.md is the contract.

Every process started here is stopped by PID when its test ends, pass or
fail; every wait is bounded in time."""

import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
TOKEN = "t0ken-for-the-witness-test"
REQUEST_TIMEOUT = 5.0   # seconds for any one HTTP request
START_TIMEOUT = 5.0     # seconds for the witness to say where it listens
STOP_TIMEOUT = 5.0      # seconds for it to exit after SIGTERM
CLUSTER = "web cluster \u00e9t\u00e9 \u65e5\u672c"  # a space and non-ASCII


def witness_binary():
    b = os.environ.get("VIGIL_BUILD", "build")
    b = b if os.path.isabs(b) else os.path.join(REPO, b)
    return os.path.join(b, "bin", "vigil-witness")


if not os.access(witness_binary(), os.X_OK):
    pytest.skip("%s not found; build it first (make)" % witness_binary(), allow_module_level=True)


def ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


class Witness:
    """One vigil-witness process; stderr goes to a file the test can read."""

    def __init__(self, tmp, token=TOKEN, listen=None, tls=None, name="witness"):
        self.tmp = tmp
        self.token_path = os.path.join(tmp, name + ".token")
        self.log_path = os.path.join(tmp, name + ".log")
        fd = os.open(self.token_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.write(fd, (token + "\n").encode())
        os.close(fd)
        if listen is None:
            listen = ["127.0.0.1:0"] + (["[::1]:0"] if ipv6_loopback() else [])
        self.tls = tls
        argv = [witness_binary(), "--foreground", "--token-file", self.token_path]
        for spec in listen:
            argv += ["--listen", spec]
        if tls:
            argv += ["--tls-cert", tls[0], "--tls-key", tls[1]]
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=log)
        self.addrs = self._wait_listening(len(listen))

    def _wait_listening(self, n):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            found = re.findall(r"listening on https?://(\[[0-9a-f:]+\]|[0-9.]+):(\d+)", self.log())
            if len(found) == n:
                return [(h.strip("[]"), int(p)) for h, p in found]
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        raise AssertionError("vigil-witness did not start listening (exit %s); log:\n%s"
                             % (self.proc.poll(), self.log()))

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_log(self, pattern, timeout=5.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if re.search(pattern, self.log()):
                return
            time.sleep(0.02)
        raise AssertionError("no log line matching %r within %.1fs; log:\n%s"
                             % (pattern, timeout, self.log()))

    def connection(self, which=0):
        host, port = self.addrs[which]
        if self.tls:
            ctx = ssl.create_default_context(cafile=self.tls[0])
            return http.client.HTTPSConnection(host, port, timeout=REQUEST_TIMEOUT, context=ctx)
        return http.client.HTTPConnection(host, port, timeout=REQUEST_TIMEOUT)

    def request(self, method, path, body=None, token=TOKEN, which=0, conn=None):
        """-> (status, headers, parsed JSON body)."""
        c = conn or self.connection(which)
        headers = {}
        if token is not None:
            headers["Authorization"] = "Bearer " + token
        if body is not None and not isinstance(body, bytes):
            body = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            c.request(method, path, body=body, headers=headers)
            r = c.getresponse()
            data = r.read()
            return r.status, r.headers, (json.loads(data) if data else None)
        finally:
            if conn is None:
                c.close()

    def alive(self, cluster, node, timeout_ms=1000, sees=None, which=0, incarnation="abc123"):
        body = {"cluster": cluster, "node": node, "incarnation": incarnation,
                "timeout_ms": timeout_ms, "sees": sees or {}, "state": "running"}
        return self.request("POST", "/v1/alive", body, which=which)

    def arbitrate(self, cluster, node, epoch, parent, members, conn=None):
        """node asks, for its side `members`, that view `epoch` (whose parent,
        the last view known to be quorate, is `parent`) be granted."""
        body = {"cluster": cluster, "node": node, "epoch": epoch, "parent": parent,
                "members": members}
        return self.request("POST", "/v1/arbitrate", body, conn=conn)

    def stop(self):
        """SIGTERM, then SIGKILL if it lingers; returns a problem or None."""
        if self.proc.poll() is not None:
            return "vigil-witness exited by itself with %s" % self.proc.returncode
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(STOP_TIMEOUT)
            return "vigil-witness did not stop within %.0fs of SIGTERM" % STOP_TIMEOUT
        return None if rc == 0 else "vigil-witness exited with %d after SIGTERM" % rc


@pytest.fixture
def start_witness(tmp_path):
    """Factory: start_witness(**Witness kwargs). Every witness started is
    stopped (by PID) after the test, pass or fail; one that died or did not
    stop cleanly on SIGTERM fails the test."""
    started = []

    def start(**kwargs):
        w = Witness(str(tmp_path), name="witness%d" % len(started), **kwargs)
        started.append(w)
        return w

    yield start
    problems = [p for p in (w.stop() for w in started) if p]
    if problems:
        pytest.fail("\n".join(problems) + "\nlog:\n" + started[0].log(), pytrace=False)


@pytest.fixture
def witness(start_witness):
    return start_witness()


def test_healthz_on_ipv4_and_ipv6(witness):
    for which in range(len(witness.addrs)):
        status, headers, body = witness.request("GET", "/healthz", token=None, which=which)
        assert status == 200 and body == {"ok": True}
        assert headers["Content-Type"] == "application/json"
    if not ipv6_loopback():
        pytest.skip("no IPv6 loopback here: only 127.0.0.1 was checked")
    assert len(witness.addrs) == 2


def test_alive_round_trip_and_clusters_kept_apart(witness):
    last = len(witness.addrs) - 1  # beta reports over IPv6 when there is one
    status, _, body = witness.alive(CLUSTER, "alpha", sees={"beta": ["lan1"]})
    assert status == 200, body
    assert body["cluster"] == CLUSTER
    assert list(body["nodes"]) == ["alpha"]
    time.sleep(0.2)
    status, _, body = witness.alive(CLUSTER, "beta", timeout_ms=500,
                                    sees={"alpha": ["lan1", "lan2"]}, which=last)
    assert status == 200, body
    nodes = body["nodes"]
    assert set(nodes) == {"alpha", "beta"}
    assert 150 <= nodes["alpha"]["age_ms"] < 5000
    assert nodes["beta"]["age_ms"] < 150
    assert nodes["alpha"]["sees"] == {"beta": ["lan1"]}
    assert nodes["beta"]["sees"] == {"alpha": ["lan1", "lan2"]}
    assert nodes["beta"]["timeout_ms"] == 500
    assert nodes["alpha"]["state"] == "running"
    assert nodes["alpha"]["incarnation"] == "abc123"

    # another cluster with a node of the same name: its own, separate view
    status, _, other = witness.alive("db", "alpha", incarnation="d1")
    assert status == 200
    assert list(other["nodes"]) == ["alpha"]
    assert other["nodes"]["alpha"]["incarnation"] == "d1"
    status, _, again = witness.alive(CLUSTER, "alpha")
    assert set(again["nodes"]) == {"alpha", "beta"}
    assert again["nodes"]["alpha"]["incarnation"] == "abc123"

    witness.wait_log(r"cluster '%s': node alpha first contact from 127\.0\.0\.1" % CLUSTER)
    witness.wait_log(r"cluster '%s': node beta first contact from" % CLUSTER)
    witness.wait_log(r"cluster 'db': node alpha first contact")


def test_lost_and_back_in_contact_logged(witness):
    assert witness.alive("lossy", "alpha", timeout_ms=100)[0] == 200
    witness.wait_log(r"cluster 'lossy': node alpha lost contact", timeout=3.0)
    assert witness.alive("lossy", "alpha", timeout_ms=100)[0] == 200
    witness.wait_log(r"cluster 'lossy': node alpha back in contact", timeout=3.0)


def race(witness, cluster, epoch, parent, sides):
    """Every side asks for view `epoch` on top of `parent` at the same moment
    (connections made first, a barrier, then the requests);
    -> [(side, reply body)]."""
    barrier = threading.Barrier(len(sides), timeout=REQUEST_TIMEOUT)
    results = [None] * len(sides)

    def ask(i):
        conn = witness.connection()
        try:
            conn.connect()
            barrier.wait()
            results[i] = witness.arbitrate(cluster, sides[i][0], epoch, parent, sides[i],
                                           conn=conn)
        finally:
            conn.close()

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(sides))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(REQUEST_TIMEOUT * 2)
    assert not any(t.is_alive() for t in threads), "an arbitration request hung"
    assert all(r is not None for r in results), "an arbitration request failed"
    for status, _, body in results:
        assert status == 200, body
    return [(sides[i], results[i][2]) for i in range(len(sides))]


def test_arbitration_exactly_one_side_wins(witness):
    # 20 splits, each of the view granted last (the cluster healed between)
    left, right = ["alpha", "beta"], ["gamma"]
    for parent, epoch in zip(range(0, 200, 10), range(10, 201, 10)):
        outcome = race(witness, CLUSTER, epoch, parent, [left, right])
        winners = [side for side, body in outcome if body["granted"]]
        assert len(winners) == 1, outcome
        won = winners[0]
        lost = right if won is left else left
        for side, body in outcome:
            assert body["winner"]["node"] == won[0] and body["winner"]["members"] == won
            if side is lost:
                assert "reason" in body
        # the rest of the winning side is granted too; the losing side stays refused
        for node in won:
            assert witness.arbitrate(CLUSTER, node, epoch, parent, won)[2]["granted"] is True
        assert witness.arbitrate(CLUSTER, lost[0], epoch, parent, lost)[2]["granted"] is False
    # an older epoch is refused, with the reason
    status, _, body = witness.arbitrate(CLUSTER, "alpha", 30, 20, left)
    assert status == 200 and body["granted"] is False
    assert "older" in body["reason"] and body["newest_epoch"] == 200

    # eight sides at once: still one winner
    sides = [["n%d" % i] for i in range(8)]
    outcome = race(witness, "eight", 1, 0, sides)
    assert sum(1 for _, body in outcome if body["granted"]) == 1
    witness.wait_log(r"cluster 'eight': epoch 1 \(parent 0\) granted to node n\d")


def test_arbitration_two_halves_with_different_parents(witness):
    """docs/membership.md "The model": a COMMIT lost just before a split
    leaves the halves with different parents; both views are newer than
    anything granted, and only the one that descends from the granted view
    may be granted."""
    cl = "two halves"
    status, _, body = witness.arbitrate(cl, "a", 10, 5, ["a"])
    assert status == 200 and body["granted"] is True, body
    assert body["winner"] == {"epoch": 10, "node": "a", "members": ["a"]}
    # a retry, and someone outside view 10
    assert witness.arbitrate(cl, "a", 10, 5, ["a"])[2]["granted"] is True
    body = witness.arbitrate(cl, "b", 10, 5, ["b"])[2]
    assert body["granted"] is False
    assert "'b' is not one of its members" in body["reason"], body
    # the other half: view 12, also on top of view 5
    status, _, body = witness.arbitrate(cl, "b", 12, 5, ["b"])
    assert status == 200 and body["granted"] is False, body
    assert body["newest_epoch"] == 10 and "winner" not in body
    assert ("its parent epoch 5 is older than epoch 10, the last view granted (to the side of "
            "node 'a')") in body["reason"], body
    # a view that descends from view 10, and the rest of it
    assert witness.arbitrate(cl, "a", 12, 10, ["a", "c"])[2]["granted"] is True
    assert witness.arbitrate(cl, "c", 12, 10, ["c", "a"])[2]["granted"] is True
    assert witness.arbitrate(cl, "b", 12, 10, ["b"])[2]["granted"] is False
    body = witness.arbitrate(cl, "a", 10, 5, ["a"])[2]
    assert body["granted"] is False and "older than epoch 12" in body["reason"]
    # the log says what was asked, parent included
    witness.wait_log(r"cluster 'two halves': epoch 10 \(parent 5\) granted to node a "
                     r"\(side of a, 1 member\(s\)\)")
    witness.wait_log(r"cluster 'two halves': epoch 12 \(parent 5\) refused to node b: its parent "
                     r"epoch 5 is older than epoch 10")
    witness.wait_log(r"cluster 'two halves': epoch 12 \(parent 10\) granted to node a")


def test_bad_token_is_401(witness):
    alive = {"cluster": "web", "node": "a", "incarnation": "1", "timeout_ms": 1000}
    for token in (None, "wrong", TOKEN + "x", TOKEN[:-1]):
        status, headers, body = witness.request("POST", "/v1/alive", alive, token=token)
        assert status == 401, token
        assert "error" in body
        assert headers["WWW-Authenticate"].startswith("Bearer")
    c = witness.connection()
    try:
        c.request("POST", "/v1/alive", body=json.dumps(alive),
                  headers={"Authorization": "Basic " + TOKEN})
        assert c.getresponse().status == 401
    finally:
        c.close()
    # nothing was recorded
    status, _, body = witness.alive("web", "b")
    assert list(body["nodes"]) == ["b"]


def test_bad_requests(witness):
    status, _, body = witness.request("POST", "/v1/alive", b"{\"cluster\": ")
    assert status == 400 and "not valid JSON" in body["error"]
    status, _, body = witness.request("POST", "/v1/alive", b"{\"cluster\": \"w\xff\"}")
    assert status == 400 and "error" in body
    status, _, body = witness.request("POST", "/v1/alive", {"cluster": "web", "node": "a",
                                                           "incarnation": "1",
                                                           "timeout_ms": "soon"})
    assert status == 400 and "timeout_ms" in body["error"]
    status, _, body = witness.request("POST", "/v1/arbitrate", {"cluster": "web", "node": "a",
                                                               "epoch": 1, "parent": 0,
                                                               "members": ["b"]})
    assert status == 400 and "members" in body["error"]
    # parent: required, and older than the epoch asked for
    status, _, body = witness.request("POST", "/v1/arbitrate", {"cluster": "web", "node": "a",
                                                               "epoch": 8, "members": ["a"]})
    assert status == 400 and "field 'parent' is missing" in body["error"], body
    status, _, body = witness.request("POST", "/v1/arbitrate", {"cluster": "web", "node": "a",
                                                               "epoch": 8, "parent": 8,
                                                               "members": ["a"]})
    assert status == 400, body
    assert "field 'parent' (8) must be smaller than field 'epoch' (8)" in body["error"], body
    status, _, body = witness.request("GET", "/nowhere")
    assert status == 404 and "error" in body
    status, headers, body = witness.request("GET", "/v1/alive")
    assert status == 405 and headers["Allow"] == "POST"
    status, headers, _ = witness.request("DELETE", "/healthz", token=None)
    assert status == 405 and headers["Allow"] == "GET, HEAD"


def test_one_mib_body_is_413(witness):
    status, _, body = witness.request("POST", "/v1/alive", b"{" + b" " * (1024 * 1024) + b"}")
    assert status == 413 and "larger than" in body["error"]
    # a body just under the limit is read (and found wrong, not too big)
    status, _, body = witness.request("POST", "/v1/alive", b"{" + b" " * (60 * 1024) + b"}")
    assert status == 400
    assert witness.request("GET", "/healthz", token=None)[0] == 200


def test_slow_client_does_not_block_others(witness):
    host, port = witness.addrs[0]
    slow = []
    try:
        # half a body, then nothing; and half a request line, then nothing
        s = socket.create_connection((host, port), timeout=REQUEST_TIMEOUT)
        s.sendall(b"POST /v1/alive HTTP/1.1\r\nHost: w\r\nAuthorization: Bearer " +
                  TOKEN.encode() + b"\r\nContent-Length: 500\r\n\r\n{\"clus")
        slow.append(s)
        s = socket.create_connection((host, port), timeout=REQUEST_TIMEOUT)
        s.sendall(b"GET /heal")
        slow.append(s)
        t0 = time.monotonic()
        for i in range(20):
            assert witness.request("GET", "/healthz", token=None)[0] == 200
            assert witness.alive("web", "n%d" % i)[0] == 200
        assert time.monotonic() - t0 < 10.0
        # the witness closes them itself after its connection timeout (10s)
        for s in slow:
            s.settimeout(15.0)
            try:
                assert s.recv(4096) == b""
            except ConnectionResetError:
                pass
    finally:
        for s in slow:
            s.close()


def make_certificate(tmp):
    openssl = shutil.which("openssl")
    if not openssl:
        pytest.skip("openssl not found: cannot make a self-signed certificate for the HTTPS test")
    cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
    subprocess.run([openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "1", "-subj", "/CN=vigil-witness-test",
                    "-addext", "subjectAltName=IP:127.0.0.1,IP:::1"],
                   check=True, capture_output=True, timeout=60)
    os.chmod(key, 0o600)
    return cert, key


def test_https_with_self_signed_certificate(start_witness, tmp_path):
    tls = make_certificate(str(tmp_path))
    w = start_witness(tls=tls)
    w.wait_log(r"listening on https://127\.0\.0\.1:")
    for which in range(len(w.addrs)):
        status, _, body = w.request("GET", "/healthz", token=None, which=which)
        assert status == 200 and body == {"ok": True}
    status, _, body = w.alive(CLUSTER, "alpha")
    assert status == 200 and list(body["nodes"]) == ["alpha"]
    assert w.arbitrate(CLUSTER, "alpha", 1, 0, ["alpha"])[2]["granted"] is True
    assert w.request("POST", "/v1/alive", {}, token="wrong")[0] == 401
    # plain HTTP on the HTTPS port gets no answer
    host, port = w.addrs[0]
    c = http.client.HTTPConnection(host, port, timeout=REQUEST_TIMEOUT)
    try:
        with pytest.raises((http.client.HTTPException, OSError)):
            c.request("GET", "/healthz")
            c.getresponse().read()
    finally:
        c.close()


def run_refused(tmp_path, token_text, mode):
    path = os.path.join(str(tmp_path), "bad.token")
    with open(path, "w") as f:
        f.write(token_text)
    os.chmod(path, mode)
    p = subprocess.run([witness_binary(), "--foreground", "--listen", "127.0.0.1:0",
                        "--token-file", path], capture_output=True, timeout=10, text=True)
    return p.returncode, p.stderr


def test_token_file_refused(tmp_path):
    rc, err = run_refused(tmp_path, TOKEN + "\n", 0o644)
    assert rc == 1 and "chmod 600" in err, err
    rc, err = run_refused(tmp_path, "\n", 0o600)
    assert rc == 1 and "empty" in err, err
    rc, err = run_refused(tmp_path, "one\ntwo\n", 0o600)
    assert rc == 1 and "one line" in err, err
