-- resize(newsize) and size() as the manual (doc/mmap.md §7) has them:
-- Python's order of checks, "new size out of range" for
-- newsize < 1 before the file is touched, failures as nil, msg, errno leaving
-- file and map unchanged, the position never clamped, size() of an anonymous map
-- is its length.
local H = require "helper"
local mmap = require "mmap"

local MAXI, MINI = H.MAXINT, H.MININT
local P = mmap.PAGESIZE
local G = H.GRAN  -- offsets step by it (64 KiB on Windows, P elsewhere)

-- A deterministic byte pattern of length n (no zero bytes, so that zero-filled
-- regions are told apart).
local function pattern(n)
  local t = {}
  for i = 1, n do t[i] = string.char(33 + (i * 7) % 90) end
  return table.concat(t)
end

-- Map a whole file (or length/opts as given) through an io handle, then close
-- the handle: the map keeps its own descriptor.
local function filemap(path, length, opts)
  local f = assert(io.open(path, "r+b"))
  local mm = assert(mmap.mmap(f, length or 0, opts))
  f:close()
  return mm
end

describe("resize", function()
  local mm
  after_each(function() H.cleanup(mm); mm = nil end)

  describe("of a file-backed map", function()
    it("grows: the file is extended with zeros, content kept, new bytes visible", function()
      local path = H.tmpfile("hello world")
      mm = filemap(path)
      assert.are.equal(11, #mm)
      assert.are.equal(true, mm:resize(100))
      assert.are.equal(100, #mm)
      assert.are.equal(100, H.filesize(path))
      assert.are.equal(100, mm:size())
      assert.are.equal("hello world", mm:slice(0, 11))
      assert.are.equal(string.rep("\0", 89), mm:slice(11))
      assert.are.equal("hello world" .. string.rep("\0", 89), H.slurp(path))
      -- writes through the map into the new region reach the file ...
      mm[99] = 65
      mm:seek(50)
      assert.are.equal(3, mm:write("mid"))
      local content = H.slurp(path)
      assert.are.equal("A", content:sub(100, 100))
      assert.are.equal("mid", content:sub(51, 53))
      -- ... and writes to the file show in the map
      local f = assert(io.open(path, "r+b"))
      f:seek("set", 70)
      f:write("io!")
      f:close()
      assert.are.equal("io!", mm:slice(70, 73))
    end)

    it("grows across several pages", function()
      local path = H.tmpfile(pattern(100))
      mm = assert(mmap.open(path, "r+"))
      local n = 3 * P + 5
      assert.are.equal(true, mm:resize(n))
      assert.are.equal(n, #mm)
      assert.are.equal(n, H.filesize(path))
      assert.are.equal(pattern(100), mm:slice(0, 100))
      assert.are.equal(0, mm[n - 1])
      assert.are.equal(0, mm[2 * P])
      mm[n - 1] = 0x7f
      mm[2 * P] = 0x41
      assert.are.equal(0x7f, mm[-1])
      local content = H.slurp(path)
      assert.are.equal("\127", content:sub(n, n))
      assert.are.equal("A", content:sub(2 * P + 1, 2 * P + 1))
      H.raises(H.MSG.index, function() return mm[n] end)
    end)

    it("shrinks: the file is truncated to the new size", function()
      local data = pattern(3 * P)
      local path = H.tmpfile(data)
      mm = filemap(path)
      assert.are.equal(true, mm:resize(100))
      assert.are.equal(100, #mm)
      assert.are.equal(100, H.filesize(path))
      assert.are.equal(100, mm:size())
      assert.are.equal(data:sub(1, 100), mm:slice())
      assert.are.equal(data:sub(1, 100), H.slurp(path))
      H.raises(H.MSG.index, function() return mm[100] end)
      -- and grows back with zeros, not the old content
      assert.are.equal(true, mm:resize(2 * P))
      assert.are.equal(2 * P, H.filesize(path))
      assert.are.equal(data:sub(1, 100), mm:slice(0, 100))
      assert.are.equal(string.rep("\0", 2 * P - 100), mm:slice(100))
    end)

    it("to the same size is a no-op that returns true", function()
      local path = H.tmpfile("abcdef")
      mm = filemap(path)
      assert.are.equal(true, mm:resize(6))
      assert.are.equal(6, #mm)
      assert.are.equal("abcdef", H.slurp(path))
    end)

    it("at an offset: the file becomes offset + newsize (Python's example)", function()
      local data = pattern(G + P)
      data = data:sub(1, G) .. "foo" .. data:sub(G + 4)
      local path = H.tmpfile(data)
      mm = filemap(path, P, { offset = G })
      assert.are.equal(P, #mm)
      assert.are.equal("foo", mm:slice(0, 3))
      assert.are.equal(true, mm:resize(512))
      assert.are.equal(512, #mm)
      assert.are.equal(G + 512, mm:size())
      assert.are.equal(G + 512, H.filesize(path))
      assert.are.equal("foo", mm:slice(0, 3))
      assert.are.equal(data:sub(1, G + 512), H.slurp(path))
      H.raises(H.MSG.seek, mm.seek, mm, 513)
      assert.are.equal(512, mm:seek(512))
      -- grow again past the old end
      assert.are.equal(true, mm:resize(2 * P))
      assert.are.equal(G + 2 * P, H.filesize(path))
      assert.are.equal(G + 2 * P, mm:size())
      assert.are.equal(data:sub(G + 1, G + 512), mm:slice(0, 512))
      assert.are.equal(string.rep("\0", 2 * P - 512), mm:slice(512))
    end)

    H.gate(H.NOTWIN.flags, it, pending)("of a MAP_PRIVATE file map (access default) still changes the file", function()
      local path = H.tmpfile("private")
      mm = filemap(path, 0, { flags = mmap.MAP_PRIVATE })
      assert.are.equal(true, mm:resize(50))
      assert.are.equal(50, #mm)
      assert.are.equal(50, H.filesize(path))
      assert.are.equal("private", mm:slice(0, 7))
      assert.are.equal(true, mm:resize(3))
      assert.are.equal(3, H.filesize(path))
      assert.are.equal("pri", mm:slice())
    end)

    it("keeps the position and returns exactly true", function()
      local path = H.tmpfile(pattern(40))
      mm = assert(mmap.open(path, "r+"))
      mm:seek(30)
      local r = mm:resize(80)
      assert.are.equal(true, r)
      assert.are.equal(30, mm:tell())
      assert.are.equal(true, mm:resize(10))
      assert.are.equal(30, mm:tell())       -- not clamped
      assert.are.equal(30, mm:seek())
    end)

    it("rejects newsize < 1 before touching the file", function()
      local data = pattern(20)
      local path = H.tmpfile(data)
      mm = filemap(path)
      H.raises(H.MSG.newsize, mm.resize, mm, 0)
      assert.are.equal(20, H.filesize(path))
      assert.are.equal(20, mm:size())
      H.raises(H.MSG.newsize, mm.resize, mm, -1)
      H.raises(H.MSG.newsize, mm.resize, mm, MINI)
      assert.are.equal(20, #mm)
      assert.are.equal(20, H.filesize(path))
      assert.are.equal(data, H.slurp(path))
      assert.are.equal(data, mm:slice())
    end)

    it("offset + newsize overflow is 'new size out of range'", function()
      local path = H.tmpfile(pattern(G + P))
      mm = filemap(path, P, { offset = G })
      H.raises(H.MSG.newsize, mm.resize, mm, MAXI)
      -- offset + newsize == INT64_MAX + 1; before 5.3 MAXI - G + 1 rounds
      -- down by 1024, so the same value is written as an exact double
      H.raises(H.MSG.newsize, mm.resize, mm, H.INT64 and MAXI - G + 1 or 2 ^ 63 - G)
      assert.are.equal(P, #mm)
      assert.are.equal(G + P, H.filesize(path))
    end)

    it("an impossible size returns nil, msg, errno and changes nothing", function()
      local data = pattern(64)
      local path = H.tmpfile(data)
      mm = filemap(path)
      mm:seek(5)
      local msg, code = H.oserror(nil, mm:resize(MAXI))
      assert(code == H.EFBIG or code == H.EINVAL or code == H.ENOMEM,
        "unexpected errno " .. code .. " (" .. msg .. ")")
      assert.are.equal(64, #mm)
      assert.are.equal(64, H.filesize(path))
      assert.are.equal(64, mm:size())
      assert.are.equal(data, mm:slice())
      assert.are.equal(data, H.slurp(path))
      assert.are.equal(5, mm:tell())
      -- the map still works, and still resizes
      mm[0] = 0x30
      assert.are.equal("0", H.slurp(path):sub(1, 1))
      assert.are.equal(true, mm:resize(65))
      assert.are.equal(65, H.filesize(path))
    end)

    it("at an offset, offset + newsize == maxinteger fails without changes", function()
      local path = H.tmpfile(pattern(G + P))
      mm = filemap(path, P, { offset = G })
      -- (before 5.3 the sum is H.MAXINT, 1023 below INT64_MAX: the largest
      -- that a page-aligned offset and a double reach)
      local msg, code = H.oserror(nil, mm:resize(MAXI - G))
      assert(code == H.EFBIG or code == H.EINVAL or code == H.ENOMEM,
        "unexpected errno " .. code .. " (" .. msg .. ")")
      assert.are.equal(P, #mm)
      assert.are.equal(G + P, H.filesize(path))
    end)
  end)

  describe("when mremap fails after the file was extended", function()
    -- A child process with little address space (ulimit -v) can extend the
    -- file (sparse, no memory needed) but cannot remap 1 GiB: resize must
    -- then give the file its old size back and leave the map as it was.
    -- The machine must take a sparse file of 1 GiB (probed).
    H.gate(H.sparse(1073741824), it, pending)("truncates the file back and keeps the map", function()
      local path = H.tmpfile(("x"):rep(100))
      local code = ([[
        local mmap = require "mmap"
        local m = assert(mmap.open(%q, "r+"))
        local ok, msg, errno = m:resize(1073741824)  -- 1 GiB
        local f = io.open(%q, "rb")
        print(tostring(ok), msg ~= nil, errno, #m, f:seek("end"), m:slice(0, 3))
      ]]):format(path, path)
      local out = H.plainchild(code, "ulimit -v 400000;")
      assert.are.equal("nil\ttrue\t12\t100\t100\txxx\n", out)
      assert.are.equal(100, H.filesize(path))
    end)
  end)

  describe("when the file cannot grow (ulimit -f)", function()
    -- SIGXFSZ is ignored (an ignored signal stays ignored across exec), so
    -- ftruncate beyond the limit fails with EFBIG instead of killing.
    H.gate(H.notwin("needs sh's ulimit -f: Windows has no file-size limit"), it, pending)(
        "returns nil, msg, EFBIG and leaves file and map as they were", function()
      local path = H.tmpfile(("y"):rep(100))
      local code = ([[
        local mmap = require "mmap"
        local m = assert(mmap.open(%q, "r+"))
        local ok, msg, errno = m:resize(1048576)  -- 1 MiB
        local f = io.open(%q, "rb")
        print(tostring(ok), msg, errno, #m, f:seek("end"), m:slice(0, 3))
      ]]):format(path, path)
      local out = H.child(code, "trap '' XFSZ; ulimit -f 8;")
      assert.are.equal("nil\tFile too large\t27\t100\t100\tyyy\n", out)
    end)
  end)

  describe("of a shared anonymous map", function()
    local GROWS = H.notwin("Linux: mremap cannot grow a shared anonymous map; "
                           .. "Windows grows paging-file memory by a copy")
    it("shrinks, keeping the content", function()
      mm = assert(mmap.mmap(-1, 2 * P))
      mm:write("keep me")
      assert.are.equal(true, mm:resize(P))
      assert.are.equal(P, #mm)
      assert.are.equal("keep me", mm:slice(0, 7))
      assert.are.equal(true, mm:resize(10))
      assert.are.equal(10, #mm)
      assert.are.equal("keep me\0\0\0", mm:slice())
      assert.are.equal(true, mm:resize(10))   -- same size is allowed
    end)

    H.gate(GROWS, it, pending)(
        "cannot grow", function()
      mm = assert(mmap.mmap(-1, 16))
      H.raises(H.MSG.expand, mm.resize, mm, 17)
      H.raises(H.MSG.expand, mm.resize, mm, P)
      H.raises(H.MSG.expand, mm.resize, mm, MAXI)
      assert.are.equal(16, #mm)
    end)

    H.gate(GROWS, it, pending)(
        "cannot grow back after shrinking, even to the original size", function()
      mm = assert(mmap.mmap(-1, 2 * P))
      assert.are.equal(true, mm:resize(P))
      H.raises(H.MSG.expand, mm.resize, mm, 2 * P)
      H.raises(H.MSG.expand, mm.resize, mm, P + 1)
      assert.are.equal(P, #mm)
    end)

    it("checks newsize < 1 first", function()
      mm = assert(mmap.mmap(-1, 16))
      H.raises(H.MSG.newsize, mm.resize, mm, 0)
      H.raises(H.MSG.newsize, mm.resize, mm, -1)
      H.raises(H.MSG.newsize, mm.resize, mm, MINI)
      assert.are.equal(16, #mm)
    end)

    it("does not clamp the position", function()
      mm = assert(mmap.mmap(-1, 2 * P))
      assert.are.equal(P + 100, #mm:read(P + 100))
      assert.are.equal(true, mm:resize(P))
      assert.are.equal(P + 100, mm:tell())
      assert.are.equal(P + 100, mm:seek())
      assert.are.equal("", mm:read())
      assert.is_nil(mm:read(1))
      assert.are.equal(P, mm:seek(-100, "cur"))
    end)
  end)

  describe("of a private anonymous map", function()
    it("grows with zero bytes", function()
      mm = assert(mmap.mmap(-1, 16, { flags = mmap.MAP_PRIVATE }))
      mm:write("abc")
      assert.are.equal(true, mm:resize(2 * P + 1))
      assert.are.equal(2 * P + 1, #mm)
      assert.are.equal("abc", mm:slice(0, 3))
      assert.are.equal(string.rep("\0", 2 * P + 1 - 3), mm:slice(3))
      mm[2 * P] = 200
      assert.are.equal(200, mm[-1])
      assert.are.equal(2 * P + 1, mm:size())
      assert.are.equal(true, mm:resize(4))
      assert.are.equal("abc\0", mm:slice())
      assert.are.equal(4, mm:size())
    end)
  end)

  describe("order of checks", function()
    it("trackfd=false comes first, even for resize(-1)", function()
      local a = assert(mmap.mmap(-1, 16, { trackfd = false }))
      H.raises(H.MSG.notrack, a.resize, a, 32)
      H.raises(H.MSG.notrack, a.resize, a, 8)
      H.raises(H.MSG.notrack, a.resize, a, 0)
      H.raises(H.MSG.notrack, a.resize, a, -1)
      H.raises(H.MSG.notrack, a.resize, a, MAXI)
      assert.are.equal(16, #a)
      a:close()
      local path = H.tmpfile(pattern(30))
      mm = filemap(path, 0, { trackfd = false })
      H.raises(H.MSG.notrack, mm.resize, mm, 60)
      H.raises(H.MSG.notrack, mm.resize, mm, -1)
      assert.are.equal(30, H.filesize(path))
      assert.are.equal(30, #mm)
    end)

    it("trackfd=false comes before ACCESS_READ", function()
      local path = H.tmpfile(pattern(30))
      mm = filemap(path, 0, { access = mmap.ACCESS_READ, trackfd = false })
      H.raises(H.MSG.notrack, mm.resize, mm, -1)
      H.raises(H.MSG.notrack, mm.resize, mm, 10)
    end)

    for _, mode in ipairs { "r", "c" } do
      it("ACCESS_" .. (mode == "r" and "READ" or "COPY") .. " raises, even for resize(-1)", function()
        local data = pattern(30)
        local path = H.tmpfile(data)
        mm = assert(mmap.open(path, mode))
        H.raises(H.MSG.noresize, mm.resize, mm, 60)
        H.raises(H.MSG.noresize, mm.resize, mm, 10)
        H.raises(H.MSG.noresize, mm.resize, mm, 0)
        H.raises(H.MSG.noresize, mm.resize, mm, -1)
        H.raises(H.MSG.noresize, mm.resize, mm, MINI)
        H.raises(H.MSG.noresize, mm.resize, mm, MAXI)
        assert.are.equal(30, #mm)
        assert.are.equal(data, H.slurp(path))
      end)
    end

    it("ACCESS_READ / ACCESS_COPY anonymous maps raise too", function()
      for _, access in ipairs { mmap.ACCESS_READ, mmap.ACCESS_COPY } do
        local a = assert(mmap.mmap(-1, 16, { access = access }))
        H.raises(H.MSG.noresize, a.resize, a, 8)
        H.raises(H.MSG.noresize, a.resize, a, -1)
        a:close()
      end
    end)

    it("argument errors are Lua's", function()
      mm = assert(mmap.mmap(-1, 16))
      H.raises("number expected, got no value", mm.resize, mm)
      H.raises("number expected, got string", mm.resize, mm, "big")
      H.raises("number has no integer representation", mm.resize, mm, 8.5)
      -- not a tail call: LuaJIT loses a tail-called C function's name
      H.raises("bad argument #1 to 'resize' (number expected, got no value)",
        function() mm:resize() end)
      assert.are.equal(16, #mm)
    end)
  end)

  describe("on a closed map", function()
    it("raises 'mmap closed or invalid'", function()
      local path = H.tmpfile("closed")
      local m = filemap(path)
      assert.are.equal(true, m:close())
      H.raises(H.MSG.closed, m.resize, m, 10)
      H.raises(H.MSG.closed, m.resize, m, -1)
      assert.are.equal(6, H.filesize(path))
      local a = assert(mmap.mmap(-1, 16))
      a:close()
      H.raises(H.MSG.closed, a.resize, a, 8)
      -- the closed check comes before the arguments are parsed
      H.raises(H.MSG.closed, a.resize, a)
      H.raises(H.MSG.closed, a.resize, a, "x")
    end)

    it("a self that is not a map raises 'mmap expected'", function()
      local a = assert(mmap.mmap(-1, 16))
      H.raises("mmap expected, got table", a.resize, {}, 8)
      H.raises("mmap expected, got nil", a.size, nil)
      a:close()
    end)
  end)
end)

describe("size", function()
  local mm
  after_each(function() H.cleanup(mm); mm = nil end)

  H.gate(H.NOTWIN.shrink, it, pending)("of a file-backed map is the file's current size", function()
    local path = H.tmpfile(pattern(3 * P))
    mm = filemap(path)
    assert.are.equal(3 * P, mm:size())
    assert.is_true(H.isint(mm:size()))
    -- truncated underneath through io: size() follows, #mm does not
    -- (the mapped bytes past the new end are not touched: that would SIGBUS)
    H.truncate(path, 100)
    assert.are.equal(100, mm:size())
    assert.are.equal(3 * P, #mm)
    -- extended underneath
    H.truncate(path, 5 * P)
    assert.are.equal(5 * P, mm:size())
    assert.are.equal(3 * P, #mm)
  end)

  H.gate(H.NOTWIN.shrink, it, pending)("of a map made by mmap.open follows the file too", function()
    local path = H.tmpfile(pattern(50))
    mm = assert(mmap.open(path, "r"))
    assert.are.equal(50, mm:size())
    H.truncate(path, 70)
    assert.are.equal(70, mm:size())
    assert.are.equal(50, #mm)
  end)

  it("of a map at an offset is the whole file's size", function()
    local path = H.tmpfile(pattern(G + 2 * P))
    mm = filemap(path, P, { offset = G })
    assert.are.equal(P, #mm)
    assert.are.equal(G + 2 * P, mm:size())
  end)

  it("of a shorter map is the whole file's size", function()
    local path = H.tmpfile(pattern(1000))
    mm = filemap(path, 10)
    assert.are.equal(10, #mm)
    assert.are.equal(1000, mm:size())
  end)

  it("of an anonymous map is its length", function()
    mm = assert(mmap.mmap(-1, 100))
    assert.are.equal(100, mm:size())
    assert.are.equal(true, mm:resize(40))
    assert.are.equal(40, mm:size())
    local p = assert(mmap.mmap(-1, P, H.private()))
    assert.are.equal(P, p:size())
    p:close()
  end)

  it("with trackfd=false raises", function()
    local a = assert(mmap.mmap(-1, 16, { trackfd = false }))
    H.raises(H.MSG.nosize, a.size, a)
    a:close()
    local path = H.tmpfile("tracked? no")
    mm = filemap(path, 0, { trackfd = false })
    H.raises(H.MSG.nosize, mm.size, mm)
  end)

  it("on a closed map raises 'mmap closed or invalid'", function()
    local a = assert(mmap.mmap(-1, 16))
    a:close()
    H.raises(H.MSG.closed, a.size, a)
    local path = H.tmpfile("x")
    local m = filemap(path)
    m:close()
    H.raises(H.MSG.closed, m.size, m)
    H.raises(H.MSG.closed, m.size, m, "extra")
  end)
end)

describe("mmap:resize of a private file map", function()
  local it = H.gate(H.NOTWIN.flags, it, pending)
  after_each(H.cleanup)

  -- A MAP_PRIVATE map of `content` through a descriptor of `mode`
  -- (ACCESS_DEFAULT: writable, resizable), and that descriptor's file.
  local function private(content, mode)
    local path = H.tmpfile(content)
    local f = assert(io.open(path, mode))
    local mm = H.keep(assert(mmap.mmap(f, 0, { flags = mmap.MAP_PRIVATE })))
    f:close()
    return mm, path
  end

  it("refused by a read-only descriptor, keeps every private byte", function()
    local mm, path = private(("A"):rep(8192), "rb")
    mm[6000] = 66
    mm[10] = 67
    mm:seek(7000)
    -- shrinking: ftruncate refuses a read-only descriptor
    H.oserror(H.EINVAL, mm:resize(100))
    assert.are.equal(8192, #mm)
    assert.are.equal(7000, mm:tell())
    assert.are.equal(66, mm[6000])
    assert.are.equal(67, mm[10])
    -- growing: the same refusal
    H.oserror(H.EINVAL, mm:resize(16384))
    assert.are.equal(8192, #mm)
    assert.are.equal(66, mm[6000])
    assert.are.equal(("A"):rep(8192), H.slurp(path))
  end)

  it("shrinking within a page and growing again exposes zeros", function()
    local mm, path = private(("A"):rep(4096), "r+b")
    mm[200] = 66
    mm[99] = 67
    assert.is_true(mm:resize(100))
    assert.are.equal(100, H.filesize(path))
    assert.is_true(mm:resize(300))
    assert.are.equal(300, H.filesize(path))
    assert.are.equal(67, mm[99])
    assert.are.equal(0, mm[200])
    assert.are.equal(("\0"):rep(200), mm:slice(100, 300))
    assert.are.equal(("A"):rep(100) .. ("\0"):rep(200), H.slurp(path))
  end)

  it("shrinking across pages and growing again exposes zeros", function()
    local mm = private(("A"):rep(3 * P), "r+b")
    mm[P + 5] = 66
    assert.is_true(mm:resize(P + 1))
    assert.is_true(mm:resize(3 * P))
    assert.are.equal(("A"):rep(P + 1) .. ("\0"):rep(2 * P - 1), H.all(mm))
  end)
end)
