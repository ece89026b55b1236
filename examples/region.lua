-- region.lua: map one aligned region of a larger file.
--
-- Shows: the length and offset arguments of mmap.open, that the offset
-- must be a multiple of mmap.ALLOCATIONGRANULARITY (the page size on Linux,
-- 64 KiB on Windows), and that every offset inside the map (indexing,
-- find, seek) is relative to the start of the region, not of the file.
--
-- Run from the repository root:
--   lua5.4 examples/region.lua FILE    (or lua5.1, lua5.2, lua5.3, luajit)
-- If FILE does not exist, a sample file of three regions is written there;
-- an existing file must be longer than one region.
package.cpath = "./?.so;" .. package.cpath
local mmap = require "mmap"

local path = arg[1]
if not path then
  io.stderr:write("usage: lua examples/region.lua FILE\n")
  os.exit(2)
end
local PAGE = mmap.ALLOCATIONGRANULARITY  -- one region

-- Show a string on one line, with its newlines as \n.
local function show(s)
  return '"' .. s:gsub("\n", "\\n") .. '"'
end

local f = io.open(path, "rb")
if f then
  f:close()
else
  -- Three regions; each starts with "region N" and is padded with dots.
  f = assert(io.open(path, "wb"))
  for p = 0, 2 do
    local head = ("region %d\n"):format(p)
    f:write(head, ("."):rep(PAGE - #head - 1), "\n")
  end
  f:close()
  print(("wrote a sample file of 3 regions of %d bytes to %s"):format(PAGE, path))
end

f = assert(io.open(path, "rb"))
local size = f:seek("end")
if size <= PAGE then
  io.stderr:write(("%s has %d bytes; it needs more than %d\n"):format(path, size, PAGE))
  os.exit(1)
end

-- Map the second region: length PAGE (or less at the end of the file),
-- starting at file offset PAGE.
local length = math.min(PAGE, size - PAGE)
local mm = assert(mmap.open(path, "r", length, PAGE))
print(tostring(mm))
print(("#mm = %d, but mm:size() = %d (the whole file)"):format(#mm, mm:size()))

-- mm[0] is the file's byte at offset PAGE.
f:seek("set", PAGE)
print(("mm[0] = %d, byte %d of the file = %d"):format(mm[0], PAGE, f:read(1):byte()))
print("first line of the region: " .. show(mm:readline()))

-- find returns region offsets; add the map's offset for a file offset.
local k = mm:find("\n", 0)
if k then
  f:seek("set", PAGE + k)
  print(("first newline at region offset %d = file offset %d (io reads %s there)")
    :format(k, PAGE + k, show(f:read(1))))
end
-- Bytes before the region are not in the map: the region is all there is.
print(("mm[-1] is the region's last byte, file offset %d"):format(PAGE + #mm - 1))
print("mm[#mm] raises:", select(2, pcall(function() return mm[#mm] end)))
f:close()
mm:close()   -- on Lua 5.4, `local mm <close> = ...` would do it at exit

-- An offset that is not a multiple of ALLOCATIONGRANULARITY is refused by
-- the system: nil, "PATH: Invalid argument", 22 on Linux.
print("offset 100:", mmap.open(path, "r", 10, 100))
