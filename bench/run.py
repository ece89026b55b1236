"""make bench: run the workloads of bench/workloads/ and write bench/RESULTS.md.

    python3 bench/run.py [WORKLOAD...]

Environment: LUA (lua5.4), LUA55 (build/lua5.5/bin/lua5.5, for the sides
written LUA55), PYTHON (python3), BENCH_OUT (bench/RESULTS.md, or
standard output only when WORKLOAD names are given), BENCH_ROUNDS (overrides
every workload's rounds, for trying a change quickly).

A workload is one file, bench/workloads/NAME.py, setting the names read by
`load` below. Its sides run alternately, A/B/A/B, each run a separate
process, for `rounds` rounds. A side prints one line of numbers, its
`columns`, the first the process CPU seconds of the workload alone. Each ratio
"A / B" (or "A:column / B:column") divides two medians of the same run; a
target is reported as met or missed, never asserted. A failing side, or sides
disagreeing on the `same` column, stops everything: RESULTS.md stays as it was.
"""
import glob
import os
import platform
import runpy
import shlex
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time

LUA = os.environ.get("LUA", "lua5.4")
# The Lua 5.5 side of a workload (word LUA55): the interpreter .ci/lua55
# builds, loading build/5.5/mmap.so (make bench builds both).
LUA55 = os.environ.get("LUA55", "build/lua5.5/bin/lua5.5")
PYTHON = os.environ.get("PYTHON", "python3")
STARTED = time.time()

HOW = """\
How: every workload runs its sides alternately (A/B/A/B), each run a separate
process, and compares medians of this run only. A time is the process CPU
time of the workload alone, measured inside the process (`os.clock`,
`time.process_time`, `CLOCK_PROCESS_CPUTIME_ID`: the same clock); what it
includes (mapping, page faults, loading) is said per workload and is the same
for every side. A ratio `A / B` divides the medians named: for times, `peer /
Lua` is a speed ratio (above 1, the Lua module is faster); for memory, `Lua /
peer` (below 1, the module uses less). Input files are written by
`bench/gen.py` into a `mktemp -d` directory under /tmp, read once so that
they are in the page cache, and removed at the end. The machine is shared and
noisy: read the ratios and the samples, not the absolute times."""

HISTORY = """\
## History and investigations

The findings under each workload come from investigations made while the
benchmark was written (they were printed by `bench/why.sh` when a target was
missed, and are kept in the workload files since): profiles taken with `perf
record` of the workload scripts run by a Lua host linked with `liblua5.4.a`,
so that Lua's functions keep their names, and experiments on a copy of src/
(revision 15424b4), 5 alternating runs per side, medians. `make bench` does not
re-run them, and the times they quote are from the machine of that time:
compare them with each other, not with this run's tables. What they led to,
now in src/:

- `mm:find`: an SSE2 prefilter in `mms_memmem` (the needle's first and last
  bytes tested at 16 positions per step, candidates verified inline, glibc's
  `memmem` past a linear budget of compared bytes): 0.20 s instead of 0.41 s
  for the 16-byte needle of (a).
- `mm[i]` and every method: `checkmap` compares with the metatable held as an
  upvalue instead of calling `luaL_checkudata` (3% on (b)), and `m_index`
  answers method names before it checks the map (5e8a21a): `mm:unpack` 2.83 s
  to about 1.95 s, the cached form 1.58 s to about 1.34 s.
- `mm:read`: a C stack buffer of one page instead of a `luaL_Buffer` (0.417 s
  to 0.245 s on (c), measured with a 16 KiB buffer)."""


def die(msg):
    sys.exit("bench: " + msg)


def say(msg):
    print("bench: [%d s] %s" % (time.time() - STARTED, msg), file=sys.stderr)


def load(names):
    """The workload files, in file-name order; NAMES keeps only those."""
    found = []
    for path in sorted(glob.glob("bench/workloads/*.py")):
        name = os.path.basename(path)[:-3]
        if names and name not in names:
            continue
        w = {"data": [], "columns": ["s"], "derived": {}, "same": None,
             "ratios": [], "findings": ""}
        w.update((k, v) for k, v in runpy.run_path(path).items()
                 if not k.startswith("_"))
        for key in ("tag", "title", "rounds", "sides", "how"):
            if key not in w:
                die("%s: no %s" % (path, key))
        found.append(w)
    if names and len(found) != len(names):
        die("no such workload among %s" % " ".join(names))
    return found


def words(cmd, data=(), tmp=None):
    """A side's command as argv: LUA, PYTHON and the data files replaced."""
    out = []
    for word in shlex.split(cmd):
        if word == "LUA":
            out.append(LUA)
        elif word == "LUA55":
            out += ["env", "MMAP_CPATH=build/5.5/?.so;", LUA55]
        elif word == "PYTHON":
            out += [PYTHON, "-I"]
        elif word in data and tmp:
            out.append(os.path.join(tmp, word))
        else:
            out.append(word)
    return out


