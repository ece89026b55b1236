"""bench/lines.py PATH: CPU seconds of counting the lines of PATH with
for l in iter(m.readline, b""), opening and mapping included (no
MAP_POPULATE), as bench/lines.lua does. Prints the seconds and the count."""
import mmap
import sys
import time


def main():
    n = 0
    t0 = time.process_time()
    with open(sys.argv[1], "rb") as f:
        m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    for _ in iter(m.readline, b""):
        n += 1
    m.close()
    t1 = time.process_time()
    print("%.6f %d" % (t1 - t0, n))


main()
