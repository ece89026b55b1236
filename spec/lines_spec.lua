-- lines([fmt]) and topointer() (doc/mmap.md §3 and §12); readline shares lines' code path.
local H = require "helper"
local mmap = require "mmap"

-- io.lines(path, "*L") where it exists (5.2+ and LuaJIT); Lua 5.1's io.lines
-- takes no format, so there the file's content is cut after each "\n".
local function io_lines_keeping(path)
  local out = {}
  if H.VERSION >= 5.2 or H.JIT then
    for line in H.lines(path, "*L") do out[#out + 1] = line end
  else
    for line in H.slurp(path):gmatch("[^\n]*\n?") do
      if line ~= "" then out[#out + 1] = line end
    end
  end
  return out
end

local function collect(mm, fmt)
  local out = {}
  for line in mm:lines(fmt) do out[#out + 1] = line end
  return out
end

describe("lines", function()
  after_each(function() H.cleanup() end)

  it("iterates from the position, dropping the newline by default", function()
    local mm = H.anon("ab\ncd\n\nlast")
    assert.are.same({ "ab", "cd", "", "last" }, collect(mm))
    assert.are.equal(#mm, mm:tell())
  end)

  it("keeps the newline with 'L' (and '*L', '*l' as Lua 5.1 spelled them)", function()
    local mm = H.anon("ab\ncd\n\nlast")
    assert.are.same({ "ab\n", "cd\n", "\n", "last" }, collect(mm, "L"))
    mm:seek(0)
    assert.are.same({ "ab\n", "cd\n", "\n", "last" }, collect(mm, "*L"))
    mm:seek(0)
    assert.are.same({ "ab", "cd", "", "last" }, collect(mm, "*l"))
  end)

  it("starts at the current position and advances it line by line", function()
    local mm = H.anon("one\ntwo\nthree\n")
    mm:seek(4)
    local it = mm:lines()
    assert.are.equal("two", it())
    assert.are.equal(8, mm:tell())
    assert.are.equal("three", it())
    assert.is_nil(it())
    assert.is_nil(it())
    assert.are.equal(14, mm:tell())
  end)

  it("ends a file without a final newline with its last bytes, zeros included", function()
    local mm = H.anon("x\nyz\0\0")
    assert.are.same({ "x", "yz\0\0" }, collect(mm))
  end)

  it("ends lines at '\\n' only, keeping '\\r'", function()
    local mm = H.anon("a\r\nb\rc\n")
    assert.are.same({ "a\r", "b\rc" }, collect(mm))
  end)

  it("handles lines longer than its stack buffer", function()
    local long = ("0123456789"):rep(500)
    local mm = H.anon(long .. "\n" .. long .. "x\nshort\n" .. long)
    assert.are.same({ long, long .. "x", "short", long }, collect(mm))
    mm:seek(0)
    assert.are.same({ long .. "\n", long .. "x\n", "short\n", long }, collect(mm, "L"))
  end)

  it("agrees with io.lines over a file of random lines", function()
    local parts, rnd = {}, 12345
    for i = 1, 2000 do
      rnd = (rnd * 1103515245 + 12345) % 2147483648
      parts[i] = ("%x"):format(rnd):rep(rnd % 7) .. (i % 13 == 0 and "\r" or "")
    end
    local text = table.concat(parts, "\n") .. "\n"
    local mm, path = H.filemap(text)
    local expected = {}
    for line in H.lines(path) do expected[#expected + 1] = line end
    assert.are.same(expected, collect(mm))
    mm:seek(0)
    assert.are.same(io_lines_keeping(path), collect(mm, "L"))
  end)

  it("returns nil at once at the end and past it after a shrinking resize", function()
    local mm = H.shrunk()
    assert.is_nil(mm:lines()())
    assert.are.equal(5000, mm:tell())
  end)

  it("sees the map as it is at each step, after a resize", function()
    local mmap_ = mmap
    local mm = H.keep(assert(mmap_.mmap(-1, 6, { flags = mmap.MAP_PRIVATE })))
    mm:write("a\nb\ncc")
    mm:seek(0)
    local it = mm:lines()
    assert.are.equal("a", it())
    assert.is_true(mm:resize(3))
    assert.are.equal("b", it())
    assert.is_nil(it())
  end)

  it("rejects other formats", function()
    local mm = H.anon("x\n")
    for _, fmt in ipairs { "n", "a", "ll", "", "x" } do
      H.raises("invalid format", mm.lines, mm, fmt)
    end
    H.raises("string expected, got table", mm.lines, mm, {})
  end)

  it("raises on a closed map, from lines() and from its iterator", function()
    local mm = H.anon("a\nb\n")
    local it = mm:lines()
    assert.are.equal("a", it())
    mm:close()
    H.raises(H.MSG.closed, it)
    H.raises(H.MSG.closed, mm.lines, mm)
  end)

  H.gate(H.NOTWIN.flags, it, pending)("raises 'mmap is not readable' on a map without PROT_READ", function()
    local mm = H.keep(assert(mmap.mmap(-1, 16, { prot = 0 })))
    H.raises(H.MSG.unreadable, mm.lines, mm)
  end)

  H.gate(H.NOTWIN.shrink, it, pending)(
      "raises the bus error when the file shrinks under it, and the map survives", function()
    local P = mmap.PAGESIZE
    local path = H.tmpfile(("line\n"):rep(H.idiv(4 * P, 5) + 1))
    local mm = H.keep(assert(mmap.open(path, "r")))
    local it = mm:lines()
    assert.are.equal("line", it())
    H.truncate(path, P)
    mm:seek(P - 1)  -- a line that starts before the lost page and runs into it
    H.raises(H.MSG.bus:format(P), it)
    assert.are.equal(P - 1, mm:tell())
    H.raises(H.MSG.bus:format(P), mm.readline, mm)
    mm:seek(0)
    assert.are.equal("line", it())
  end)
end)

describe("topointer", function()
  after_each(function() H.cleanup() end)

  it("gives the mapping's address as a light userdata, the same each time", function()
    local mm = H.anon("abc")
    local p = mm:topointer()
    assert.are.equal("userdata", type(p))
    assert.is_nil(getmetatable(p))   -- light: no metatable of its own
    assert.are.equal(p, mm:topointer())
    assert.are_not.equal(p, H.anon("abc"):topointer())
  end)

  it("raises on a closed map", function()
    local mm = H.anon("abc")
    mm:close()
    H.raises(H.MSG.closed, mm.topointer, mm)
  end)

  it("raises for something that is not a map", function()
    H.raises("mmap expected", mmap.mmap(-1, 1).topointer, "x")
  end)
end)
