-- bench/index.lua PATH: CPU seconds of 10,000,000 reads s = s + mm[i] at
-- pseudo-random offsets of a 1 GiB map. The offsets come from the LCG of
-- bench/index.py (same parameters, so the same sequence), computed inline;
-- the map (MAP_POPULATE) is made before the clock starts. Prints the
-- seconds and the checksum (the sum of the bytes read).
package.cpath = "./?.so;" .. package.cpath
local mmap = require "mmap"
local N = 10000000
local f = assert(io.open(arg[1], "rb"))
-- MAP_SHARED | MAP_POPULATE, written with + (distinct bits) so that this
-- file parses on Lua 5.1 too
local mm = assert(mmap.mmap(f, 0, mmap.MAP_SHARED + mmap.MAP_POPULATE,
                            mmap.PROT_READ))
f:close()
assert(#mm == 2^30, "the map must be 1 GiB: offsets are x >> 2")
-- The loop, compiled from source so that this file parses on Lua 5.1: with
-- the integer operators where Lua has them (5.3+, the timed case), else the
-- same sequence in double arithmetic (exact: x * 1664525 stays below 2^53).
local loop = assert((loadstring or load)(math.type and [[
  local mm, N, s, x = ...
  for _ = 1, N do
    x = (x * 1664525 + 1013904223) & 0xFFFFFFFF
    s = s + mm[x >> 2]
  end
  return s]] or [[
  local mm, N, s, x = ...
  local floor = math.floor
  for _ = 1, N do
    x = (x * 1664525 + 1013904223) % 4294967296
    s = s + mm[floor(x / 4)]
  end
  return s]]))
local t0 = os.clock()
local s = loop(mm, N, 0, 12345)
local t1 = os.clock()
print(string.format("%.6f %.0f", t1 - t0, s))
mm:close()
