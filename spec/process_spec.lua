-- Two processes sharing a file: this one and a second one of the same Lua, run by H.child.
local H = require "helper"
local mmap = require "mmap"

-- Bytes as lowercase hex, so that binary data survives a pipe and shows
-- readably in a failure message.
local function hex(s)
  return (s:gsub(".", function(c) return ("%02x"):format(c:byte()) end))
end

-- Lua source for the child: a function `hex` like the one above.
local CHILD_HEX = 'local function hex(s) return (s:gsub(".", function(c) '
  .. 'return ("%02x"):format(c:byte()) end)) end '

-- Run `code` in the child with PATH bound to `path`; return its output.
local function child(path, code)
  return H.child("local PATH = " .. ("%q"):format(path) .. " " .. CHILD_HEX
    .. "local mmap = require 'mmap' " .. code)
end

local ORIGINAL = "0123456789abcdefghij"

describe("a file shared between two processes", function()
  local m
  after_each(function() H.cleanup(m); m = nil end)

  it("the child can load the module under test", function()
    local out = child(H.tmpfile("x"), "io.write(mmap.type(mmap.mmap(-1, 1)))")
    assert.are.equal("mmap", out)
  end)

  it("a child that maps the file sees the parent's unflushed writes", function()
    local path = H.tmpfile(ORIGINAL)
    m = assert(mmap.open(path, "r+"))
    local data = "hi\0\255\n there"
    assert.are.equal(#data, m:write(data))
    local out = child(path, [[
      local c = assert(mmap.open(PATH, "r"))
      io.write(hex(c:read()))
      c:close()
    ]])
    assert.are.equal(hex(data .. ORIGINAL:sub(#data + 1)), out)
  end)

  it("a child reading with plain io also sees the parent's unflushed writes", function()
    local path = H.tmpfile(ORIGINAL)
    m = assert(mmap.open(path, "r+"))
    m[5] = 0x41
    m:setslice(10, 12, "ZZ")
    local out = child(path, [[
      local f = assert(io.open(PATH, "rb"))
      io.write(hex(f:read("*a")))
      f:close()
    ]])
    assert.are.equal(hex("01234A6789ZZcdefghij"), out)
  end)

  it("a map made from a file handle is shared with the child too", function()
    local path = H.tmpfile(ORIGINAL)
    local f = assert(io.open(path, "r+b"))
    m = assert(mmap.mmap(f, 0))
    f:close()
    m:seek(3)
    m:write("SHARED")
    local out = child(path, [[
      local c = assert(mmap.open(PATH, "r"))
      io.write(c:slice(0, 12))
      c:close()
    ]])
    assert.are.equal("012SHARED9ab", out)
  end)

  it("the parent's existing map sees what a child wrote through its own map", function()
    local path = H.tmpfile(ORIGINAL)
    m = assert(mmap.open(path, "r+"))
    assert.are.equal(("0"):byte(), m[0]) -- the page is mapped and touched first
    local out = child(path, [[
      local c = assert(mmap.open(PATH, "r+"))
      c:seek(2)
      c:write("CHILD\0\1")
      c:close()
      io.write("done")
    ]])
    assert.are.equal("done", out)
    assert.are.equal("01CHILD\0\1" .. ORIGINAL:sub(10), m:read())
    assert.are.equal(("C"):byte(), m[2])
    assert.are.equal(2, m:find("CHILD", 0))
  end)

  it("the parent's map sees a child's write through a map from a file handle", function()
    local path = H.tmpfile(ORIGINAL)
    m = assert(mmap.open(path, "r"))
    local out = child(path, [[
      local f = assert(io.open(PATH, "r+b"))
      local c = assert(mmap.mmap(f, 0))
      c[19] = 0x21
      c:close()
      f:close()
      io.write("done")
    ]])
    assert.are.equal("done", out)
    assert.are.equal(0x21, m[-1])
    assert.are.equal(ORIGINAL:sub(1, 19) .. "!", m:slice())
  end)

  it("the parent's map sees a child's write through plain io", function()
    local path = H.tmpfile(ORIGINAL)
    m = assert(mmap.open(path, "r"))
    local out = child(path, [[
      local f = assert(io.open(PATH, "r+b"))
      f:seek("set", 4)
      f:write("io!")
      f:close()
      io.write("done")
    ]])
    assert.are.equal("done", out)
    assert.are.equal("0123io!789", m:slice(0, 10))
  end)

  it("after flush and close, a fresh io.open in a child reads exactly what was written", function()
    local path = H.tmpfile(ORIGINAL)
    m = assert(mmap.open(path, "r+"))
    local data = "\0\1\2 flushed \254\255"
    assert.are.equal(#data, m:write(data))
    assert.is_true(m:flush())
    assert.is_true(m:close())
    m = nil
    local out = child(path, [[
      local f = assert(io.open(PATH, "rb"))
      io.write(hex(f:read("*a")))
      f:close()
    ]])
    local expected = data .. ORIGINAL:sub(#data + 1)
    assert.are.equal(#ORIGINAL, #expected)
    assert.are.equal(hex(expected), out)
  end)

  it("an ACCESS_COPY map's writes are not seen by a child", function()
    local path = H.tmpfile(ORIGINAL)
    local f = assert(io.open(path, "r+b"))
    m = assert(mmap.mmap(f, 0, { access = mmap.ACCESS_COPY }))
    f:close()
    assert.are.equal(5, m:write("PRIV!"))
    m[19] = 0x3f
    assert.are.equal("PRIV!", m:slice(0, 5)) -- the parent sees its own write
    assert.is_true(m:flush())
    local out = child(path, [[
      local c = assert(mmap.open(PATH, "r"))
      local viamap = c:read()
      c:close()
      local g = assert(io.open(PATH, "rb"))
      local viaio = g:read("*a")
      g:close()
      io.write(hex(viamap), " ", hex(viaio))
    ]])
    assert.are.equal(hex(ORIGINAL) .. " " .. hex(ORIGINAL), out)
    assert.are.equal("PRIV!", m:slice(0, 5))
  end)

  it("a map from mmap.open(path, 'c') does not share its writes either", function()
    local path = H.tmpfile(ORIGINAL)
    m = assert(mmap.open(path, "c"))
    m:setslice(0, 4, "COPY")
    assert.is_true(m:close())
    m = nil
    local out = child(path, [[
      local c = assert(mmap.open(PATH, "r"))
      io.write(c:read())
      c:close()
    ]])
    assert.are.equal(ORIGINAL, out)
    assert.are.equal(ORIGINAL, H.slurp(path))
  end)
end)
