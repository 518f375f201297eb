#!/usr/bin/env python3
"""Where a proxy's time goes between a streamed request's read and the first write to its client,
from `perf script -F tid,time,event,trace --ns` output of raw_syscalls:sys_enter/sys_exit
recorded on the proxy. Prints the median of each phase, in µs, over the requests found.

A request is a recvfrom of 100-999 bytes (the client's request; the mock's answers are 1,494),
then the next write of fewer than 400 bytes (to the upstream), then a recvfrom of 1,000 bytes
or more (the answer), then the next write of more than 1,000 bytes (to the client), all on one
thread. Usage: phases.py PERF_SCRIPT_OUTPUT
"""
import collections
import re
import statistics
import sys

RECVFROM, WRITES = 45, (1, 20, 44, 46)  # x86-64: recvfrom; write, writev, sendto, sendmsg
LINE = re.compile(r"\s*(\d+)\s+([\d.]+):\s+raw_syscalls:sys_(enter|exit):\s+NR (\d+)(?: = (-?\d+))?")


def calls_by_thread(path):
    """Per thread, each system call as (entered, exited, number, result), times in µs."""
    calls, entered = collections.defaultdict(list), {}
    for line in open(path):
        m = LINE.match(line)
        if not m:
            continue
        tid, at, nr = int(m[1]), float(m[2]) * 1e6, int(m[4])
        if m[3] == "enter":
            entered[tid] = (at, nr)
        elif tid in entered and entered[tid][1] == nr:
            calls[tid].append((entered.pop(tid)[0], at, nr, int(m[5] or 0)))
    return calls


def next_call(calls, start, test):
    return next((k for k in range(start, min(start + 12, len(calls))) if test(calls[k])), None)


def main():
    phases = collections.defaultdict(list)
    for calls in calls_by_thread(sys.argv[1]).values():
        for i, (_, read_at, nr, got) in enumerate(calls):
            if nr != RECVFROM or not 100 <= got < 1000:
                continue
            up = next_call(calls, i + 1, lambda c: c[2] in WRITES and 0 < c[3] < 400)
            answer = up and next_call(calls, up + 1, lambda c: c[2] == RECVFROM and c[3] >= 1000)
            out = answer and next_call(calls, answer + 1, lambda c: c[2] in WRITES and c[3] > 1000)
            if not out:
                continue
            phases["request read -> upstream write begins"].append(calls[up][0] - read_at)
            phases["upstream write ends -> answer read"].append(calls[answer][1] - calls[up][1])
            phases["answer read -> client write begins"].append(calls[out][0] - calls[answer][1])
            phases["all three"].append(calls[out][0] - read_at)
    if not phases:
        sys.exit("no request found in " + sys.argv[1])
    for name, values in phases.items():
        print(f"  {name:40s} {statistics.median(values):7.1f} µs  ({len(values)} requests)")


main()
