-- What only the Windows build does (doc/mmap.md §14, "Windows"): tagnames
-- shared between maps and between processes, the shrink that Windows refuses
-- while a second view of the file is open, offsets in steps of
-- ALLOCATIONGRANULARITY, the guard against a file cut short underneath (under
-- wine, cut from the Unix side), flush seen through another handle, no handle
-- left behind by a thousand maps, resizing paging-file memory, and what the
-- Windows signature lacks. Everywhere else each case is pending, "Windows
-- only"; the guard's cases are pending on a Windows without wine.
local H = require "helper"
local mmap = require "mmap"

local WINDOWS = package.config:sub(1, 1) == "\\"
local G = mmap.ALLOCATIONGRANULARITY
local P = mmap.PAGESIZE

-- {======================================================
-- Local helpers: tagnames, file sizes, child processes (spec/helper.lua
-- puts temporary files in %TEMP% and quotes commands for cmd.exe).
-- =======================================================

local serial = 0
local RUN = tostring({}):match("(%x+)$") .. "-" .. os.time()

-- A tagname of this run's own.
local function unique(what)
  serial = serial + 1
  return ("lmmap-wt-%s-%s-%d"):format(what, RUN, serial)
end

local tmpfile, cleanup = H.tmpfile, H.cleanup

local function filesize(path)
  local f = assert(io.open(path, "rb"))
  local n = f:seek("end")
  f:close()
  return n
end

-- Run `code` in a second lua.exe (H.LUA) that finds this build of the
-- module, with string arguments; returns its output (stderr too) and exit
-- code.
local function child(code, ...)
  local script = tmpfile('package.cpath = (os.getenv("MMAP_CPATH") or "") .. package.cpath\n'
    .. code)
  local p = assert(io.popen(H.luacmd(script, ...)))
  local out = p:read("*a")
  local _, _, status = p:close()
  return out, status
end

-- }======================================================

