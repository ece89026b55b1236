-- bench/atomic.lua WAY N: CPU seconds of N increments of one 8-byte counter
-- by one process, uncontended.
-- WAY "atomic": mm:atomic_add(0, 1)
-- WAY "pair":   mm:pack("j", 0, mm:unpack("j", 0) + 1)   (not atomic)
-- WAY "string": s = string.pack("j", string.unpack("j", s) + 1), s a string
-- The map (8 bytes of anonymous memory) is made before the clock starts.
-- Prints the seconds and the final count.
package.cpath = "./?.so;" .. package.cpath
local mmap = require "mmap"
local way, n = arg[1], tonumber(arg[2])
local t0, t1, count
if way == "string" then
  local spack, sunpack = string.pack, string.unpack
  local s = spack("j", 0)
  t0 = os.clock()
  for _ = 1, n do
    s = spack("j", sunpack("j", s) + 1)
  end
  t1 = os.clock()
  count = sunpack("j", s)
else
  local mm = assert(mmap.mmap(-1, 8))
  mm[0] = 0
  if way == "atomic" then
    t0 = os.clock()
    for _ = 1, n do
      mm:atomic_add(0, 1)
    end
    t1 = os.clock()
  elseif way == "pair" then
    t0 = os.clock()
    for _ = 1, n do
      mm:pack("j", 0, mm:unpack("j", 0) + 1)
    end
    t1 = os.clock()
  else
    error("WAY is atomic, pair or string")
  end
  count = mm:atomic_load(0)
  mm:close()
end
print(string.format("%.6f %d", t1 - t0, count))
