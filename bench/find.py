"""bench/find.py PATH NEEDLE: CPU seconds of one m.find(NEEDLE, 0) over the
whole file; the map (MAP_POPULATE) is made before the clock starts, as in
bench/find.lua and bench/memsearch.c. NEEDLE is absent."""
import mmap
import sys
import time

path, needle = sys.argv[1], sys.argv[2].encode()
with open(path, "rb") as f:
    m = mmap.mmap(f.fileno(), 0, flags=mmap.MAP_SHARED | mmap.MAP_POPULATE,
                  prot=mmap.PROT_READ)
t0 = time.process_time()
at = m.find(needle, 0)
t1 = time.process_time()
assert at == -1, "the needle is present"
print("%.6f" % (t1 - t0))
m.close()