describe("Windows", function()
  local wit = H.gate((not WINDOWS) and "Windows only" or nil, it, pending)
  local a, b, c
  after_each(function()
    cleanup(a, b, c)
    a, b, c = nil, nil, nil
  end)

  describe("tagname", function()
    local it = wit

    it("two maps of one tagname share their bytes, either way round", function()
      local tag = unique("tag")
      a = assert(mmap.mmap(-1, 4096, tag))
      b = assert(mmap.mmap(-1, 4096, tag))
      assert.are.equal(5, a:write("hello"))
      assert.are.equal("hello", b:read(5))
      b[4000] = 200
      assert.are.equal(200, a[4000])
      -- a fresh anonymous map without the name shares nothing
      c = assert(mmap.mmap(-1, 4096))
      assert.are.equal(0, c[0])
    end)

    it("the options table's tagname names the same memory", function()
      local tag = unique("tag")
      a = assert(mmap.mmap(-1, 8192, { tagname = tag }))
      b = assert(mmap.mmap(-1, 8192, tag, mmap.ACCESS_WRITE, 0))
      c = assert(mmap.mmap(-1, 8192, { tagname = tag, access = mmap.ACCESS_WRITE }))
      a:seek(5000)
      a:write("through a")
      assert.are.equal("through a", b:slice(5000, 5009))
      assert.are.equal("through a", c:slice(5000, 5009))
    end)

    it("two different tagnames do not share", function()
      a = assert(mmap.mmap(-1, 4096, unique("tag")))
      b = assert(mmap.mmap(-1, 4096, unique("tag")))
      a[0] = 1
      assert.are.equal(0, b[0])
    end)

    it('"" and nil name nothing: such maps share nothing', function()
      a = assert(mmap.mmap(-1, 4096, ""))
      b = assert(mmap.mmap(-1, 4096, { tagname = "" }))
      c = assert(mmap.mmap(-1, 4096, nil))
      a[7] = 7
      b[7] = 8
      assert.are.equal(7, a[7])
      assert.are.equal(8, b[7])
      assert.are.equal(0, c[7])
    end)

    it("a tagname opens the memory that it names, a file's included", function()
      local path = tmpfile(("0123456789"):rep(100))
      local f = assert(io.open(path, "r+b"))
      local tag = unique("tag")
      a = assert(mmap.mmap(f, 0, tag))
      f:close()
      b = assert(mmap.mmap(-1, 1000, tag))
      assert.are.equal("0123456789", b:read(10))
      b[0] = 65
      a:flush()
      b:close()
      a:close()
      f = assert(io.open(path, "rb"))
      assert.are.equal("A123", f:read(4))
      f:close()
    end)

    it("the memory of a tagname lives while one of its maps is open", function()
      local tag = unique("tag")
      a = assert(mmap.mmap(-1, 4096, tag))
      b = assert(mmap.mmap(-1, 4096, tag))
      a:write("kept")
      a:close()
      c = assert(mmap.mmap(-1, 4096, tag))
      assert.are.equal("kept", c:read(4))
      b:close()
      c:close()
      -- none open: the name is free, the bytes are gone
      a = assert(mmap.mmap(-1, 4096, tag))
      assert.are.equal(string.rep("\0", 4), a:read(4))
    end)

    it("a tagname that is not a string raises", function()
      H.raises("string expected, got number", mmap.mmap, -1, 10, 5)
      H.raises("string expected, got boolean", mmap.mmap, -1, 10, false)
      H.raises("option 'tagname': string expected, got number",
        mmap.mmap, -1, 10, { tagname = 5 })
      H.raises("option 'tagname': string expected, got table",
        mmap.mmap, -1, 10, { tagname = {} })
    end)

    it("a tagname with a zero byte raises", function()
      H.raises("tagname contains a zero byte", mmap.mmap, -1, 10, "a\0b")
      H.raises("tagname contains a zero byte", mmap.mmap, -1, 10, { tagname = "\0" })
    end)
  end)

  describe("tagname between processes", function()
    local it = wit

    it("a child process writes through the tagname into the parent's map", function()
      local tag = unique("tag")
      a = assert(mmap.mmap(-1, 4096, tag))
      a:write("from parent")
      local out, status = child([[
        local mmap = require "mmap"
        local m = assert(mmap.mmap(-1, 4096, (...)))
        io.write("child read: ", m:read(11), "\n")
        m:seek(100)
        m:write("from child")
        m:close()
      ]], tag)
      assert.are.equal(0, status, out)
      assert.truthy(out:find("child read: from parent", 1, true), out)
      -- the child is gone; the parent's map kept the memory, with its bytes
      assert.are.equal("from child", a:slice(100, 110))
      assert.are.equal("from parent", a:slice(0, 11))
    end)

    it("without the parent's map, a child's tagname is memory of its own", function()
      local tag = unique("tag")
      local out, status = child([[
        local mmap = require "mmap"
        local m = assert(mmap.mmap(-1, 4096, (...)))
        m:write("gone")
      ]], tag)
      assert.are.equal(0, status, out)
      a = assert(mmap.mmap(-1, 4096, tag))
      assert.are.equal(0, a[0])
    end)
  end)

  describe("resize while a second view of the file is open", function()
    local it = wit
    local content = ("abcdefgh"):rep(1024)  -- two pages
    local path
    before_each(function()
      path = tmpfile(content)
      a = assert(mmap.open(path, "r+"))
      b = assert(mmap.open(path, "r"))
    end)

    it("a shrink returns nil, message, 1224 and leaves the map as it was", function()
      a:seek(100)
      local msg = H.oserror(1224, a:resize(4096))
      assert.truthy(#msg > 0)
      assert.are.equal(8192, #a)
      assert.are.equal(100, a:tell())
      assert.are.equal(content, a:slice())
      assert.are.equal(8192, filesize(path))
      -- still a map of the file: a write is seen through the other view
      a[8000] = 90
      assert.are.equal(90, b[8000])
      assert.are.equal(90, a[8000])
    end)

    it("the shrink works once the other view is closed", function()
      assert.is_nil((a:resize(4096)))
      b:close()
      assert.is_true(a:resize(4096))
      assert.are.equal(4096, #a)
      assert.are.equal(content:sub(1, 4096), a:slice())
      a:close()
      assert.are.equal(4096, filesize(path))
    end)
  end)

  describe("offsets", function()
    local it = wit
    -- three granules, each starting with its number
    local function granules()
      local parts = {}
      for i = 0, 2 do
        parts[#parts + 1] = ("G%d"):format(i) .. ("."):rep(G - 2)
      end
      return tmpfile(table.concat(parts))
    end

    it("a multiple of ALLOCATIONGRANULARITY maps the bytes from there", function()
      assert.are.equal(65536, G)
      local path = granules()
      local f = assert(io.open(path, "rb"))
      a = assert(mmap.mmap(f, G, nil, mmap.ACCESS_READ, G))
      b = assert(mmap.mmap(f, 0, { access = mmap.ACCESS_READ, offset = 2 * G }))
      f:close()
      assert.are.equal(G, #a)
      assert.are.equal("G1..", a:read(4))
      assert.are.equal(G, #b)
      assert.are.equal("G2..", b:read(4))
      c = assert(mmap.open(path, "r", 0, G))
      assert.are.equal(2 * G, #c)
      assert.are.equal("G1", c:slice(0, 2))
      assert.are.equal("G2", c:slice(G, G + 2))
    end)

    it("an offset that is a page but not a granule returns nil, message, code", function()
      local path = granules()
      local f = assert(io.open(path, "r+b"))
      H.oserror(nil, mmap.mmap(f, 100, nil, nil, P))
      H.oserror(nil, mmap.mmap(f, 100, { offset = G + P }))
      f:close()
      H.oserror(nil, mmap.open(path, "r", 0, P))
      H.oserror(nil, mmap.open(path, "r+", 100, 32768))
      assert.are.equal(3 * G, filesize(path))
    end)
  end)

  -- {======================================================
  -- The guard. Windows will not cut a file short while a view of it is
  -- open; wine's host can: `start /unix` runs the host's truncate on the
  -- file's Unix name (winepath -u), and wine then raises an access violation
  -- on the pages that were lost.
  -- =======================================================
  describe("the guard against a file cut short", function()
    local function piped(cmd)
      local p = io.popen(cmd .. " 2>nul")
      if not p then return nil end
      local out = p:read("*a")
      p:close()
      return out
    end
    local reason = not WINDOWS and "Windows only" or nil
    if not reason then
      local out = piped('winepath -w /usr/bin/truncate')
      local win = out and out:match("^(%a:[^\r\n]*)")
      local f = win and io.open(win, "rb")
      if f then f:close() else
        reason = "needs wine and the host's /usr/bin/truncate: Windows itself "
          .. "refuses to cut a mapped file"
      end
    end
    local it = H.gate(reason, it, pending)

    local SIZE, BACKED = 8 * P, 3 * P
    local path

    -- Cut the file to n bytes from outside Windows; wait until it shows.
    local function cut(n)
      local unix = piped('winepath -u "' .. path .. '"'):match("^[^\r\n]+")
      piped(('start /wait /unix /usr/bin/truncate -s %d "%s"'):format(n, unix))
      local t = os.clock()
      while filesize(path) ~= n do
        assert(os.clock() - t < 10, "the file was not cut within 10 s")
      end
    end

    before_each(function()
      path = tmpfile(("abcdefgh"):rep(P))
      a = assert(mmap.open(path, "r+"))
      cut(2 * P + 100)
    end)

    -- after a fault, the bytes that the file still has read and write
    local function survives(m)
      assert.are.equal("mmap", mmap.type(m))
      assert.are.equal("abcdefgh", m:slice(0, 8))
      assert.are.equal(("d"):byte(), m[2 * P + 99])
      assert.are.equal(0, m[2 * P + 100])  -- the rest of the file's last page
      m[5] = 90
      assert.are.equal(90, m[5])
      assert.are.equal("abcdeZgh", m:slice(0, 8))
    end

    local cases = {
      { "mm[i]", function(m) return m[BACKED + 10] end, BACKED + 10 },
      { "mm[i] far in", function(m) return m[SIZE - 1] end, SIZE - 1 },
      { "mm[i] = v", function(m) m[BACKED + 3] = 1 end, BACKED + 3 },
      { "slice", function(m) return m:slice(BACKED - 300, BACKED + 700) end, BACKED },
      { "read", function(m) m:seek(BACKED - 300); return m:read(1000) end, BACKED },
      { "find", function(m) return m:find("zz", 0) end, BACKED },
      { "rfind", function(m) return m:rfind("zz", 0) end, BACKED },
    }
    for _, k in ipairs(cases) do
      local name, op, n = k[1], k[2], k[3]
      it(name .. " raises the bus error at offset " .. n, function()
        local ok, err = pcall(op, a)
        assert.is_false(ok)
        assert.truthy(tostring(err):find(H.buserror(n), 1, true), tostring(err))
        survives(a)
      end)
    end

    it("a failed read leaves the position where it was", function()
      a:seek(BACKED - 300)
      assert.is_false((pcall(a.read, a, 1000)))
      assert.are.equal(BACKED - 300, a:tell())
    end)
  end)
  -- }======================================================

  describe("flush", function()
    local it = wit

    it("what a map wrote and flushed, another handle of the file reads", function()
      local path = tmpfile(("0123456789"):rep(1000))
      a = assert(mmap.open(path, "r+"))
      a:seek(5000)
      a:write("flushed")
      assert.is_true(a:flush())
      local f = assert(io.open(path, "rb"))
      f:seek("set", 5000)
      assert.are.equal("flushed", f:read(7))
      a[9999] = 65
      assert.is_true(a:flush(9000, 1000, 0))  -- the view only
      f:seek("set", 9999)
      assert.are.equal("A", f:read(1))
      f:close()
    end)

    it("an ACCESS_COPY map's writes never reach the file, flushed or not", function()
      local path = tmpfile(("0123456789"):rep(10))
      local f = assert(io.open(path, "rb"))
      a = assert(mmap.mmap(f, 0, nil, mmap.ACCESS_COPY))
      f:close()
      a:write("private")
      assert.is_true(a:flush())
      assert.are.equal("private", a:slice(0, 7))
      a:close()
      f = assert(io.open(path, "rb"))
      assert.are.equal(("0123456789"):rep(10), f:read("*a"))
      f:close()
    end)
  end)

  describe("handles", function()
    local it = wit
    local N = 1000

    -- A file with a handle still open cannot be renamed or removed (the C
    -- runtime's files do not share deletion): both work only if every map
    -- gave its handles back.
    local function released(path)
      local moved = path .. ".moved"
      finally(function() os.remove(moved) end)  -- should the test fail
      local ok, err = os.rename(path, moved)
      assert.is_true(ok, err)
      ok, err = os.remove(moved)
      assert.is_true(ok, err)
    end

    it("1000 maps of a Lua file handle, closed, leave no handle on the file", function()
      local path = tmpfile(("x"):rep(100))
      local f = assert(io.open(path, "r+b"))
      for i = 1, N do
        local m = assert(mmap.mmap(f, 0))
        m[0] = i % 256
        m:close()
      end
      f:close()
      released(path)
    end)

    it("1000 mmap.open maps, closed, leave no handle on the file", function()
      local path = tmpfile(("x"):rep(100))
      for i = 1, N do
        local m = assert(mmap.open(path, "r+"))
        m[1] = i % 256
        m:close()
      end
      released(path)
    end)

    it("1000 maps left to the collector leave no handle on the file", function()
      local path = tmpfile(("x"):rep(100))
      for _ = 1, N do
        assert(mmap.open(path, "r"))
      end
      collectgarbage("collect")
      collectgarbage("collect")
      released(path)
    end)

    it("1000 refused maps (an unaligned offset) leave no handle on the file", function()
      local path = tmpfile(("x"):rep(2 * G))
      for _ = 1, N do
        H.oserror(nil, mmap.open(path, "r", 0, P))
      end
      released(path)
    end)

    it("1000 tagged maps, closed, each give their memory back", function()
      local tag = unique("tag")
      for i = 1, N do
        local m = assert(mmap.mmap(-1, 4096, tag))
        assert.are.equal(0, m[0], "map " .. i .. " found the bytes of the one before")
        m[0] = 1
        m:close()
      end
    end)
  end)

  describe("resize of paging-file memory", function()
    local it = wit

    it("without a tagname it grows and shrinks by a copy that keeps the bytes", function()
      a = assert(mmap.mmap(-1, 4096))
      local bytes = {}
      for i = 0, 255 do bytes[#bytes + 1] = string.char(i) end
      local pattern = table.concat(bytes):rep(16)
      a:write(pattern)
      a:seek(10)
      assert.is_true(a:resize(3 * G))
      assert.are.equal(3 * G, #a)
      assert.are.equal(10, a:tell())
      assert.are.equal(pattern, a:slice(0, 4096))
      assert.are.equal(("\0"):rep(3 * G - 4096), a:slice(4096))
      a[3 * G - 1] = 9
      assert.is_true(a:resize(100))
      assert.are.equal(100, #a)
      assert.are.equal(pattern:sub(1, 100), a:slice())
    end)

    it("with a tagname it is refused (nil, message, 50), the map as it was", function()
      local tag = unique("tag")
      a = assert(mmap.mmap(-1, 4096, tag))
      b = assert(mmap.mmap(-1, 4096, tag))
      a:write("shared")
      H.oserror(50, a:resize(8192))
      H.oserror(50, a:resize(100))
      assert.are.equal(4096, #a)
      assert.are.equal("shared", a:slice(0, 6))
      b[4095] = 77
      assert.are.equal(77, a[4095])
    end)
  end)

  describe("the signature and the constants", function()
    local it = wit

    it("has ACCESS_*, PAGESIZE and ALLOCATIONGRANULARITY, and no other constant", function()
      local allowed = { ACCESS_DEFAULT = 0, ACCESS_READ = 1, ACCESS_WRITE = 2,
                        ACCESS_COPY = 3, PAGESIZE = P, ALLOCATIONGRANULARITY = 65536 }
      for name, v in pairs(allowed) do
        assert.are.equal(v, mmap[name], name)
      end
      for _, name in ipairs({ "PROT_READ", "PROT_WRITE", "PROT_EXEC", "MAP_SHARED",
          "MAP_PRIVATE", "MAP_ANONYMOUS", "MAP_POPULATE", "MADV_NORMAL",
          "MADV_DONTNEED", "MADV_WILLNEED", "MS_SYNC", "MS_ASYNC", "MS_INVALIDATE" }) do
        assert.is_nil(mmap[name], name)
      end
      for name in pairs(mmap) do
        if type(name) == "string" and name:match("^%u[%u_]*$") then
          assert.truthy(allowed[name], "an unexpected constant: " .. name)
        end
      end
    end)

    it("a map has no madvise method", function()
      a = assert(mmap.mmap(-1, 100))
      assert.is_nil(a.madvise)
      assert.is_function(a.flush)
    end)

    it("the flags and prot options are unknown", function()
      H.raises(H.MSG.option:format("flags"), mmap.mmap, -1, 10, { flags = 1 })
      H.raises(H.MSG.option:format("prot"), mmap.mmap, -1, 10, { prot = 1 })
    end)

    it("the fourth argument is access", function()
      local path = tmpfile("abc")
      local f = assert(io.open(path, "rb"))
      a = assert(mmap.mmap(f, 0, nil, mmap.ACCESS_READ))
      f:close()
      assert.are.equal("ACCESS_READ", H.access_of(a))
      H.raises(H.MSG.readonly, function() a[0] = 1 end)
    end)
  end)
end)
