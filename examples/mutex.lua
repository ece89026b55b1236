-- mutex.lua: a lock shared by processes, made of atomic_cas, wait and notify.
--
-- Shows: several processes opening one file (create-or-open), a mutex kept
-- in a 4-byte word of the map, and a value that is not atomic to change (an
-- 8-byte mm:unpack + mm:pack) changed safely under that lock. Run as a
-- script, it starts 4 worker processes (the same interpreter, this same
-- file) that each add 1 to the value 10,000 times under the lock, and
-- checks the total. Required as a module (require "mutex", with examples/
-- on package.path), it returns the Mutex class:
--
--   local Mutex = require "mutex"
--   local lock = Mutex.new(mm, 0)      -- the word at offset 0 (4 bytes)
--   lock:lock()  ... critical section ...  lock:unlock()
--
-- Run from the repository root:
--   lua5.4 examples/mutex.lua    (or lua5.1, lua5.2, lua5.3, luajit)

--[[ The lock word: 0 free, 1 held, 2 held and perhaps wanted by a
sleeping process. Taking a free lock is one atomic_cas (0 -> 1), giving
back an uncontended one one atomic_sub: no system call either way. A
process that finds it held marks it 2 and sleeps in wait() until the word
changes; the holder that finds 2 when it lets go knows to notify() one
sleeper. (The design is the third mutex of Ulrich Drepper's paper "Futexes
Are Tricky".) All the word's operations use format "i4", the 4 bytes that
wait and notify look at. ]]
local Mutex = {}
Mutex.__index = Mutex

-- A lock in the 4-byte word at `offset` (a multiple of 4) of map `mm`,
-- which must start out 0, as a fresh file's bytes are.
function Mutex.new(mm, offset)
  return setmetatable({ mm = mm, offset = offset or 0 }, Mutex)
end

function Mutex:lock()
  local mm, at = self.mm, self.offset
  local c = mm:atomic_cas(at, 0, 1, "i4")
  if c == 0 then return end                  -- it was free: ours now
  if c ~= 2 then c = mm:atomic_exchange(at, 2, "i4") end
  while c ~= 0 do                            -- held: sleep while it stays 2
    mm:wait(at, 2)
    c = mm:atomic_exchange(at, 2, "i4")      -- 0 before: ours (marked 2)
  end
end

function Mutex:unlock()
  local mm, at = self.mm, self.offset
  if mm:atomic_sub(at, 1, "i4") ~= 1 then    -- it was 2: someone may sleep
    mm:atomic_store(at, 0, "i4")
    mm:notify(at, 1)
  end
end

-- Run fn() holding the lock; the lock is given back even if fn raises.
function Mutex:with(fn, ...)
  self:lock()
  local ok, err = pcall(fn, ...)
  self:unlock()
  if not ok then error(err, 0) end
end

if (...) ~= nil and (...) ~= "worker" then  -- required: ... is its name
  return Mutex
end

package.cpath = "./?.so;" .. package.cpath
local mmap = require "mmap"
local SIZE = 16  -- the lock word at 0, the counter ("j") at 8

-- One process's share: n locked increments of the counter.
local function work(path, n)
  -- "r+" with a length: opens the file and extends it with zero bytes if
  -- it is shorter (never truncates), so that any process may come first.
  local mm = assert(mmap.open(path, "r+", SIZE))
  local lock = Mutex.new(mm, 0)
  for _ = 1, n do
    lock:lock()
    mm:pack("j", 8, mm:unpack("j", 8) + 1)   -- not atomic: the lock makes it so
    lock:unlock()
  end
  mm:close()
end

if (...) == "worker" then
  local _, path, n = ...
  work(path, tonumber(n))
  return
end

-- The demo: a file in /dev/shm (memory, Linux) when there is one, else a
-- temporary file; every byte starts 0, so the lock starts free.
local PROCESSES, EACH = 4, 10000
local path = os.tmpname()                     -- a fresh, unique name
local shm = io.open("/dev/shm/.")             -- a directory opens; reads fail
if shm then
  shm:close()
  os.remove(path)
  path = "/dev/shm/" .. path:match("[^/]+$")
end
local mm = assert(mmap.open(path, "w+", SIZE))

local lua, script = arg[-1] or "lua5.4", arg[0]
local children = {}
for i = 1, PROCESSES do
  children[i] = assert(io.popen(("%s %s worker %s %d")
    :format(lua, script, path, EACH)))
end
for i = 1, PROCESSES do
  io.write(children[i]:read("*a"))                 -- waits for the child
  children[i]:close()
end

local total = mm:unpack("j", 8)
print(("%d processes x %d locked increments: total %d (expected %d)")
      :format(PROCESSES, EACH, total, PROCESSES * EACH))
mm:close()
os.remove(path)
if total ~= PROCESSES * EACH then os.exit(1) end
