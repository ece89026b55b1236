"""bench/unpack.py PATH: CPU seconds of decoding the 10,000,000 little-endian
int32 of PATH with s += struct.unpack_from("<i", m, off)[0] on the map
(MAP_POPULATE, made before the clock starts), as bench/unpack.lua does.
Prints the seconds and the sum."""
import mmap
import struct
import sys
import time


def main():
    with open(sys.argv[1], "rb") as f:
        m = mmap.mmap(f.fileno(), 0,
                      flags=mmap.MAP_SHARED | mmap.MAP_POPULATE,
                      prot=mmap.PROT_READ)
    s = 0
    t0 = time.process_time()
    for off in range(0, len(m) // 4 * 4, 4):
        s += struct.unpack_from("<i", m, off)[0]
    t1 = time.process_time()
    print("%.6f %d" % (t1 - t0, s))
    m.close()


main()
