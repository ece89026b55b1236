-- The module table: require, _VERSION, mmap.type and the constants (doc/mmap.md §2 and §10).
local H = require "helper"

describe("the mmap module", function()
  local mmap

  setup(function()
    mmap = require "mmap"
  end)

  after_each(function()
    H.cleanup()
  end)

  it("is a table with the constructor and mmap.open", function()
    assert.are.equal("table", type(mmap))
    assert.are.equal("function", type(mmap.mmap))
    assert.are.equal("function", type(mmap.open))
    assert.are.equal("function", type(mmap.type))
  end)

  it("is the same table when required again", function()
    assert.are.equal(mmap, require "mmap")
  end)

  describe("_VERSION", function()
    it("has the form 'mmap X.Y.Z'", function()
      assert.are.equal("string", type(mmap._VERSION))
      assert.truthy(mmap._VERSION:match("^mmap %d+%.%d+%.%d+$"),
        "bad _VERSION: " .. tostring(mmap._VERSION))
    end)

    it("is 'mmap 0.1.0'", function()
      assert.are.equal("mmap 0.1.0", mmap._VERSION)
    end)
  end)

  describe("mmap.type", function()
    it("is 'mmap' for an open anonymous map", function()
      local m = assert(mmap.mmap(-1, 16))
      assert.are.equal("mmap", mmap.type(m))
      m:close()
    end)

    it("is 'mmap' for an open file map", function()
      local path = H.tmpfile("0123456789")
      local m = assert(mmap.open(path))
      assert.are.equal("mmap", mmap.type(m))
      m:close()
    end)

    it("is 'closed mmap' for a closed map", function()
      local m = assert(mmap.mmap(-1, 16))
      m:close()
      assert.are.equal("closed mmap", mmap.type(m))
    end)

    -- `<close>` exists from 5.4 on: pending before. The body is compiled
    -- apart, so it requires the module itself instead of the local `mmap`.
    local it_close = H.CLOSE and it or pending
    it_close("is 'closed mmap' after closing through __close",
      H.close_body([[
      local mmap = require "mmap"
      local keep
      do
        local m <close> = assert(mmap.mmap(-1, 16))
        keep = m
        assert.are.equal("mmap", mmap.type(keep))
      end
      assert.are.equal("closed mmap", mmap.type(keep))
    ]], _ENV))

    it("is nil for values that are not maps", function()
      assert.is_nil(mmap.type("mmap"))
      assert.is_nil(mmap.type(""))
      assert.is_nil(mmap.type({}))
      assert.is_nil(mmap.type(setmetatable({}, { __name = "mmap" })))
      assert.is_nil(mmap.type(42))
      assert.is_nil(mmap.type(nil))
      assert.is_nil(mmap.type(true))
      assert.is_nil(mmap.type(print))
      assert.is_nil(mmap.type(coroutine.create(function() end)))
    end)

    it("is nil for Lua files, open or closed", function()
      local path = H.tmpfile("abc")
      local f = assert(io.open(path, "rb"))
      assert.is_nil(mmap.type(f))
      f:close()
      assert.is_nil(mmap.type(f))
      assert.is_nil(mmap.type(io.stdout))
    end)

    it("returns exactly one value", function()
      local m = assert(mmap.mmap(-1, 16))
      assert.are.equal(1, select("#", mmap.type(m)))
      assert.are.equal(1, select("#", mmap.type("x")))
      m:close()
    end)
  end)

  describe("constants", function()
    local function is_int(name)
      local v = mmap[name]
      assert(H.isint(v),
        "mmap." .. name .. " should be an integer, got " .. tostring(v))
      return v
    end

    it("PAGESIZE is a power of two of at least 4096", function()
      local ps = is_int("PAGESIZE")
      assert.is_true(ps >= 4096)
      assert.are.equal(0, H.band(ps, ps - 1))
    end)

    H.gate(H.notwin("Windows: ALLOCATIONGRANULARITY is 64 KiB, larger than the page"), it, pending)(
        "ALLOCATIONGRANULARITY equals PAGESIZE", function()
      assert.are.equal(is_int("PAGESIZE"), is_int("ALLOCATIONGRANULARITY"))
    end)

    H.gate(H.notwin("Windows aligns file offsets to ALLOCATIONGRANULARITY (64 KiB), not to PAGESIZE"), it, pending)(
        "PAGESIZE is the size the kernel uses to align file offsets", function()
      local ps = mmap.PAGESIZE
      local path = H.tmpfile(string.rep("a", ps) .. string.rep("b", ps))
      local f = assert(io.open(path, "rb"))
      local m = assert(mmap.mmap(f, 0, { access = mmap.ACCESS_READ, offset = ps }))
      assert.are.equal(ps, #m)
      assert.are.equal(string.rep("b", ps), m:read())
      m:close()
      H.oserror(H.EINVAL, mmap.mmap(f, 1, { access = mmap.ACCESS_READ, offset = H.idiv(ps, 2) }))
      f:close()
    end)

    it("ACCESS_* are 0..3", function()
      assert.are.equal(0, is_int("ACCESS_DEFAULT"))
      assert.are.equal(1, is_int("ACCESS_READ"))
      assert.are.equal(2, is_int("ACCESS_WRITE"))
      assert.are.equal(3, is_int("ACCESS_COPY"))
    end)

    H.gate(H.NOTWIN.flags, it, pending)("PROT_* have the Linux values", function()
      assert.are.equal(1, is_int("PROT_READ"))
      assert.are.equal(2, is_int("PROT_WRITE"))
      assert.are.equal(4, is_int("PROT_EXEC"))
    end)

    H.gate(H.linux("most MAP_* constants") or H.NOTWIN.flags, it, pending)(
        "MAP_* have the Linux x86_64 values", function()
      local want = {
        MAP_SHARED = 0x01,
        MAP_PRIVATE = 0x02,
        MAP_ANON = 0x20,
        MAP_ANONYMOUS = 0x20,
        MAP_32BIT = 0x40,
        MAP_DENYWRITE = 0x800,
        MAP_EXECUTABLE = 0x1000,
        MAP_NORESERVE = 0x4000,
        MAP_POPULATE = 0x8000,
        MAP_STACK = 0x20000,
        MAP_HUGETLB = 0x40000,
      }
      for name, value in pairs(want) do
        assert(is_int(name) == value,
          ("mmap.%s: expected %d, got %d"):format(name, value, mmap[name]))
      end
    end)

    H.gate(H.linux("madvise and most MADV_* constants") or H.NOTWIN.madvise, it, pending)(
        "MADV_* have the Linux values", function()
      local want = {
        MADV_NORMAL = 0,
        MADV_RANDOM = 1,
        MADV_SEQUENTIAL = 2,
        MADV_WILLNEED = 3,
        MADV_DONTNEED = 4,
        MADV_FREE = 8,
        MADV_REMOVE = 9,
        MADV_DONTFORK = 10,
        MADV_DOFORK = 11,
        MADV_MERGEABLE = 12,
        MADV_UNMERGEABLE = 13,
        MADV_HUGEPAGE = 14,
        MADV_NOHUGEPAGE = 15,
        MADV_DONTDUMP = 16,
        MADV_DODUMP = 17,
        MADV_HWPOISON = 100,
      }
      for name, value in pairs(want) do
        assert(is_int(name) == value,
          ("mmap.%s: expected %d, got %d"):format(name, value, mmap[name]))
      end
    end)

    H.gate(H.NOTWIN.msflags, it, pending)("MS_ASYNC, MS_INVALIDATE and MS_SYNC exist with the Linux values", function()
      assert.are.equal(1, is_int("MS_ASYNC"))
      assert.are.equal(2, is_int("MS_INVALIDATE"))
      assert.are.equal(4, is_int("MS_SYNC"))
    end)

    it("ACCESS_* name distinct values and MS_* distinct bits", function()
      local seen = {}
      for _, n in ipairs { "ACCESS_DEFAULT", "ACCESS_READ", "ACCESS_WRITE", "ACCESS_COPY" } do
        assert.is_nil(seen[mmap[n]])
        seen[mmap[n]] = true
      end
      if H.WINDOWS then return end  -- no MS_ flags there
      assert.are.equal(0, H.band(mmap.MS_ASYNC, mmap.MS_SYNC))
      assert.are.equal(0, H.band(mmap.MS_ASYNC, mmap.MS_INVALIDATE))
      assert.are.equal(0, H.band(mmap.MS_SYNC, mmap.MS_INVALIDATE))
    end)

    it("leaves out the constants that glibc's <sys/mman.h> does not define", function()
      local absent = {
        -- documented by Python, not defined by glibc on Linux
        "MADV_SOFT_OFFLINE",
        -- FreeBSD
        "MADV_NOSYNC", "MADV_AUTOSYNC", "MADV_NOCORE", "MADV_CORE", "MADV_PROTECT",
        "MAP_ALIGNED_SUPER",
        -- macOS
        "MADV_FREE_REUSABLE", "MADV_FREE_REUSE",
        "MAP_HASSEMAPHORE", "MAP_NOCACHE", "MAP_NOEXTEND", "MAP_JIT",
        "MAP_RESILIENT_CODESIGN", "MAP_RESILIENT_MEDIA",
        "MAP_TRANSLATED_ALLOW_EXECUTE", "MAP_UNIX03", "MAP_TPRO",
        -- OpenBSD
        "MAP_CONCEAL",
      }
      for _, name in ipairs(absent) do
        assert(mmap[name] == nil,
          "mmap." .. name .. " should be absent on Linux, got " .. tostring(mmap[name]))
      end
    end)

    it("the access constants are accepted by the constructor", function()
      for name, label in pairs {
        ACCESS_DEFAULT = "ACCESS_DEFAULT", ACCESS_READ = "ACCESS_READ",
        ACCESS_WRITE = "ACCESS_WRITE", ACCESS_COPY = "ACCESS_COPY",
      } do
        local m = assert(mmap.mmap(-1, 8, { access = mmap[name] }))
        assert.truthy(tostring(m):find("access=" .. label .. ",", 1, true))
        m:close()
      end
    end)
  end)
end)
