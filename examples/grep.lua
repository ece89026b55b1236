-- grep.lua: print where a word occurs in a file, using a read-only map.
--
-- Shows: mmap.open (read-only by default), reading a header with readline()
-- and read(n), and find() in a loop. Offsets are 0-based, find() returns nil
-- when there is no further match, and find() starts at the map's current
-- position unless you give a start, so this script always passes one.
--
-- Run from the repository root:
--   lua5.4 examples/grep.lua FILE WORD    (or lua5.1, lua5.2, lua5.3, luajit)
package.cpath = "./?.so;" .. package.cpath
local mmap = require "mmap"

local path, word = arg[1], arg[2]
if not path or not word or word == "" then
  io.stderr:write("usage: lua examples/grep.lua FILE WORD\n")
  os.exit(2)
end

-- An empty file cannot be mapped (mmap.open raises "cannot mmap an empty
-- file"), so look at the size first.
local f, err = io.open(path, "rb")
if not f then
  io.stderr:write(err, "\n")
  os.exit(1)
end
local size = f:seek("end")
f:close()
if size == 0 then
  print(path .. " is empty")
  os.exit(1)
end

-- On failure mmap.open returns nil, "PATH: message", errno, like io.open.
local mm = assert(mmap.open(path))
print(("%s: %d bytes mapped"):format(path, #mm))

-- Show a string on one line, with its newlines as \n.
local function show(s)
  return '"' .. s:gsub("\n", "\\n") .. '"'
end

-- The header: the first line (with its "\n"), then the first 16 bytes again
-- with read(n). Both advance the position; at the end they return nil.
print("first line: " .. show(mm:readline()))
mm:seek(0)
print("first 16 bytes: " .. show(mm:read(16)))

-- Every occurrence. `line` counts the newlines seen before the match.
local count, line, counted_to = 0, 1, 0
local at = mm:find(word, 0)
while at do
  local nl = mm:find("\n", counted_to, at)
  while nl do
    line = line + 1
    nl = mm:find("\n", nl + 1, at)
  end
  counted_to = at
  local first = (mm:rfind("\n", 0, at) or -1) + 1  -- start of this line
  local last = mm:find("\n", at) or #mm            -- its newline, or the end
  print(("offset %d, line %d: %s"):format(at, line, mm:slice(first, last)))
  count = count + 1
  at = mm:find(word, at + 1)
end
print(("%d match%s of %q"):format(count, count == 1 and "" or "es", word))

-- Unmap the file (on Lua 5.4, `local mm <close> = ...` would do it at exit).
mm:close()
