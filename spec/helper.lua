-- Shared helpers for the specs: temporary files, error matching, descriptor
-- counting. Every spec does `local H = require "helper"`.
local H = {}

H.LUA = os.getenv("LUA") or "lua5.4"
H.VALGRIND = os.getenv("MMAP_UNDER_VALGRIND") ~= nil

local made = {}

-- A fresh temporary path holding `content` (a string; "" for an empty file).
function H.tmpfile(content)
  local path = os.tmpname()
  local f = assert(io.open(path, "wb"))
  assert(f:write(content or ""))
  f:close()
  made[#made + 1] = path
  return path
end

-- The whole content of a file, read through Lua's io (not through a map).
function H.slurp(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

-- Size of a file in bytes, by seeking to its end.
function H.filesize(path)
  local f = assert(io.open(path, "rb"))
  local n = f:seek("end")
  f:close()
  return n
end

-- Truncate or extend a file through a separate handle (not through the map).
function H.truncate(path, size)
  local cur = H.slurp(path)
  local f = assert(io.open(path, "wb"))
  if size <= #cur then
    f:write(cur:sub(1, size))
  else
    f:write(cur, string.rep("\0", size - #cur))
  end
  f:close()
end

-- Remove every file made by H.tmpfile (call from an after_each / teardown).
function H.cleanup()
  for i = #made, 1, -1 do
    os.remove(made[i])
    made[i] = nil
  end
end

-- Assert that fn(...) raises an error whose message contains `text` (plain).
function H.raises(text, fn, ...)
  local ok, err = pcall(fn, ...)
  assert(not ok, "expected an error containing '" .. text .. "', got success")
  err = tostring(err)
  assert(err:find(text, 1, true),
    "expected an error containing '" .. text .. "', got '" .. err .. "'")
  return err
end

-- Assert the `nil, message, errno` triple of an OS failure.
function H.oserror(errno, ...)
  local v, msg, code = ...
  assert(v == nil, "expected nil, got " .. tostring(v))
  assert(type(msg) == "string" and #msg > 0, "expected a message, got " .. tostring(msg))
  assert(math.type(code) == "integer", "expected an errno, got " .. tostring(code))
  if errno then
    assert(code == errno, ("expected errno %d, got %d (%s)"):format(errno, code, msg))
  end
  return msg, code
end

-- errno values on Linux (the specs run there).
H.EBADF, H.EACCES, H.EINVAL, H.ENODEV, H.ENOMEM, H.ENOENT, H.EFBIG =
  9, 13, 22, 19, 12, 2, 27

-- The pid of this Lua process (from /proc/self/stat, read by this process).
function H.pid()
  local f = assert(io.open("/proc/self/stat", "r"))
  local pid = f:read("n")
  f:close()
  return pid
end

-- How many descriptors this process holds open right now. Each probe opens
-- (and closes) one descriptor of its own, which adds the same one to every
-- count; no child process is involved, so nothing races with the count.
function H.fdcount()
  local n = 0
  for fd = 0, 1023 do
    local f = io.open("/proc/self/fdinfo/" .. fd, "r")
    if f then
      n = n + 1
      f:close()
    end
  end
  return n
end

-- Run a Lua chunk in a second interpreter process that can require "mmap";
-- returns everything it printed. `prefix` is shell text run before it (a
-- ulimit, say).
function H.child(code, prefix)
  local chunk = 'package.cpath="./?.so;"..package.cpath ' .. code
  local cmd = H.LUA .. " -e '" .. chunk:gsub("'", "'\\''") .. "'"
  local p = assert(io.popen((prefix or "") .. cmd .. " 2>&1"))
  local out = p:read("a")
  p:close()
  return out
end

return H
