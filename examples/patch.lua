-- patch.lua: change a file in place through a writable map.
--
-- Shows: mmap.open(path, "r+"), the three ways to write (mm[i] = byte,
-- setslice, write at the position), growing the file with resize, and
-- flush; then reads the file back through plain io to show that the bytes
-- are in the file.
--
-- Run from the repository root (it modifies FILE, so use a copy):
--   lua5.4 examples/patch.lua FILE    (or lua5.1, lua5.2, lua5.3, luajit)
package.cpath = "./?.so;" .. package.cpath
local mmap = require "mmap"

local path = arg[1]
if not path then
  io.stderr:write("usage: lua examples/patch.lua FILE\n")
  os.exit(2)
end

do
  -- "r+": read-write, shared with the file. Fails on an empty file.
  local mm = assert(mmap.open(path, "r+"))

  -- 1. setslice: replace the first word with stars. The replacement must
  --    have exactly as many bytes as the range it replaces.
  local eol = mm:find("\n", 0) or #mm
  local word = mm:slice(0, eol):match("^%S+")
  if word then
    mm:setslice(0, #word, ("*"):rep(#word))
    print(("replaced the first word %q with stars"):format(word))
  end

  -- 2. mm[i] = byte: capitalise the first letter of every line.
  local i = 0
  while i and i < #mm do
    local b = mm[i]
    if b >= 97 and b <= 122 then          -- "a" .. "z"
      mm[i] = b - 32
    end
    local nl = mm:find("\n", i)
    i = nl and nl + 1
  end
  print("capitalised the first letter of every line")

  -- 3. write: a map never grows by itself, so make room with resize
  --    (this also extends the file), then write at the old end.
  local tail = "(patched through a map)\n"
  local old = #mm
  if mm:slice(-1) ~= "\n" then tail = "\n" .. tail end
  assert(mm:resize(old + #tail))
  mm:seek(old)
  mm:write(tail)
  print(("appended %d bytes; the map and the file are now %d bytes"):format(#tail, #mm))

  -- Other processes see the bytes at once; flush() makes sure they are on
  -- disk. It returns true, or nil, message, errno.
  assert(mm:flush())

  -- Unmap (on Lua 5.4, `local mm <close> = ...` does it at the `end`).
  mm:close()
end

print("the file now reads:")
local f = assert(io.open(path, "rb"))
io.write(f:read("*a"))
f:close()
