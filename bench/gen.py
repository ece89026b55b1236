"""bench/gen.py DIR [FILE...]: write the benchmark's input files (all of them,
or the FILEs named) into DIR, for bench/run.py.

  log.txt    exactly 1 GiB of access-log lines, as a 4 MiB block of distinct
             lines repeated: 2026-11-25T21:16:55 INFO  request id=12345
             status=200 bytes=5120 path=/a/b
  log256.txt the first 256 MiB of log.txt
  lines.txt  10,000,000 lines of 20 to 40 bytes ("\n" included)
  ints.bin   10,000,000 little-endian int32, 40,000,000 bytes

Fixed seeds: every run writes the same bytes. Neither "~" nor
"status=999 bytes" occurs in log.txt (the absent needles of bench/find.*).
Standard library only.
"""
import os
import random
import sys

LOG_SIZE = 1 << 30
BLOCK = 1 << 22
LINES = 10_000_000
LINE_BLOCK = 100_000
INTS = 10_000_000


def log_block(rng):
    levels = ["INFO ", "INFO ", "INFO ", "WARN ", "ERROR", "DEBUG"]
    statuses = [200] * 12 + [201, 204, 301, 304, 400, 403, 404, 404, 500,
                             502, 503]
    paths = ["/", "/a/b", "/api/v1/users", "/api/v1/orders/42",
             "/static/app.js", "/login", "/healthz", "/img/logo.png",
             "/search?q=lua", "/a/b/c/d"]
    parts, size, sec = [], 0, 0
    while True:
        sec += rng.randrange(0, 3)
        line = ("2026-11-%02dT%02d:%02d:%02d %s request id=%d status=%d "
                "bytes=%d path=%s\n" % (
                    25 + sec // 86400 % 5, sec // 3600 % 24, sec // 60 % 60,
                    sec % 60, rng.choice(levels), rng.randrange(1, 100000),
                    rng.choice(statuses), rng.randrange(0, 65536),
                    rng.choice(paths)))
        if size + len(line) > BLOCK - 100:
            break
        parts.append(line)
        size += len(line)
    head = "2026-11-30T00:00:00 DEBUG "  # pads the block to BLOCK bytes
    parts.append(head + "." * (BLOCK - size - len(head) - 1) + "\n")
    block = "".join(parts).encode()
    assert len(block) == BLOCK and b"~" not in block
    assert b"status=999 bytes" not in block
    return block


def line_block(rng):
    letters = "abcdefghijklmnopqrstuvwxyz"
    out = []
    for i in range(LINE_BLOCK):
        n = rng.randrange(20, 41)            # bytes, "\n" included
        head = "%d " % i
        out.append(head + "".join(rng.choice(letters)
                                  for _ in range(n - len(head) - 1)) + "\n")
    return "".join(out).encode()


def write(path, block, times):
    with open(path, "wb") as f:
        for _ in range(times):
            f.write(block)
        f.flush()
        os.fsync(f.fileno())  # no writeback running under the timings


def main():
    where, names = sys.argv[1], sys.argv[2:]
    # Every block is drawn, in this order, even for files not written, so
    # that a file has the same bytes whichever others are asked for.
    rng = random.Random(20261125)
    log = log_block(rng)
    files = {"log.txt": (log, LOG_SIZE // BLOCK),
             "log256.txt": (log, (LOG_SIZE // 4) // BLOCK),
             "lines.txt": (line_block(rng), LINES // LINE_BLOCK),
             "ints.bin": (rng.randbytes(4 * INTS), 1)}
    for name in names or files:
        if name not in files:
            sys.exit("gen.py: no file %s (%s)" % (name, " ".join(files)))
        block, times = files[name]
        write(os.path.join(where, name), block, times)


main()
