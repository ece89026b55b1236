"""bench/read.py PATH: CPU seconds of m.read(4096) from the start of the file
to its end (the map, MAP_POPULATE, is made before the clock starts)."""
import mmap
import sys
import time


def main():
    with open(sys.argv[1], "rb") as f:
        m = mmap.mmap(f.fileno(), 0,
                      flags=mmap.MAP_SHARED | mmap.MAP_POPULATE,
                      prot=mmap.PROT_READ)
    n = 0
    t0 = time.process_time()
    while True:
        s = m.read(4096)
        if not s:
            break
        n += len(s)
    t1 = time.process_time()
    assert n == len(m)
    print("%.6f" % (t1 - t0))
    m.close()


main()
