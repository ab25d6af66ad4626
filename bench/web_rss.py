#!/usr/bin/env python3
"""web_rss.py — 100,000 requests through ONE valuerank.fcgi worker; prints its resident size at the start and the end.

A FastCGI worker lives for millions of requests, so per-request state must be freed every time.
The limit: the resident size may grow by at most 1 MB over 100,000 requests (ratio = growth / 1 MB).
Usage: VR_BUILDDIR=build-demo python3 bench/web_rss.py [N]   (a non-ASan build gives meaningful sizes)
"""
import http.client
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "integration"))
from harness import Stack  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
PATHS = ["/runs", "/login", "/no/such/page", "/api/v1/me", "/runs?x=%zz", "/settings/tokens"]


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    stack = Stack(mock=False, workers=1).start()
    try:
        client = stack.client()
        client.login()
        cookie = "vr_session=" + client.cookies["vr_session"]
        worker = int(subprocess.run(["pgrep", "-P", str(stack.procs["web"].pid)], capture_output=True,
                                    text=True).stdout.split()[0])
        # Warm up so lazily prepared statements and caches are in place.
        conn = http.client.HTTPConnection("127.0.0.1", stack.port)
        for i in range(2000):
            conn.request("GET", PATHS[i % len(PATHS)], headers={"Cookie": cookie})
            conn.getresponse().read()
        start_rss = rss_kb(worker)
        counts = {"done": 0, "errors": 0}
        lock = threading.Lock()

        def run(share):
            c = http.client.HTTPConnection("127.0.0.1", stack.port)
            for i in range(share):
                c.request("GET", PATHS[i % len(PATHS)], headers={"Cookie": cookie})
                r = c.getresponse()
                r.read()
                if r.status >= 500:
                    with lock:
                        counts["errors"] += 1
            with lock:
                counts["done"] += share
        t0 = time.time()
        threads = [threading.Thread(target=run, args=(N // 4,)) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.time() - t0
        end_rss = rss_kb(worker)
        same = int(subprocess.run(["pgrep", "-P", str(stack.procs["web"].pid)], capture_output=True,
                                  text=True).stdout.split()[0]) == worker
        growth = end_rss - start_rss
        print(f"requests: {counts['done']} through one worker (pid {worker}, same worker at the end: {same}) "
              f"in {elapsed:.1f} s ({counts['done'] / elapsed:.0f}/s), 5xx: {counts['errors']}")
        print(f"resident size: start {start_rss} kB, end {end_rss} kB, growth {growth} kB "
              f"(limit 1024 kB: ratio {max(growth, 0) / 1024:.2f})")
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
