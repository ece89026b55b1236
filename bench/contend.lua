-- bench/contend.lua WAY N: two processes each add 1 to one 8-byte counter
-- of a shared file map N times; prints the wall seconds of the longer of
-- the two (from the moment both are released together) and the final count.
-- WAY "atomic": mm:atomic_add(8, 1)
-- WAY "flock":  flock(2) LOCK_EX; mm:pack("j", 8, mm:unpack("j", 8) + 1);
--               LOCK_UN (bench/flock.so: Lua has no file locks of its own)
-- (Run by this same script as `bench/contend.lua WAY N worker PATH` for
-- each of the two processes.)
package.cpath = "./?.so;./bench/?.so;" .. package.cpath
local mmap = require "mmap"
local flock = require "flock"
local way, n, role, path = arg[1], tonumber(arg[2]), arg[3], arg[4]

-- The start barrier: word 0 counts the workers in, word 4 releases them.
if role == "worker" then
  local mm = assert(mmap.open(path, "r+"))
  local fd = flock.open(path)
  mm:atomic_add(0, 1, "i4")
  mm:notify(0)
  while mm:atomic_load(4, "i4") == 0 do mm:wait(4, 0) end
  local t0 = flock.now()
  if way == "atomic" then
    for _ = 1, n do
      mm:atomic_add(8, 1)
    end
  elseif way == "flock" then
    local lock, unlock = flock.lock, flock.unlock
    for _ = 1, n do
      lock(fd)
      mm:pack("j", 8, mm:unpack("j", 8) + 1)
      unlock(fd)
    end
  else
    error("WAY is atomic or flock")
  end
  print(string.format("%.6f", flock.now() - t0))
  mm:close()
  return
end

path = os.tmpname()
local mm = assert(mmap.open(path, "w+", 16))
local lua = arg[-1] or "lua5.4"
local workers = {}
for i = 1, 2 do
  workers[i] = assert(io.popen(("%s %s %s %d worker %s")
    :format(lua, arg[0], way, n, path)))
end
local seen = mm:atomic_load(0, "i4")
while seen < 2 do
  mm:wait(0, seen, 0.1)
  seen = mm:atomic_load(0, "i4")
end
mm:atomic_store(4, 1, "i4")
mm:notify(4)
local longest = 0
for i = 1, 2 do
  local s = tonumber(workers[i]:read("*a"))
  workers[i]:close()
  assert(s, "a worker failed")
  if s > longest then longest = s end
end
print(string.format("%.6f %d", longest, mm:atomic_load(8)))
mm:close()
os.remove(path)
