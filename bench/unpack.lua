-- bench/unpack.lua PATH WAY: CPU seconds of decoding the 10,000,000
-- little-endian int32 of PATH (40,000,000 bytes) and summing them.
-- WAY "method": s = s + mm:unpack("<i4", off)
-- WAY "cached": local unpack = mm.unpack; s = s + unpack(mm, "<i4", off)
-- WAY "string": s = s + string.unpack("<i4", data, off + 1), data = f:read("*a")
-- The map (MAP_POPULATE) or the string is made before the clock starts.
-- Prints the seconds and the sum.
package.cpath = "./?.so;" .. package.cpath
local mmap = require "mmap"
local path, way = arg[1], arg[2]
local f = assert(io.open(path, "rb"))
local s, t0, t1 = 0, nil, nil
if way == "string" then
  local data = f:read("*a")
  local n = math.floor(#data / 4)
  local sunpack = string.unpack
  t0 = os.clock()
  for off = 0, 4 * n - 4, 4 do
    s = s + sunpack("<i4", data, off + 1)
  end
  t1 = os.clock()
else
  -- MAP_SHARED | MAP_POPULATE, written with + (distinct bits) so that this
  -- file parses on Lua 5.1 too
  local mm = assert(mmap.mmap(f, 0, mmap.MAP_SHARED + mmap.MAP_POPULATE,
                              mmap.PROT_READ))
  local n = math.floor(#mm / 4)
  if way == "method" then
    t0 = os.clock()
    for off = 0, 4 * n - 4, 4 do
      s = s + mm:unpack("<i4", off)
    end
    t1 = os.clock()
  elseif way == "cached" then
    local unpack = mm.unpack
    t0 = os.clock()
    for off = 0, 4 * n - 4, 4 do
      s = s + unpack(mm, "<i4", off)
    end
    t1 = os.clock()
  else
    error("WAY is method, cached or string")
  end
  mm:close()
end
f:close()
print(string.format("%.6f %.0f", t1 - t0, s))
