#!/usr/bin/env python3
"""Summarise one callgrind dump per request: where the instructions go, by code area and by function.

Usage: cgsummary.py CALLGRIND_OUT REQUESTS [TOP]
Runs callgrind_annotate twice (self and inclusive costs, no threshold) and prints
  - self instructions per request grouped by the crate/library whose source the code comes from
    (inlined code counts for the crate it was written in, e.g. http's HeaderMap inlined into ossd);
  - the TOP functions by self instructions per request (symbols, summed over inlined parts);
  - inclusive instructions per request of the ossd functions (what each ossd step costs in total).
"""

import re
import subprocess
import sys
from collections import defaultdict

LINE = re.compile(r"^\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(.*?)(?:\s+\[(.*)\])?$")


def annotate(path, inclusive):
    out = subprocess.run(
        ["callgrind_annotate", f"--inclusive={'yes' if inclusive else 'no'}", "--threshold=100", "--auto=no", path],
        capture_output=True, text=True, check=True).stdout
    rows = []
    for line in out.splitlines():
        m = LINE.match(line)
        if not m or "PROGRAM TOTALS" in line:
            continue
        ir = int(m.group(1).replace(",", ""))
        loc = m.group(2)
        file, _, func = loc.partition(":")
        rows.append((ir, file, func, m.group(3)))
    return rows


def area(file, obj):
    m = re.search(r"/registry/src/[^/]+/([A-Za-z0-9_\-]+?)-\d+\.\d+[^/]*/", file)
    if m:
        return m.group(1)
    m = re.search(r"crates/(ossd[\w-]*)/", file)
    if m:
        return m.group(1)
    if file.startswith("/rustc/"):
        m = re.search(r"library/(\w+)/", file)
        return f"rust {m.group(1)}" if m else "rust std"
    if "malloc" in file:
        return "libc malloc/free"
    if "/string/" in file or "multiarch" in file:
        return "libc mem*/str*"
    if obj and "libc" in obj:
        return "libc other"
    if file == "???":
        return f"unknown ({obj or '?'})"
    return file


# Thread entry trampolines: when instrumentation is switched on while threads already run, callgrind
# can charge them a large bogus self cost (the sum of self costs then exceeds the file's totals).
TRAMPOLINES = re.compile(r"^(clone3?|start_thread)('\d+)?$")


def file_totals(path):
    with open(path) as f:
        for line in f:
            if line.startswith("totals:"):
                return int(line.split()[1])
    return None


def main():
    path, requests = sys.argv[1], int(sys.argv[2])
    top = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    self_rows = [r for r in annotate(path, inclusive=False) if not TRAMPOLINES.match(r[2])]
    total = file_totals(path) or sum(r[0] for r in self_rows)
    per = lambda ir: ir / max(requests, 1)  # noqa: E731
    print(f"total {total:,} Ir over {requests:,} requests = {per(total):,.0f} Ir per request\n")

    by_area = defaultdict(int)
    for ir, file, _func, obj in self_rows:
        by_area[area(file, obj)] += ir
    print("self Ir per request by source area:")
    for name, ir in sorted(by_area.items(), key=lambda kv: -kv[1])[:16]:
        print(f"  {per(ir):>10,.0f}  {100.0 * ir / total:5.1f}%  {name}")

    by_func = defaultdict(int)
    for ir, _file, func, _obj in self_rows:
        by_func[func] += ir
    print(f"\ntop {top} functions by self Ir per request (inlined code counted in its caller):")
    for name, ir in sorted(by_func.items(), key=lambda kv: -kv[1])[:top]:
        print(f"  {per(ir):>10,.0f}  {100.0 * ir / total:5.1f}%  {name[:150]}")

    incl = {}
    for ir, _file, func, obj in annotate(path, inclusive=True):
        # A call that was running when instrumentation was switched on can show a wrapped-around
        # (huge) inclusive cost; such rows are left out.
        if ir <= total and (func.startswith("ossd") or "::ossd_" in func or func.startswith("<ossd")):
            incl[func] = max(incl.get(func, 0), ir)
    print("\nossd functions, inclusive Ir per request:")
    for name, ir in sorted(incl.items(), key=lambda kv: -kv[1])[:top]:
        print(f"  {per(ir):>10,.0f}  {100.0 * ir / total:5.1f}%  {name[:150]}")


if __name__ == "__main__":
    main()
