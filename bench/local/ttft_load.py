#!/usr/bin/env python3
"""Closed-loop load of streamed completions against hearth, for the local node's latency
budget: CLIENTS threads each send a request, read the whole response and pause THINK_MS
before the next, for SECONDS (the pause keeps the requests that burst to an upstream on
this same machine from taking the cores the engine needs); every response
is timed to its first SSE data event and sorted by the route that served it
(x-hearth-route). Prints a Markdown table: per route, the count, TTFT p50/p99/max and how
many first tokens came later than BUDGET_MS; and the statuses seen.

Usage: ttft_load.py PORT MODEL CLIENTS SECONDS PROMPT_WORDS MAX_TOKENS THINK_MS BUDGET_MS
"""
import http.client
import json
import sys
import threading
import time


def percentile(values, p):
    if not values:
        return None
    s = sorted(values)
    return round(s[min(len(s) - 1, int(p / 100 * len(s)))], 1)


def main():
    port, model = int(sys.argv[1]), sys.argv[2]
    clients, seconds = int(sys.argv[3]), float(sys.argv[4])
    words, max_tokens, think = int(sys.argv[5]), int(sys.argv[6]), float(sys.argv[7]) / 1000
    budget = float(sys.argv[8])
    end = time.monotonic() + seconds
    lock = threading.Lock()
    ttft = {}       # route -> [ms]
    statuses = {}   # status -> count

    def client(i):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        n = 0
        while time.monotonic() < end:
            n += 1
            # Distinct prompts, so that nothing is served from a cache.
            prompt = f"client {i} request {n} " + " ".join(f"word{k % 97}" for k in range(words))
            body = json.dumps({"model": model, "prompt": prompt, "max_tokens": max_tokens,
                               "stream": True})
            start = time.monotonic()
            conn.request("POST", "/v1/completions", body, {"content-type": "application/json"})
            resp = conn.getresponse()
            route = resp.getheader("x-hearth-route", "none")
            first = None
            while True:
                line = resp.readline()
                if not line:
                    break
                if first is None and line.startswith(b"data: {"):
                    first = (time.monotonic() - start) * 1000
            with lock:
                statuses[resp.status] = statuses.get(resp.status, 0) + 1
                if resp.status == 200 and first is not None:
                    ttft.setdefault(route, []).append(first)
            if resp.getheader("connection", "").lower() == "close":
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            time.sleep(think)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(f"| route | requests | TTFT p50 | TTFT p99 | TTFT max | over {budget:g} ms |")
    print("|---|---|---|---|---|---|")
    for route, v in sorted(ttft.items()):
        over = sum(1 for x in v if x > budget)
        print(f"| {route} | {len(v)} | {percentile(v, 50)} ms | {percentile(v, 99)} ms | {round(max(v), 1)} ms | {over} |")
    print()
    print("statuses:", ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items())))


if __name__ == "__main__":
    main()
