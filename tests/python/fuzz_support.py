"""Runs a call in a forked child so that a crash (signal), a hang (timeout) or an exception is a
result instead of the end of the test run; shared by test_fuzz.py, test_bad_input.py and
scripts/fuzz_long.py."""

import os
import pickle
import resource
import select
import signal
import time

# The child's address-space limit: an allocation beyond it must fail with a clear error instead
# of swapping the machine.
MEMORY_LIMIT = 6 << 30


def _child(fn, write_fd, memory_limit):
    try:
        if memory_limit:
            resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
        try:
            out = ("ok", fn())
        except BaseException as e:  # noqa: BLE001 -- every exception is a result
            out = ("error", type(e).__name__, str(e))
        try:
            data = pickle.dumps(out)
        except Exception:  # noqa: BLE001 -- an unpicklable result travels as its repr
            data = pickle.dumps(("ok", repr(out[1])))
        with os.fdopen(write_fd, "wb") as f:
            f.write(data)
    finally:
        os._exit(0)


def run_in_child(fn, timeout=20.0, memory_limit=MEMORY_LIMIT):
    """Runs fn() in a forked child. Returns ("ok", value) (fn's result, or its repr when it does
    not pickle), ("error", exception type name, message), ("crash", signal number) or
    ("hang", timeout)."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        _child(fn, write_fd, memory_limit)
    os.close(write_fd)
    chunks = []
    deadline = time.monotonic() + timeout
    with os.fdopen(read_fd, "rb", buffering=0) as f:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([f], [], [], left)[0]:
                if time.monotonic() >= deadline:
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                    return ("hang", timeout)
                continue
            chunk = f.read(1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        return ("crash", os.WTERMSIG(status))
    if not chunks:
        return ("crash", "no result")
    return pickle.loads(b"".join(chunks))