def measure(w, tmp):
    """{side: [{column: value}, ...]} over the rounds, in run order."""
    rounds = int(os.environ.get("BENCH_ROUNDS", 0)) or w["rounds"]
    w["rounds"] = rounds
    say("%s %s: %d rounds" % (w["tag"], w["title"], rounds))
    runs = {side: [] for side, _, _ in w["sides"]}
    for _ in range(rounds):
        for side, _, cmd in w["sides"]:
            p = subprocess.run(words(cmd, w["data"], tmp), text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            values = (p.stdout.splitlines() or [""])[0].split()
            if p.returncode != 0 or len(values) != len(w["columns"]):
                sys.stderr.write(p.stdout + p.stderr)
                die("failed: " + cmd)
            run = dict(zip(w["columns"], map(float, values)))
            for column, f in w["derived"].items():
                run[column] = f(run)
            runs[side].append(run)
    if w["same"]:
        seen = {run[w["same"]] for rs in runs.values() for run in rs}
        if len(seen) != 1:
            die("%s: the sides disagree on %s: %s" % (w["tag"], w["same"], seen))
    return runs


def num(v):
    return "%.0f" % v if abs(v) >= 100 else "%.3f" % v


def unit(column):
    return column.split()[-1]


def verdict(value, target):
    if not target:
        return "none", "—"
    op, t = target.split()
    t = float(t)
    shown = ("≥ " if op == ">=" else "≤ ") + target.split()[1]
    if value >= t if op == ">=" else value <= t:
        return shown, "met"
    miss = 1 - value / t if op == ">=" else value / t - 1
    return shown, "missed by %.0f%%" % (miss * 100)


def summary_rows(w, med):
    rows = []
    for label, expr, target in w["ratios"]:
        (a, ca), (b, cb) = [(s.strip().partition(":")[0],
                             s.strip().partition(":")[2] or "s")
                            for s in expr.split(" / ")]
        va, vb = med[a][ca], med[b][cb]
        shown, result = verdict(va / vb, target)
        r = va / vb
        rows.append("| %s %s | `%s` | %s %s | %s %s | **%s×** | %s | %s |" % (
            w["tag"], label, expr, num(va), unit(ca), num(vb), unit(cb),
            "%.2f" % r if r >= 0.1 else "%.2g" % r, shown, result))
    return rows


def section(w, runs, med):
    columns = w["columns"] + list(w["derived"])
    out = ["## %s %s" % (w["tag"], w["title"]), "",
           w["how"].strip().format(rounds=w["rounds"]), "",
           "| side | command | " + " | ".join(columns) +
           " | %s, every run in order |" % columns[0],
           "|---|---|" + "---|" * len(columns) + "---|"]
    for side, what, cmd in w["sides"]:
        out.append("| `%s`: %s | `%s` | %s | %s |" % (
            side, what, shlex.join(words(cmd)),
            " | ".join(num(med[side][c]) for c in columns),
            " ".join(num(r[columns[0]]) for r in runs[side])))
    out.append("")
    if w["findings"]:
        out += [w["findings"].strip(), ""]
    return out


def machine():
    def first(cmd):
        p = subprocess.run(cmd, text=True, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT)
        return p.stdout.strip()
    cpu = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    lua = " ".join(first([LUA, "-v"]).split()[:2])
    mod = first([LUA, "-e", 'package.cpath = "./?.so;" .. package.cpath '
                 'io.write(require("mmap")._VERSION)'])
    rev = first(["git", "rev-parse", "--short", "HEAD"])
    if first(["git", "status", "--porcelain", "--", "src"]):
        rev += " + uncommitted src/ changes"
    return ("Machine: %s, %d cores, %s %s %s; %s; %s (CPython's `mmap`, "
            "standard library only); %s; %s at %s." % (
                cpu, os.cpu_count(), platform.system(), platform.release(),
                platform.machine(), lua, first([PYTHON, "-V"]),
                " ".join(platform.libc_ver()), mod, rev))


def main():
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    names = sys.argv[1:]
    workloads = load(names)
    out = os.environ.get("BENCH_OUT", "" if names else "bench/RESULTS.md")
    with tempfile.TemporaryDirectory(prefix="lua-mmap-bench.") as tmp:
        data = sorted({d for w in workloads for d in w["data"]})
        say("writing %s in %s" % (" ".join(data), tmp))
        if data:
            if subprocess.run([PYTHON, "-I", "bench/gen.py", tmp] + data
                              ).returncode != 0:
                die("bench/gen.py failed")
        for d in data:  # into the page cache
            with open(os.path.join(tmp, d), "rb") as f:
                while f.read(1 << 24):
                    pass
        results = [(w, measure(w, tmp)) for w in workloads]
    summary, sections = [], []
    for w, runs in results:
        med = {side: {c: statistics.median(r[c] for r in rs) for c in rs[0]}
               for side, rs in runs.items()}
        summary += summary_rows(w, med)
        sections += section(w, runs, med)
    command = "LUA=%s PYTHON=%s %s bench/run.py%s" % (
        LUA, PYTHON, PYTHON, "".join(" " + n for n in names))
    produced = "Produced by `make bench` (`%s`) on %s, in %d s, file " \
        "generation included." % (command, time.strftime(
            "%Y-%m-%d %H:%M UTC", time.gmtime()), time.time() - STARTED)
    report = "\n".join([
        "# Benchmark results", "", textwrap.fill(produced, 78), "",
        textwrap.fill(machine(), 78), "", HOW, "", "## Summary", "",
        "| workload | A / B | A (median) | B (median) | ratio | target | result |",
        "|---|---|---|---|---|---|---|"] + summary + [""] + sections + [HISTORY])
    print(report)
    if out:
        with open(out + ".new", "w") as f:
            f.write(report + "\n")
        os.replace(out + ".new", out)
        say("wrote " + out)


main()
