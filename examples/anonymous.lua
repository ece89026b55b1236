-- anonymous.lua: anonymous memory as a growable scratch buffer.
--
-- Shows: mmap.mmap(-1, n, options) for memory backed by no file, write,
-- seek, read, indexing, and resize. The map is private (MAP_PRIVATE): a
-- shared anonymous map (the default for -1) cannot grow on Linux.
--
-- Run from the repository root:
--   lua5.4 examples/anonymous.lua    (or lua5.1, lua5.2, lua5.3, luajit)
package.cpath = "./?.so;" .. package.cpath
local mmap = require "mmap"

local buf = mmap.mmap(-1, 16, { flags = mmap.MAP_PRIVATE })
print(tostring(buf))

-- A fresh anonymous map holds zero bytes.
print("buf[0] =", buf[0], "#buf =", #buf)

-- write advances the position and returns the byte count.
print("wrote", buf:write("hello, "), "bytes; position", buf:tell())
print("wrote", buf:write("world"), "bytes; position", buf:tell())

-- Reading starts at the position: go back first.
buf:seek(0)
print(("read(5) = %q"):format(buf:read(5)))
print(("read(2) = %q"):format(buf:read(2)))
print(("slice(7, 12) = %q (slice ignores the position)"):format(buf:slice(7, 12)))

-- Out of room: a write that does not fit raises, and writes nothing.
buf:seek(0, "end")
print("write past the end:", pcall(buf.write, buf, "!"))

-- resize keeps the content; the new bytes are zero.
assert(buf:resize(32))
print("after resize(32): #buf =", #buf, "size() =", buf:size(), "buf[31] =", buf[31])
buf:write("! and more")
buf:seek(0)
print(("read() = %q"):format(buf:read()))

-- Searching: find starts at the position unless given a start.
print("find('world') from the end:", buf:find("world"))
print("find('world', 0):", buf:find("world", 0))

-- A shared anonymous map can shrink but not grow.
local shared = mmap.mmap(-1, 16)
print("shared resize(32):", pcall(shared.resize, shared, 32))
shared:close()

-- close() unmaps at once (on Lua 5.4, `local buf <close> = ...` does it
-- when buf goes out of scope); the collector would do it later anyway.
buf:close()
