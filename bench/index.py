"""bench/index.py PATH: CPU seconds of 10,000,000 reads s += m[i] at
pseudo-random offsets of a 1 GiB map, from the LCG of bench/index.lua (same
parameters, same sequence) computed inline; the map (MAP_POPULATE) is made
before the clock starts. Prints the seconds and the checksum."""
import mmap
import sys
import time

N = 10_000_000


def main():
    with open(sys.argv[1], "rb") as f:
        m = mmap.mmap(f.fileno(), 0,
                      flags=mmap.MAP_SHARED | mmap.MAP_POPULATE,
                      prot=mmap.PROT_READ)
    assert len(m) == 1 << 30, "the map must be 1 GiB: offsets are x >> 2"
    s, x = 0, 12345
    t0 = time.process_time()
    for _ in range(N):
        x = (x * 1664525 + 1013904223) & 0xFFFFFFFF
        s += m[x >> 2]
    t1 = time.process_time()
    print("%.6f %d" % (t1 - t0, s))
    m.close()


main()
