-- bench/read.lua PATH: CPU seconds of mm:read(4096) from the start of the
-- file to its end (the map, MAP_POPULATE, is made before the clock starts).
-- (MMAP_CPATH: another build, as the Lua 5.5 side gives build/5.5's)
package.cpath = (os.getenv("MMAP_CPATH") or "./?.so;") .. package.cpath
local mmap = require "mmap"
local f = assert(io.open(arg[1], "rb"))
-- MAP_SHARED | MAP_POPULATE, written with + (distinct bits) so that this
-- file parses on Lua 5.1 too
local mm = assert(mmap.mmap(f, 0, mmap.MAP_SHARED + mmap.MAP_POPULATE,
                            mmap.PROT_READ))
f:close()
local n = 0
local t0 = os.clock()
while true do
  local s = mm:read(4096)
  if s == nil then break end
  n = n + #s
end
local t1 = os.clock()
assert(n == #mm)
print(string.format("%.6f", t1 - t0))
mm:close()
