# (b) mm[i]: 10 M random one-byte reads, against Python's m[i].
tag = "(b)"
title = "10,000,000 random `mm[i]` reads over a 1 GiB map"
data = ["log.txt"]
rounds = 5
columns = ["s", "checksum"]  # what each side prints
same = "checksum"            # every run must read the same bytes
sides = [
    ("lua", "Lua `s = s + mm[i]`", "LUA bench/index.lua log.txt"),
    ("py", "Python `s += m[i]`", "PYTHON bench/index.py log.txt"),
]
derived = {"ns per read": lambda r: r["s"] * 100}
ratios = [
    ("10 M random `mm[i]`, vs Python `m[i]`", "py / lua", ">= 1"),
]
how = """
`bench/index.lua` and `bench/index.py`, alternately, {rounds} rounds. Both
compute the same offsets inline with the same LCG (`x = (x * 1664525 +
1013904223) & 0xFFFFFFFF`, offset `x >> 2`, seed 12345; the run stops if the
checksums differ), so the time includes the LCG arithmetic and one interpreter
loop iteration per read, and the cache and TLB misses of 10 M random reads
over 1 GiB. The map (`MAP_POPULATE`) is made before the clock starts.
"""
findings = """
Findings. Each `mm[i]` is a call of the C metamethod `m_index` (src/mmap.c):
the type check against the metatable upvalue, the integer check, and the
guarded read of one byte (`mm_getbyte`, about 5 ns of guard); Python's `m[i]`
is a C slot call with no lookup. The reads themselves miss the caches and the
TLB on both sides. Checking the map against the metatable held as an upvalue
rather than with `luaL_checkudata` (applied) gave 3%.
"""
