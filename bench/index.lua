-- bench/index.lua PATH: CPU seconds of 10,000,000 reads s = s + mm[i] at
-- pseudo-random offsets of a 1 GiB map. The offsets come from the LCG of
-- bench/index.py (same parameters, so the same sequence), computed inline;
-- the map (MAP_POPULATE) is made before the clock starts.
package.cpath = "./?.so;" .. package.cpath
local mmap = require "mmap"
local N = 10000000
local f = assert(io.open(arg[1], "rb"))
local mm = assert(mmap.mmap(f, 0, mmap.MAP_SHARED | mmap.MAP_POPULATE,
                            mmap.PROT_READ))
f:close()
assert(#mm == 1 << 30, "the map must be 1 GiB: offsets are x >> 2")
local s, x = 0, 12345
local t0 = os.clock()
for _ = 1, N do
  x = (x * 1664525 + 1013904223) & 0xFFFFFFFF
  s = s + mm[x >> 2]
end
local t1 = os.clock()
print(string.format("%.6f", t1 - t0))
io.stderr:write("checksum ", s, "\n")
mm:close()
