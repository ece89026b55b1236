-- bench/find.lua PATH NEEDLE: CPU seconds of one mm:find(NEEDLE, 0) over the
-- whole file. The map (MAP_POPULATE: page tables filled) is made before the
-- clock starts, as in bench/find.py and bench/memsearch.c. NEEDLE is absent.
package.cpath = "./?.so;" .. package.cpath
local mmap = require "mmap"
local path, needle = arg[1], arg[2]
local f = assert(io.open(path, "rb"))
-- MAP_SHARED | MAP_POPULATE, written with + (distinct bits) so that this
-- file parses on Lua 5.1 too
local mm = assert(mmap.mmap(f, 0, mmap.MAP_SHARED + mmap.MAP_POPULATE,
                            mmap.PROT_READ))
f:close()
local t0 = os.clock()
local at = mm:find(needle, 0)
local t1 = os.clock()
assert(at == nil, "the needle is present")
print(string.format("%.6f", t1 - t0))
mm:close()
