-- topointer() with LuaJIT's FFI (doc/mmap.md §12): the light userdata cast to
-- `uint8_t *` addresses the map's bytes, so bytes written through the map
-- read through the pointer and the other way round, and through a shared
-- file map they reach the file. The pointer is unchecked memory: it is
-- valid only while the map is open and not resized, and no bus-error guard
-- covers it, so these tests stay within the mapped, backed bytes.
-- On the other Luas there is no FFI: every test is pending.
local H = require "helper"
local mmap = require "mmap"

local ffi = H.JIT and require "ffi"
local test = H.JIT and it or function(name)
  pending(name .. " (needs LuaJIT's FFI)")
end

-- The map's bytes as a `uint8_t *`.
local function bytes(mm)
  return ffi.cast("uint8_t *", mm:topointer())
end

describe("topointer through LuaJIT's FFI", function()
  after_each(function() H.cleanup() end)

  test("reads the bytes written through the map, zeros and 255 included", function()
    local mm = H.anon("A\0\255z0123")
    local p = bytes(mm)
    assert.are.same({ 65, 0, 255, 122 }, { p[0], p[1], p[2], p[3] })
    for i = 0, #mm - 1 do
      assert.are.equal(mm[i], p[i], "byte " .. i)
    end
    assert.are.equal(H.all(mm), ffi.string(p, #mm))
    -- later writes through the map show through the same pointer
    mm[5] = 0x21
    mm:seek(6)
    mm:write("XY")
    assert.are.equal(0x21, p[5])
    assert.are.equal("A\0\255z0!XY", ffi.string(p, #mm))
  end)

  test("writes through the pointer are seen by mm[i], read and slice", function()
    local mm = H.anon(("."):rep(16))
    local p = bytes(mm)
    p[0] = 0x68          -- "h"
    p[15] = 255
    ffi.copy(p + 3, "i\0there", 7)
    assert.are.equal(0x68, mm[0])
    assert.are.equal(255, mm[15])
    assert.are.equal(255, mm[-1])
    assert.are.equal("h..i\0there", mm:read(10))
    assert.are.equal(10, mm:tell())
    assert.are.equal("i\0t", mm:slice(3, 6))
    assert.are.equal(3, mm:find("i\0there", 0))
  end)

  test("through a shared file map, pointer writes reach the file after flush", function()
    local mm, path = H.filemap("0123456789abcdef")
    local p = bytes(mm)
    assert.are.equal("0123456789abcdef", ffi.string(p, #mm))
    ffi.copy(p + 4, "FFI!", 4)
    p[15] = 0x5a         -- "Z"
    assert.are.equal("0123FFI!89abcdeZ", H.all(mm))
    assert.is_true(mm:flush())
    assert.are.equal("0123FFI!89abcdeZ", H.slurp(path))
  end)

  test("bytes written to the file by another handle show through the pointer", function()
    local mm, path = H.filemap("0123456789")
    local p = bytes(mm)
    local f = assert(io.open(path, "r+b"))
    assert(f:seek("set", 2))
    assert(f:write("io"))
    f:close()
    assert.are.equal("01io456789", ffi.string(p, #mm))
  end)

  test("through an ACCESS_COPY map, pointer writes stay out of the file", function()
    local mm, path = H.filemap("0123456789", "r+b", { access = mmap.ACCESS_COPY })
    local p = bytes(mm)
    ffi.copy(p, "copy", 4)
    assert.are.equal("copy456789", H.all(mm))
    assert.is_true(mm:flush())
    assert.are.equal("0123456789", H.slurp(path))
  end)

  test("a map at an offset points at its first byte, not the file's", function()
    local P = mmap.PAGESIZE
    local path = H.tmpfile(("a"):rep(P) .. "region" .. ("b"):rep(P - 6))
    local mm = H.keep(assert(mmap.open(path, "r", P, P)))
    local p = bytes(mm)
    assert.are.equal("region", ffi.string(p, 6))
    assert.are.equal(("b"):byte(), p[P - 1])
  end)

  test("after a resize, a fresh topointer addresses the content kept", function()
    local mm = H.keep(assert(mmap.mmap(-1, 16, { flags = mmap.MAP_PRIVATE })))
    mm:write("kept across it")
    assert.is_true(mm:resize(3 * mmap.PAGESIZE))
    local p = bytes(mm)   -- taken after the resize: the map may have moved
    assert.are.equal("kept across it", ffi.string(p, 14))
    p[3 * mmap.PAGESIZE - 1] = 7
    assert.are.equal(7, mm[-1])
  end)
end)
