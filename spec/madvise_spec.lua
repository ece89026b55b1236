-- madvise(option [, start [, length]]): Python's bounds rules and messages
-- (doc/mmap.md §8); never widened, so an unaligned start is the kernel's EINVAL,
-- returned as nil, message, errno; nil start/length = omitted.
local H = require "helper"
local mmap = require "mmap"

local MAXI, MINI = H.MAXINT, H.MININT
local P = mmap.PAGESIZE

describe("madvise", function()
  if H.NOTWIN.madvise then  -- the method itself is not there
    pending(H.NOTWIN.madvise)
    return
  end
  local mm
  after_each(function() H.cleanup(mm); mm = nil end)

  describe("on a 4-page anonymous map", function()
    before_each(function() mm = assert(mmap.mmap(-1, 4 * P)) end)

    it("returns true with the option alone, a start, a start and a length", function()
      assert.are.equal(true, mm:madvise(mmap.MADV_NORMAL))
      assert.are.equal(true, mm:madvise(mmap.MADV_NORMAL, 0))
      assert.are.equal(true, mm:madvise(mmap.MADV_NORMAL, P))
      assert.are.equal(true, mm:madvise(mmap.MADV_NORMAL, 3 * P))
      assert.are.equal(true, mm:madvise(mmap.MADV_NORMAL, 0, P))
      assert.are.equal(true, mm:madvise(mmap.MADV_NORMAL, P, 2 * P))
      assert.are.equal(true, mm:madvise(mmap.MADV_NORMAL, 0, 4 * P))
      assert.are.equal(true, mm:madvise(mmap.MADV_NORMAL, P, 1))  -- length need not be aligned
    end)

    it("nil start / nil length are omitted, independently", function()
      assert.are.equal(true, mm:madvise(mmap.MADV_NORMAL, nil))
      assert.are.equal(true, mm:madvise(mmap.MADV_NORMAL, nil, P))
      assert.are.equal(true, mm:madvise(mmap.MADV_NORMAL, P, nil))
      assert.are.equal(true, mm:madvise(mmap.MADV_NORMAL, nil, nil))
      H.raises(H.MSG.madvlen, mm.madvise, mm, mmap.MADV_NORMAL, nil, -1)
      H.oserror(H.EINVAL, mm:madvise(mmap.MADV_NORMAL, 1, nil))
    end)

    it("length 0 is fine", function()
      assert.are.equal(true, mm:madvise(mmap.MADV_NORMAL, 0, 0))
      assert.are.equal(true, mm:madvise(mmap.MADV_WILLNEED, P, 0))
      assert.are.equal(true, mm:madvise(mmap.MADV_NORMAL, 3 * P, 0))
    end)

    it("a length past the end is clipped", function()
      assert.are.equal(true, mm:madvise(mmap.MADV_NORMAL, 0, 1000000))
      assert.are.equal(true, mm:madvise(mmap.MADV_NORMAL, 3 * P, 2 * P))
      assert.are.equal(true, mm:madvise(mmap.MADV_NORMAL, 0, MAXI))
      assert.are.equal(true, mm:madvise(mmap.MADV_WILLNEED, 0, MAXI))
    end)

    it("'madvise start out of bounds' for start < 0 or start >= #mm", function()
      H.raises(H.MSG.madvstart, mm.madvise, mm, mmap.MADV_NORMAL, -1)
      H.raises(H.MSG.madvstart, mm.madvise, mm, mmap.MADV_NORMAL, -P)
      H.raises(H.MSG.madvstart, mm.madvise, mm, mmap.MADV_NORMAL, 4 * P)
      H.raises(H.MSG.madvstart, mm.madvise, mm, mmap.MADV_NORMAL, 4 * P + 1)
      H.raises(H.MSG.madvstart, mm.madvise, mm, mmap.MADV_NORMAL, 5 * P, 0)
      H.raises(H.MSG.madvstart, mm.madvise, mm, mmap.MADV_NORMAL, MAXI)
      H.raises(H.MSG.madvstart, mm.madvise, mm, mmap.MADV_NORMAL, MINI)
      H.raises(H.MSG.madvstart, mm.madvise, mm, mmap.MADV_NORMAL, MAXI, MAXI)
    end)

    it("'madvise length invalid' for length < 0", function()
      H.raises(H.MSG.madvlen, mm.madvise, mm, mmap.MADV_NORMAL, 0, -1)
      H.raises(H.MSG.madvlen, mm.madvise, mm, mmap.MADV_NORMAL, P, -P)
      H.raises(H.MSG.madvlen, mm.madvise, mm, mmap.MADV_NORMAL, 0, MINI)
    end)

    -- The check is INT64_MAX - start < length. Before 5.3 lengths this big
    -- are doubles, multiples of 1024, and MAXI is 2^63 - 1024: the smallest
    -- start that overflows with MAXI is 1024, and start + length ==
    -- INT64_MAX + 1 needs other values.
    it("'madvise length too large' when start + length overflows", function()
      H.raises(H.MSG.madvlarge, mm.madvise, mm, mmap.MADV_NORMAL, P, MAXI)
      H.raises(H.MSG.madvlarge, mm.madvise, mm, mmap.MADV_NORMAL, 2 * P, MAXI)
      H.raises(H.MSG.madvlarge, mm.madvise, mm, mmap.MADV_NORMAL, H.INT64 and 1 or 1024, MAXI)
      if H.INT64 then  -- start + length == INT64_MAX + 1
        H.raises(H.MSG.madvlarge, mm.madvise, mm, mmap.MADV_NORMAL, 4 * P - 1, MAXI - 4 * P + 2)
      else
        H.raises(H.MSG.madvlarge, mm.madvise, mm, mmap.MADV_NORMAL, 3 * P, 2 ^ 63 - 3 * P)
        -- start + length == INT64_MAX: not too large, so the kernel sees
        -- it (and refuses the unaligned start)
        H.oserror(H.EINVAL, mm:madvise(mmap.MADV_NORMAL, 1023, MAXI))
      end
      assert.are.equal(true, mm:madvise(mmap.MADV_NORMAL, P, MAXI - P))
    end)

    it("checks the start before the length, the length before the option", function()
      H.raises(H.MSG.madvstart, mm.madvise, mm, mmap.MADV_NORMAL, -1, -1)
      H.raises(H.MSG.madvstart, mm.madvise, mm, mmap.MADV_NORMAL, 4 * P, -1)
      H.raises(H.MSG.madvstart, mm.madvise, mm, 12345, 4 * P, MAXI)
      H.raises(H.MSG.madvlen, mm.madvise, mm, 12345, 1, -1)
      H.raises(H.MSG.madvlarge, mm.madvise, mm, 12345, P, MAXI)
    end)

    it("an unaligned start gives nil, message, EINVAL (never widened)", function()
      H.oserror(H.EINVAL, mm:madvise(mmap.MADV_NORMAL, 1))
      H.oserror(H.EINVAL, mm:madvise(mmap.MADV_NORMAL, 15))
      H.oserror(H.EINVAL, mm:madvise(mmap.MADV_NORMAL, P + 1, 10))
      H.oserror(H.EINVAL, mm:madvise(mmap.MADV_WILLNEED, 4 * P - 1))
      -- and the map is still fine
      assert.are.equal(true, mm:madvise(mmap.MADV_NORMAL))
    end)

    it("an unknown option gives nil, message, EINVAL", function()
      H.oserror(H.EINVAL, mm:madvise(12345))
      H.oserror(H.EINVAL, mm:madvise(12345, 0, P))
      H.oserror(H.EINVAL, mm:madvise(-7))
    end)

    it("an option outside C int raises", function()
      H.raises("value out of range", mm.madvise, mm, MAXI)
      H.raises("value out of range", mm.madvise, mm, MINI)
    end)

    it("argument type errors are Lua's", function()
      H.raises("number expected, got no value", mm.madvise, mm)
      H.raises("number expected, got string", mm.madvise, mm, "normal")
      H.raises("number expected, got string", mm.madvise, mm, mmap.MADV_NORMAL, 0, "x")
      H.raises("number has no integer representation", mm.madvise, mm, mmap.MADV_NORMAL, 0.5)
      -- not tail calls: LuaJIT loses a tail-called C function's name
      H.raises("bad argument #1 to 'madvise' (value out of range)",
        function() mm:madvise(H.shl(1, 40)) end)
      H.raises("bad argument #2 to 'madvise' (number has no integer representation)",
        function() mm:madvise(mmap.MADV_NORMAL, 0.5) end)
    end)

    -- (the four hints POSIX's posix_madvise shares, in every build)
    local function accepts(names)
      for _, name in ipairs(names) do
        local opt = mmap[name]
        assert(H.isint(opt), name .. " is not an integer constant")
        assert(mm:madvise(opt) == true, name .. " on the whole map")
        assert(mm:madvise(opt, P, P) == true, name .. " on one page")
      end
      assert.are.equal(true, mm:madvise(mmap.MADV_NORMAL))
    end

    it("accepts the MADV_* constants", function()
      accepts { "MADV_NORMAL", "MADV_RANDOM", "MADV_SEQUENTIAL", "MADV_WILLNEED" }
    end)

    H.gate(H.linux("MADV_DONTNEED (a discard)"), it, pending)("accepts MADV_DONTNEED", function()
      accepts { "MADV_DONTNEED" }
    end)

    it("does not move the position", function()
      mm:seek(17)
      assert.are.equal(true, mm:madvise(mmap.MADV_SEQUENTIAL, 0, P))
      assert.are.equal(17, mm:tell())
    end)
  end)

  describe("on a 16-byte map", function()
    before_each(function() mm = assert(mmap.mmap(-1, 16)) end)

    it("follows Python's examples", function()
      assert.are.equal(true, mm:madvise(mmap.MADV_NORMAL))
      assert.are.equal(true, mm:madvise(mmap.MADV_NORMAL, 0, 16))
      assert.are.equal(true, mm:madvise(mmap.MADV_NORMAL, 0, 1000000))
      H.raises(H.MSG.madvstart, mm.madvise, mm, mmap.MADV_NORMAL, 16, -1)
      H.raises(H.MSG.madvstart, mm.madvise, mm, mmap.MADV_NORMAL, 16)
      H.raises(H.MSG.madvlen, mm.madvise, mm, mmap.MADV_NORMAL, 0, -1)
      H.oserror(H.EINVAL, mm:madvise(mmap.MADV_NORMAL, 1))
      H.oserror(H.EINVAL, mm:madvise(mmap.MADV_NORMAL, 15))
    end)
  end)

  describe("MADV_DONTNEED on a private anonymous map", function()
    local it = H.gate(H.linux("MADV_DONTNEED (a discard)"), it, pending)

    it("makes the advised pages read back as zero", function()
      mm = assert(mmap.mmap(-1, 2 * P, { flags = mmap.MAP_PRIVATE }))
      mm:write("page zero")
      mm:seek(P)
      mm:write("page one")
      assert.are.equal(true, mm:madvise(mmap.MADV_DONTNEED, P, P))
      assert.are.equal("page zero", mm:slice(0, 9))  -- outside the range: kept
      assert.are.equal(string.rep("\0", 8), mm:slice(P, P + 8))
      assert.are.equal(true, mm:madvise(mmap.MADV_DONTNEED))
      assert.are.equal(string.rep("\0", 2 * P), mm:slice())
      -- writable again afterwards
      mm[5] = 7
      assert.are.equal(7, mm[5])
    end)

    it("on a shared anonymous map the data is kept", function()
      mm = assert(mmap.mmap(-1, P))
      mm:write("shared")
      assert.are.equal(true, mm:madvise(mmap.MADV_DONTNEED))
      assert.are.equal("shared", mm:slice(0, 6))
    end)
  end)

  describe("on file-backed maps", function()
    it("works on ACCESS_READ and ACCESS_WRITE maps", function()
      local path = H.tmpfile(string.rep("z", 2 * P))
      for _, mode in ipairs { "r", "r+", "c" } do
        local m = assert(mmap.open(path, mode))
        assert.are.equal(true, m:madvise(mmap.MADV_SEQUENTIAL))
        assert.are.equal(true, m:madvise(mmap.MADV_WILLNEED, P, P))
        H.raises(H.MSG.madvstart, m.madvise, m, mmap.MADV_NORMAL, 2 * P)
        H.oserror(H.EINVAL, m:madvise(mmap.MADV_NORMAL, 3))
        assert.are.equal("zzz", m:slice(P, P + 3))
        m:close()
      end
    end)
  end)

  describe("on a closed map", function()
    it("raises 'mmap closed or invalid'", function()
      local m = assert(mmap.mmap(-1, P))
      m:close()
      H.raises(H.MSG.closed, m.madvise, m, mmap.MADV_NORMAL)
      H.raises(H.MSG.closed, m.madvise, m, mmap.MADV_NORMAL, 0, P)
      H.raises(H.MSG.closed, m.madvise, m, 12345, -1)
      -- the closed check comes before the arguments are parsed
      H.raises(H.MSG.closed, m.madvise, m)
      H.raises(H.MSG.closed, m.madvise, m, "x")
    end)

    it("a self that is not a map raises 'mmap expected'", function()
      local m = assert(mmap.mmap(-1, P))
      H.raises("mmap expected, got table", m.madvise, {}, mmap.MADV_NORMAL)
      H.raises("mmap expected, got nil", m.madvise, nil, mmap.MADV_NORMAL)
      m:close()
    end)
  end)

  describe("MADV_POPULATE_READ / MADV_POPULATE_WRITE", function()
    -- Linux 5.14 and later; an older kernel answers EINVAL, which the
    -- triple carries, and then only the triple is checked.
    local function populated(...)
      if ... == true then return true end
      local _, code = H.oserror(nil, ...)
      assert.are.equal(H.EINVAL, code)
      return false
    end

    -- Resident kB of the mapping that holds the map (from /proc/self/smaps).
    -- The maps measured are file maps: an anonymous one may share its line
    -- with the interpreter's own neighbouring memory (the kernel merges
    -- them), a file map never does.
    local function rss(m)
      local at = H.address(m)
      local inside = false
      for line in io.lines("/proc/self/smaps") do
        local a, b = line:match("^(%x+)-(%x+) ")
        if a then
          inside = tonumber(a, 16) <= at and at < tonumber(b, 16)
        elseif inside then
          local kb = line:match("^Rss:%s*(%d+) kB")
          if kb then return tonumber(kb) end
        end
      end
      error("no mapping at the map's address")
    end

    -- what the measures need: a kernel that shows smaps (CONFIG_PROC_PAGE_MONITOR)
    local smaps = io.open("/proc/self/smaps", "r")
    local NO_SMAPS = not (smaps and smaps:read("*a"):find("\nRss:"))
      and "needs Rss in /proc/self/smaps" or nil
    if smaps then smaps:close() end
    local EXT = H.linux("MADV_POPULATE_*")
    local measured = H.gate(EXT or NO_SMAPS, it, pending)
    local it = H.gate(EXT, it, pending)

    it("are distinct integer constants where the headers define them", function()
      assert.is_true(H.isint(mmap.MADV_POPULATE_READ))
      assert.is_true(H.isint(mmap.MADV_POPULATE_WRITE))
      assert.are_not.equal(mmap.MADV_POPULATE_READ, mmap.MADV_POPULATE_WRITE)
    end)

    measured("POPULATE_WRITE makes every page of a fresh copy-on-write map resident", function()
      local m, path = H.filemap(("w"):rep(64 * P), "r+b", { access = mmap.ACCESS_COPY })
      assert.is_true(rss(m) < 64 * P / 1024)  -- nothing touched yet
      if populated(m:madvise(mmap.MADV_POPULATE_WRITE)) then
        assert.is_true(rss(m) >= 64 * P / 1024)
      end
      assert.are.equal(("w"):rep(64 * P), H.all(m))
      assert.are.equal(("w"):rep(64 * P), H.slurp(path))
    end)

    measured("POPULATE_READ brings a file's pages in and changes no byte", function()
      local content = ("r"):rep(16 * P)
      local m, path = H.filemap(content)
      assert.is_true(m:madvise(mmap.MADV_DONTNEED))
      if populated(m:madvise(mmap.MADV_POPULATE_READ)) then
        assert.is_true(rss(m) >= 16 * P / 1024)
      end
      assert.is_true(m:flush())
      assert.are.equal(content, H.slurp(path))
    end)

    measured("a range populates only that range", function()
      local m = H.filemap(("q"):rep(8 * P), "r+b", { access = mmap.ACCESS_COPY })
      if populated(m:madvise(mmap.MADV_POPULATE_WRITE, 2 * P, 3 * P)) then
        local kb = rss(m)
        assert.is_true(kb >= 3 * P / 1024 and kb < 8 * P / 1024, tostring(kb))
      end
    end)

    it("POPULATE_WRITE on a read-only map returns nil, msg, EINVAL", function()
      local m = H.readonly(("o"):rep(P))
      H.oserror(H.EINVAL, m:madvise(mmap.MADV_POPULATE_WRITE))
      assert.are.equal(("o"):rep(P), H.all(m))
    end)

    it("a page the file no longer backs gives EFAULT, not a bus error", function()
      local m = H.keep((H.lost()))
      local ok, msg, code = m:madvise(mmap.MADV_POPULATE_READ)
      if code ~= H.EINVAL then H.oserror(H.EFAULT, ok, msg, code) end
      assert.are.equal(("a"):byte(), m[0])  -- the process and the map live on
    end)
  end)
end)

