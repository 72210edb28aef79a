#!/usr/bin/python3
"""The demo's application: a small HTTP server that names the node serving
it, started, stopped and checked by an `exec` resource of vigild
(docs/demo.md). Standard library only.

    webapp.py start   --dir DIR [--port 80] [--text TEXT]
    webapp.py stop    --dir DIR
    webapp.py monitor --dir DIR

start: writes DIR/index.html ("served by $VIGIL_NODE"), binds [::]:PORT
(IPv4 too) and listens, then forks the server (its own session, output in
DIR/webapp.log, pid in DIR/webapp.pid) and exits 0: the port already
accepts connections when start returns, so the group is "running" only
once the page can be served. Already running: exit 0.
stop: SIGTERM to the pid in DIR/webapp.pid (only if that process is this
server), SIGKILL after 2 s, removes the pid file; not running: exit 0.
monitor: exit 0 when the server of DIR/webapp.pid runs, 7 when not.
"""

import argparse
import http.server
import os
import signal
import socket
import sys
import time

def pid_file(d):
    return os.path.join(d, "webapp.pid")


def start_time(pid):
    """The process's start time (field 22 of /proc/PID/stat), or None when
    it is gone or a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return None if fields[0] == "Z" else fields[19]


def running_pid(d):
    """The pid in DIR/webapp.pid ("PID STARTTIME") when that very process
    still runs (a recycled pid has another start time), else None."""
    try:
        with open(pid_file(d)) as f:
            pid, start = f.read().split()
        pid = int(pid)
    except (OSError, ValueError):
        return None
    return pid if start_time(pid) == start else None


class Handler(http.server.BaseHTTPRequestHandler):
    body = b""

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(self.body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, fmt, *args):  # no log line per request: the prober asks every 10 ms
        pass


def serve(sock, body):
    Handler.body = body
    srv = http.server.HTTPServer(("::", 0), Handler, bind_and_activate=False)
    srv.socket.close()
    srv.socket = sock
    signal.signal(signal.SIGTERM, lambda s, f: sys.exit(0))
    srv.serve_forever(poll_interval=0.5)


def cmd_start(a):
    os.makedirs(a.dir, exist_ok=True)
    if running_pid(a.dir):
        return 0
    node = os.environ.get("VIGIL_NODE", socket.gethostname())
    text = a.text or ("served by %s" % node)
    body = (text + "\n").encode()
    with open(os.path.join(a.dir, "index.html"), "wb") as f:
        f.write(body)
    sock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    sock.bind(("::", a.port))
    sock.listen(64)
    pid = os.fork()
    if pid == 0:
        os.setsid()
        fd = os.open(os.path.join(a.dir, "webapp.log"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
        os.close(null)
        try:
            serve(sock, body)
        finally:
            os._exit(0)
    sock.close()
    start = None
    for _ in range(100):  # the child's /proc entry exists once fork returned; bounded all the same
        start = start_time(pid)
        if start:
            break
        time.sleep(0.01)
    with open(pid_file(a.dir) + ".tmp", "w") as f:
        f.write("%d %s\n" % (pid, start))
    os.rename(pid_file(a.dir) + ".tmp", pid_file(a.dir))
    return 0


def cmd_stop(a):
    pid = running_pid(a.dir)
    if pid:
        os.kill(pid, signal.SIGTERM)
        for _ in range(100):  # at most 2 s
            if running_pid(a.dir) is None:
                break
            time.sleep(0.02)
        else:
            os.kill(pid, signal.SIGKILL)
    try:
        os.unlink(pid_file(a.dir))
    except FileNotFoundError:
        pass
    return 0


def cmd_monitor(a):
    return 0 if running_pid(a.dir) else 7


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("action", choices=["start", "stop", "monitor"])
    ap.add_argument("--dir", required=True)
    ap.add_argument("--port", type=int, default=80)
    ap.add_argument("--text")
    a = ap.parse_args()
    a.dir = os.path.abspath(a.dir)
    return {"start": cmd_start, "stop": cmd_stop, "monitor": cmd_monitor}[a.action](a)


if __name__ == "__main__":
    sys.exit(main())
