-- shared.lua: two processes talking through one mapped file.
--
-- Shows: that a MAP_SHARED map (mmap.open mode "r+") sees what another
-- process writes through its own map of the same file, at once and without
-- any flush, and the other way round. The script maps a small file, writes
-- to it, and starts a second Lua process (the same interpreter, through
-- io.popen) which reads that message through its own map and writes an
-- answer; the first process then reads the answer through the map it
-- already had.
--
-- Run from the repository root:
--   lua5.4 examples/shared.lua    (or lua5.1, lua5.2, lua5.3, luajit)
package.cpath = "./?.so;" .. package.cpath
local mmap = require "mmap"

local path = os.tmpname()
local mm = assert(mmap.open(path, "w+", 64))   -- 64 zero bytes, read-write

mm:write("ping from the first process")
print(("first:  wrote %q"):format(mm:slice(0, mm:tell())))

-- The child: the same interpreter that runs this script (arg[-1]).
local lua = arg[-1] or "lua5.4"
local child = ([[
package.cpath = "./?.so;" .. package.cpath
local mmap = require "mmap"
local mm = assert(mmap.open(%q, "r+"))
local msg = mm:slice(0, (mm:find("\0", 0) or #mm))
print(("second: read  %%q through its own map"):format(msg))
mm:setslice(0, #mm, ("\0"):rep(#mm))
mm:write("pong from the second process")
print("second: wrote an answer")
mm:close()
]]):format(path)
local p = assert(io.popen(lua .. " -e '" .. child:gsub("'", "'\\''") .. "'"))
io.write(p:read("*a"))
p:close()                                      -- waits for the child

-- Same map as before: no re-open, no re-read, no flush needed.
print(("first:  now reads %q"):format(mm:slice(0, (mm:find("\0", 0) or #mm))))

mm:close()
os.remove(path)