describe("madvise that would discard the file's bytes", function()
  after_each(H.cleanup)

  if not mmap.MADV_REMOVE then
    pending("MADV_REMOVE: not on this platform")
    return
  end

  -- Each read-only kind of map, made from a descriptor that could write.
  local kinds = {
    ["ACCESS_READ"] = { access = mmap.ACCESS_READ },
    ["prot PROT_READ"] = { prot = mmap.PROT_READ },
    ["prot 0"] = { prot = 0 },
  }
  for name, opts in pairs(kinds) do
    it("raises on a read-only map (" .. name .. ") and the file keeps its bytes", function()
      local path = H.tmpfile(("F"):rep(2 * P))
      local f = assert(io.open(path, "r+b"))
      local mm = H.keep(assert(mmap.mmap(f, 0, opts)))
      f:close()
      H.raises(H.MSG.readonly, mm.madvise, mm, mmap.MADV_REMOVE)
      H.raises(H.MSG.readonly, mm.madvise, mm, mmap.MADV_REMOVE, 0, P)
      assert.is_true(mm:madvise(mmap.MADV_NORMAL))  -- other advice is fine
      assert.are.equal(("F"):rep(2 * P), H.slurp(path))
    end)
  end

  it("is still given to a writable map (true, or the system's refusal)", function()
    local path = H.tmpfile(("F"):rep(2 * P))
    local mm = H.keep(assert(mmap.open(path, "r+")))
    local ok, msg, code = mm:madvise(mmap.MADV_REMOVE, 0, P)
    if ok then
      assert.are.equal(("\0"):rep(P) .. ("F"):rep(P), H.slurp(path))
    else
      H.oserror(nil, ok, msg, code)  -- EOPNOTSUPP where holes cannot be punched
    end
  end)
end)
