-- bench/lines.lua PATH WAY: CPU seconds of counting the lines of PATH,
-- opening (and mapping) included. WAY "mmap": for l in mm:lines() (the map
-- made inside the clock, no MAP_POPULATE); WAY "io": for l in io.lines(PATH).
-- Prints the seconds and the number of lines.
package.cpath = "./?.so;" .. package.cpath
local mmap = require "mmap"
local path, way = arg[1], arg[2]
local n = 0
local t0 = os.clock()
if way == "mmap" then
  local mm = assert(mmap.open(path))
  for _ in mm:lines() do n = n + 1 end
  mm:close()
elseif way == "io" then
  for _ in io.lines(path) do n = n + 1 end
else
  error("WAY is mmap or io")
end
local t1 = os.clock()
print(string.format("%.6f %d", t1 - t0, n))
