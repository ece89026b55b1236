-- bench/gmatch.lua PATH WAY: a field scan of a log file, counting each
-- status=NNN, end to end: opening and mapping, or opening and loading, are
-- inside the clock.
-- WAY "mmap":   for st in mm:gmatch("status=(%d+)")  (mapped, no copy)
-- WAY "string": for st in s:gmatch("status=(%d+)")   (s = f:read("*a"))
-- WAY "window": the mmap way, 64 MiB at a time, each window's pages given
--               back with mm:madvise(mmap.MADV_DONTNEED) once scanned (an
--               idiom that bounds the peak RSS of a read-only map)
-- Prints: CPU seconds, peak RSS (VmHWM) in MiB, the file-backed RSS at the
-- end (RssFile, the map's page-cache pages still mapped) in MiB, and the
-- number of matches.
package.cpath = "./?.so;" .. package.cpath
local mmap = require "mmap"
local path, way = arg[1], arg[2]
local PAT = "status=(%d+)"
local count = {}

local function status ()
  local f = assert(io.open("/proc/self/status"))
  local s = f:read("*a")
  f:close()
  return tonumber(s:match("VmHWM:%s*(%d+)")),
         tonumber(s:match("RssFile:%s*(%d+)"))
end

local t0 = os.clock()
local keep  -- the subject stays alive to the end, as a program would keep it
if way == "mmap" then
  local mm = assert(mmap.open(path))
  for st in mm:gmatch(PAT) do count[st] = (count[st] or 0) + 1 end
  keep = mm
elseif way == "window" then
  local mm = assert(mmap.open(path))
  local W = 64 * 1024 * 1024
  for a = 0, #mm - 1, W do
    local b = a + W  -- matches that start in [a, b); they may end after b
    for at, st in mm:gmatch("()status=(%d+)", a, b + 64) do
      if at >= b then break end
      count[st] = (count[st] or 0) + 1
    end
    assert(mm:madvise(mmap.MADV_DONTNEED, a, W))
  end
  keep = mm
elseif way == "string" then
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  for st in s:gmatch(PAT) do count[st] = (count[st] or 0) + 1 end
  keep = s
else
  error("WAY is mmap, window or string")
end
local t1 = os.clock()
local hwm, file = status()
local n = 0
for _, c in pairs(count) do n = n + c end
print(string.format("%.6f %.1f %.1f %d", t1 - t0, hwm / 1024, file / 1024, n))
assert(keep ~= nil)
