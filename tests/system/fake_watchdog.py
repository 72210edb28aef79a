"""A fake watchdog device for the lab (issue 6): a FIFO that vigild opens as
its [watchdog] device, read by a thread that behaves like the kernel's
watchdog on it: every byte written is a kick; 'V' written just before the
close disarms it (magic close); a close without it leaves it counting; and
when it was armed and not kicked for `timeout` seconds it "resets" the node
through a callback (the tests kill its vigild and take its links down, as
test_groups.crash does). The daemon's code path is the one it runs on a real
device, except that the FIFO takes no ioctl (vigild then trusts the
configured timeout and says so).

A FIFO rather than a plain file: opening it for writing needs a reader (the
thread opens it first), and each write arrives in order, however often
vigild reopens it."""

import os
import select
import threading
import time


class FakeWatchdog:
    def __init__(self, path, timeout, on_reset):
        self.path = path
        self.timeout = timeout
        self.on_reset = on_reset
        self.armed = False
        self.disarmed_at = None
        self.last_kick = None
        self.kicks = 0
        self.reset_at = None   # time.monotonic() of the reset, once it fired
        self.last_byte = b""
        self._stop = threading.Event()
        if os.path.exists(path):
            os.unlink(path)
        os.mkfifo(path, 0o600)
        self._fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        self._thread = threading.Thread(target=self._run, name="fake-watchdog", daemon=True)
        self._thread.start()

    def _run(self):
        writer_open = False
        while not self._stop.is_set():
            r, _, _ = select.select([self._fd], [], [], 0.02)
            now = time.monotonic()
            if r:
                try:
                    data = os.read(self._fd, 4096)
                except BlockingIOError:
                    data = None
                if data:
                    writer_open = True
                    self.kicks += len(data)
                    self.last_kick = now
                    self.armed = True
                    self.disarmed_at = None
                    self.last_byte = data[-1:]
                elif data == b"":
                    if writer_open:  # the writer closed it
                        writer_open = False
                        if self.last_byte == b"V":
                            self.armed = False
                            self.disarmed_at = now
                    time.sleep(0.02)  # no writer: EOF stays readable
            if self.armed and self.reset_at is None and self.last_kick is not None \
                    and now - self.last_kick > self.timeout:
                self.reset_at = now
                self.armed = False
                try:
                    self.on_reset()
                except Exception as e:  # reported by the test through reset_error
                    self.reset_error = e

    def close(self):
        self._stop.set()
        self._thread.join(timeout=5)
        try:
            os.close(self._fd)
        except OSError:
            pass
        try:
            os.unlink(self.path)
        except OSError:
            pass
