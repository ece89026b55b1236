-- mmap.mmap(fileno, length [, flags [, prot [, access [, offset]]]]) and
-- mmap.mmap(fileno, length, opts): SPEC §2, §7.4, §7.5 and the decisions.
local H = require "helper"
local mmap = require "mmap"

local PS = mmap.PAGESIZE
local ACCESS_DEFAULT, ACCESS_READ, ACCESS_WRITE, ACCESS_COPY =
  mmap.ACCESS_DEFAULT, mmap.ACCESS_READ, mmap.ACCESS_WRITE, mmap.ACCESS_COPY
local MAP_SHARED, MAP_PRIVATE = mmap.MAP_SHARED, mmap.MAP_PRIVATE
local PROT_READ, PROT_WRITE = mmap.PROT_READ, mmap.PROT_WRITE

local TEN = "0123456789"
local MSG = {
  length = "memory mapped length must be positive",
  offset = "memory mapped offset must be positive",
  both = "mmap can't specify both access and flags, prot.",
  access = "mmap invalid access parameter.",
  empty = "cannot mmap an empty file",
  offbig = "mmap offset is greater than file size",
  lenbig = "mmap length is greater than file size",
  readonly = "mmap can't modify a readonly memory map.",
  unreadable = "mmap is not readable",
}

-- The access name that tostring(m) reports.
local function access_of(m)
  return tostring(m):match("access=([%u_]+)")
end

-- A file of `content`, opened with `mode` ("r+b" unless given).
local function open_tmp(content, mode)
  local path = H.tmpfile(content)
  return assert(io.open(path, mode or "r+b")), path
end

-- Descriptor numbers of this process that point at `path` (from /proc).
local function fds_of(path)
  local p = assert(io.popen("ls -l /proc/" .. H.pid() .. "/fd"))
  local out = {}
  for line in p:lines() do
    local n, target = line:match("(%d+) %-> (.*)$")
    if target == path then out[#out + 1] = tonumber(n) end
  end
  p:close()
  table.sort(out)
  return out
end

-- The open flags of descriptor `fd` of this process (from /proc fdinfo).
local function fd_flags(fd)
  local f = assert(io.open("/proc/" .. H.pid() .. "/fdinfo/" .. fd, "r"))
  local s = f:read("a")
  f:close()
  return tonumber(s:match("flags:%s*(%d+)"), 8)
end
local O_CLOEXEC = 0x80000 -- 02000000 octal on Linux

-- How many descriptors this process holds, counted without spawning a process:
-- /proc/self/fdinfo/N exists exactly when N is open (the descriptor that
-- io.open takes for the probe is not installed yet while the path is looked
-- up, so it never counts itself). H.fdcount() lists /proc through io.popen and
-- can see popen's own pipe end before the parent closes it, so it is sometimes
-- one too high; these specs need an exact count.
local function fdcount()
  local n = 0
  for fd = 0, 1023 do
    local f = io.open("/proc/self/fdinfo/" .. fd, "r")
    if f then
      n = n + 1
      f:close()
    end
  end
  return n
end

-- A descriptor number that is certainly not open in this process.
local BADFD = 19999

describe("mmap.mmap", function()
  after_each(function()
    H.cleanup()
  end)

  describe("with a Lua file handle", function()
    it("maps the whole file with length 0", function()
      local f = open_tmp(TEN)
      local m = assert(mmap.mmap(f, 0))
      assert.are.equal("<mmap.mmap closed=false, access=ACCESS_DEFAULT, length=10, pos=0, offset=0>",
        tostring(m))
      assert.are.equal(10, #m)
      assert.are.equal(TEN, m:read())
      assert.are.equal("mmap", mmap.type(m))
      m:close()
      f:close()
    end)

    it("maps a prefix with a positive length", function()
      local f = open_tmp(TEN)
      local m = assert(mmap.mmap(f, 4))
      assert.are.equal(4, #m)
      assert.are.equal("0123", m:read())
      m:close()
      f:close()
    end)

    it("maps the whole file when length equals the size", function()
      local f = open_tmp(TEN)
      local m = assert(mmap.mmap(f, 10))
      assert.are.equal(10, #m)
      m:close()
      f:close()
    end)

    it("flushes the handle's buffer first", function()
      local path = H.tmpfile("")
      local f = assert(io.open(path, "w+b"))
      f:write("hello")
      local m = assert(mmap.mmap(f, 0))
      assert.are.equal(5, #m)
      assert.are.equal("hello", m:read())
      m:close()
      f:close()
    end)

    it("does not move the handle's position", function()
      local f = open_tmp(TEN)
      assert.are.equal(3, f:seek("set", 3))
      local m = assert(mmap.mmap(f, 0))
      assert.are.equal(3, f:seek())
      assert.are.equal("34", f:read(2))
      m:close()
      f:close()
    end)

    it("raises on a closed handle", function()
      local f = open_tmp(TEN)
      f:close()
      H.raises("attempt to use a closed file", mmap.mmap, f, 0)
      H.raises("attempt to use a closed file", mmap.mmap, f, 0, { access = ACCESS_READ })
    end)

    it("is not affected by closing the handle afterwards", function()
      local f, path = open_tmp(TEN)
      local m = assert(mmap.mmap(f, 0))
      f:close()
      assert.are.equal(TEN, m:read())
      assert.are.equal(10, m:size())
      m[0] = ("X"):byte()
      assert.are.equal("X123456789", H.slurp(path))
      m:close()
    end)

    it("leaves the handle open and usable after the map is closed", function()
      local f = open_tmp(TEN)
      local m = assert(mmap.mmap(f, 0))
      m:close()
      assert.are.equal("file", io.type(f))
      f:seek("set", 0)
      assert.are.equal(TEN, f:read("a"))
      f:close()
    end)

    it("holds one extra descriptor, a close-on-exec dup, until closed", function()
      local f, path = open_tmp(TEN)
      local base = fdcount()
      local before = fds_of(path)
      assert.are.equal(1, #before)
      local m = assert(mmap.mmap(f, 0))
      assert.are.equal(base + 1, fdcount())
      local after = fds_of(path)
      assert.are.equal(2, #after)
      local dup = after[1] == before[1] and after[2] or after[1]
      assert.are_not.equal(before[1], dup)
      assert.are.equal(O_CLOEXEC, fd_flags(dup) & O_CLOEXEC)
      m:close()
      assert.are.equal(base, fdcount())
      m:close()
      assert.are.equal(base, fdcount())
      f:close()
    end)

    it("releases its descriptor when collected", function()
      local f = open_tmp(TEN)
      local base = fdcount()
      local m = assert(mmap.mmap(f, 0))
      assert.are.equal(base + 1, fdcount())
      m = nil -- luacheck: ignore
      collectgarbage()
      collectgarbage()
      assert.are.equal(base, fdcount())
      f:close()
    end)

    it("still reads and reports the size after the handle is closed", function()
      local f = open_tmp(string.rep("z", 100))
      local m = assert(mmap.mmap(f, 10))
      f:close()
      collectgarbage()
      assert.are.equal(string.rep("z", 10), m:read())
      assert.are.equal(100, m:size())
      m:close()
    end)
  end)

  describe("with an integer descriptor", function()
    it("maps a real descriptor number and dups it", function()
      local f, path = open_tmp(TEN)
      local fds = fds_of(path)
      assert.are.equal(1, #fds)
      local fd = fds[1]
      local m = assert(mmap.mmap(fd, 0))
      assert.are.equal(TEN, m:read())
      f:close()
      assert.are.equal(1, #fds_of(path)) -- only the map's own dup is left
      assert.are.equal(10, m:size())
      assert.are.equal(("0"):byte(), m[0])
      m:close()
      assert.are.equal(0, #fds_of(path))
    end)

    it("returns nil, 'Bad file descriptor', 9 for a descriptor that is not open", function()
      local v, msg, code = mmap.mmap(BADFD, 4096)
      H.oserror(H.EBADF, v, msg, code)
      assert.are.equal("Bad file descriptor", msg)
      H.oserror(H.EBADF, mmap.mmap(BADFD, 0))
      H.oserror(H.EBADF, mmap.mmap(BADFD, 4096, { access = ACCESS_READ }))
    end)

    it("treats negative numbers other than -1 as bad descriptors", function()
      H.oserror(H.EBADF, mmap.mmap(-2, 4096))
      H.oserror(H.EBADF, mmap.mmap(-2, 4096, { trackfd = false }))
      H.oserror(H.EBADF, mmap.mmap(-1000, 4096))
    end)

    it("treats integers outside the C int range as bad descriptors", function()
      H.oserror(H.EBADF, mmap.mmap(1 << 32, 4096))
      H.oserror(H.EBADF, mmap.mmap((1 << 32) - 1, 4096))
      H.oserror(H.EBADF, mmap.mmap(math.maxinteger, 4096))
      H.oserror(H.EBADF, mmap.mmap(math.mininteger, 4096))
      -- (1<<32)-1 must not wrap to -1 (anonymous) nor 1<<32 to 0 (stdin)
    end)

    it("returns EBADF for a descriptor that was just closed", function()
      local f, path = open_tmp(TEN)
      local fd = fds_of(path)[1]
      f:close()
      H.oserror(H.EBADF, mmap.mmap(fd, 0))
    end)

    -- Argument errors are called from a Lua function (not through pcall
    -- directly, and not as a tail call) so that Lua names the function 'mmap'.
    it("rejects a fileno that is neither an integer nor a file", function()
      H.raises("bad argument #1 to 'mmap' (file or integer expected, got table)",
        function() mmap.mmap({}, 10) end)
      H.raises("bad argument #1 to 'mmap' (file or integer expected, got nil)",
        function() mmap.mmap(nil, 10) end)
      H.raises("bad argument #1 to 'mmap' (file or integer expected, got boolean)",
        function() mmap.mmap(true, 10) end)
    end)

    it("raises Lua's own type errors for a bad length", function()
      H.raises("bad argument #2 to 'mmap' (number expected, got string)",
        function() mmap.mmap(-1, "ten") end)
      H.raises("bad argument #2 to 'mmap' (number has no integer representation)",
        function() mmap.mmap(-1, 1.5) end)
      H.raises("bad argument #2 to 'mmap' (number expected, got no value)",
        function() mmap.mmap(-1) end)
    end)

    it("rejects flags and prot outside the C int range", function()
      H.raises("bad argument #3 to 'mmap' (value out of range)",
        function() mmap.mmap(-1, 10, 1 << 32) end)
      H.raises("bad argument #4 to 'mmap' (value out of range)",
        function() mmap.mmap(-1, 10, MAP_SHARED, 1 << 40) end)
      H.raises("bad argument #3 to 'mmap' (value out of range)",
        function() mmap.mmap(-1, 10, math.mininteger) end)
    end)
  end)

  describe("anonymous (-1)", function()
    it("gives zero-filled, writable memory", function()
      local m = assert(mmap.mmap(-1, 100))
      assert.are.equal(100, #m)
      assert.are.equal(string.rep("\0", 100), m:read())
      assert.are.equal("ACCESS_DEFAULT", access_of(m))
      assert.are.equal(3, m:seek(3))
      assert.are.equal(5, m:write("hello"))
      assert.are.equal(("h"):byte(), m[3])
      assert.are.equal("\0\0\0hello\0\0", m:slice(0, 10))
      assert.are.equal(100, m:size())
      m:close()
    end)

    it("accepts a length that is not a page multiple", function()
      local m = assert(mmap.mmap(-1, 1))
      assert.are.equal(1, #m)
      assert.are.equal(0, m[0])
      m:close()
      m = assert(mmap.mmap(-1, PS + 1))
      assert.are.equal(PS + 1, #m)
      assert.are.equal(0, m[PS])
      m:close()
    end)

    it("accepts an integral float length and ignores extra arguments", function()
      local m = assert(mmap.mmap(-1, 16.0))
      assert.are.equal(16, #m)
      m:close()
      m = assert(mmap.mmap(-1, 16, nil, nil, nil, nil, "extra"))
      assert.are.equal(16, #m)
      m:close()
      m = assert(mmap.mmap(-1, 16, { access = ACCESS_WRITE }, "extra"))
      assert.are.equal("ACCESS_WRITE", access_of(m))
      m:close()
    end)

    it("returns nil, 'Invalid argument', 22 for length 0", function()
      local v, msg, code = mmap.mmap(-1, 0)
      H.oserror(H.EINVAL, v, msg, code)
      assert.are.equal("Invalid argument", msg)
    end)

    it("ignores an aligned offset but reports it", function()
      local m = assert(mmap.mmap(-1, 10, nil, nil, nil, PS))
      assert.are.equal(10, #m)
      assert.are.equal(0, m[0])
      assert.truthy(tostring(m):find("offset=" .. PS .. ">", 1, true))
      m:close()
    end)

    it("fails with EINVAL for an unaligned offset", function()
      H.oserror(H.EINVAL, mmap.mmap(-1, 10, nil, nil, nil, 1))
    end)

    it("accepts ACCESS_READ, ACCESS_WRITE and ACCESS_COPY", function()
      local m = assert(mmap.mmap(-1, 10, nil, nil, ACCESS_READ))
      assert.are.equal("ACCESS_READ", access_of(m))
      assert.are.equal(0, m[9])
      H.raises(MSG.readonly, function() m[0] = 1 end)
      m:close()
      m = assert(mmap.mmap(-1, 10, nil, nil, ACCESS_WRITE))
      assert.are.equal("ACCESS_WRITE", access_of(m))
      m[0] = 7
      assert.are.equal(7, m[0])
      m:close()
      m = assert(mmap.mmap(-1, 10, nil, nil, ACCESS_COPY))
      assert.are.equal("ACCESS_COPY", access_of(m))
      m[0] = 8
      assert.are.equal(8, m[0])
      m:close()
    end)

    it("accepts MAP_PRIVATE and keeps ACCESS_DEFAULT", function()
      local m = assert(mmap.mmap(-1, 10, MAP_PRIVATE))
      assert.are.equal("ACCESS_DEFAULT", access_of(m))
      m[0] = 9
      assert.are.equal(9, m[0])
      m:close()
    end)

    it("with prot=PROT_WRITE is ACCESS_WRITE: writable but not readable", function()
      local m = assert(mmap.mmap(-1, 10, MAP_SHARED, PROT_WRITE))
      assert.are.equal("ACCESS_WRITE", access_of(m))
      assert.are.equal(2, m:write("ab"))
      m[5] = 1
      H.raises(MSG.unreadable, function() return m[0] end)
      H.raises(MSG.unreadable, m.read, m)
      m:close()
    end)

    it("with prot=0 is ACCESS_READ and raises on every read instead of crashing", function()
      local m = assert(mmap.mmap(-1, 10, nil, 0))
      assert.are.equal("ACCESS_READ", access_of(m))
      assert.are.equal(10, #m)
      H.raises(MSG.unreadable, function() return m[0] end)
      H.raises(MSG.unreadable, m.read, m)
      H.raises(MSG.unreadable, m.read, m, 1)
      H.raises(MSG.unreadable, m.read_byte, m)
      H.raises(MSG.unreadable, m.readline, m)
      H.raises(MSG.unreadable, m.find, m, "x")
      H.raises(MSG.unreadable, m.rfind, m, "x")
      H.raises(MSG.unreadable, m.slice, m, 0, 5)
      H.raises(MSG.readonly, m.write, m, "x")
      H.raises(MSG.readonly, function() m[0] = 1 end)
      m:close()
    end)

    it("with prot=PROT_READ is ACCESS_READ", function()
      local m = assert(mmap.mmap(-1, 10, nil, PROT_READ))
      assert.are.equal("ACCESS_READ", access_of(m))
      assert.are.equal(0, m[0])
      H.raises(MSG.readonly, m.write, m, "x")
      m:close()
    end)

    it("returns nil, 'Invalid argument', 22 for flags=0", function()
      local v, msg, code = mmap.mmap(-1, 10, 0)
      H.oserror(H.EINVAL, v, msg, code)
      assert.are.equal("Invalid argument", msg)
      H.oserror(H.EINVAL, mmap.mmap(-1, 10, { flags = 0 }))
    end)

    it("works with trackfd=false", function()
      local m = assert(mmap.mmap(-1, 10, { trackfd = false }))
      m[0] = 1
      assert.are.equal(1, m[0])
      m:close()
    end)

    it("holds no descriptor", function()
      local base = fdcount()
      local m = assert(mmap.mmap(-1, 10))
      assert.are.equal(base, fdcount())
      m:close()
    end)
  end)

  describe("checks, in Python's order", function()
    it("length < 0", function()
      local f = open_tmp(TEN)
      H.raises(MSG.length, mmap.mmap, f, -1)
      H.raises(MSG.length, mmap.mmap, -1, -1)
      H.raises(MSG.length, mmap.mmap, f, math.mininteger)
      H.raises(MSG.length, mmap.mmap, f, -1, { offset = -1 })
      H.raises(MSG.length, mmap.mmap, f, -1, nil, nil, nil, -1)
      f:close()
    end)

    it("length < 0 wins over a bad access, flags and a bad fd", function()
      local f = open_tmp(TEN)
      H.raises(MSG.length, mmap.mmap, f, -1, nil, nil, 4)
      H.raises(MSG.length, mmap.mmap, f, -1, { access = 4 })
      H.raises(MSG.length, mmap.mmap, f, -1, MAP_PRIVATE, nil, ACCESS_READ)
      H.raises(MSG.length, mmap.mmap, BADFD, -1)
      f:close()
    end)

    it("offset < 0", function()
      local f = open_tmp(TEN)
      H.raises(MSG.offset, mmap.mmap, f, 5, { offset = -1 })
      H.raises(MSG.offset, mmap.mmap, f, 0, { offset = -PS })
      H.raises(MSG.offset, mmap.mmap, f, 0, nil, nil, nil, -1)
      H.raises(MSG.offset, mmap.mmap, f, 0, nil, nil, nil, math.mininteger)
      H.raises(MSG.offset, mmap.mmap, -1, 10, nil, nil, nil, -PS)
      f:close()
    end)

    it("offset < 0 wins over a bad access and flags", function()
      local f = open_tmp(TEN)
      H.raises(MSG.offset, mmap.mmap, f, 5, { offset = -1, access = 4 })
      H.raises(MSG.offset, mmap.mmap, f, 5, MAP_PRIVATE, nil, ACCESS_READ, -1)
      f:close()
    end)

    it("access together with non-default flags or prot", function()
      local f = open_tmp(TEN)
      H.raises(MSG.both, mmap.mmap, f, 10, MAP_PRIVATE, nil, ACCESS_WRITE)
      H.raises(MSG.both, mmap.mmap, f, 10, nil, PROT_READ, ACCESS_READ)
      H.raises(MSG.both, mmap.mmap, f, 10, { flags = MAP_PRIVATE, access = ACCESS_COPY })
      H.raises(MSG.both, mmap.mmap, f, 10, { prot = PROT_READ, access = ACCESS_READ })
      H.raises(MSG.both, mmap.mmap, f, 10,
        { flags = MAP_SHARED | mmap.MAP_POPULATE, access = ACCESS_READ })
      H.raises(MSG.both, mmap.mmap, -1, 10, { prot = 0, access = ACCESS_WRITE })
      f:close()
    end)

    it("compares flags and prot with the default values, not with 'given'", function()
      local f = open_tmp(TEN)
      local m = assert(mmap.mmap(f, 10, MAP_SHARED, nil, ACCESS_READ))
      assert.are.equal("ACCESS_READ", access_of(m))
      m:close()
      m = assert(mmap.mmap(f, 10, nil, PROT_READ | PROT_WRITE, ACCESS_READ))
      assert.are.equal("ACCESS_READ", access_of(m))
      m:close()
      m = assert(mmap.mmap(f, 10, { flags = MAP_SHARED, prot = 3, access = ACCESS_COPY }))
      assert.are.equal("ACCESS_COPY", access_of(m))
      m:close()
      m = assert(mmap.mmap(f, 10, MAP_PRIVATE, nil, ACCESS_DEFAULT))
      assert.are.equal("ACCESS_DEFAULT", access_of(m))
      m:close()
      f:close()
    end)

    it("'both' wins over an invalid access", function()
      local f = open_tmp(TEN)
      H.raises(MSG.both, mmap.mmap, f, 10, MAP_PRIVATE, nil, 4)
      H.raises(MSG.both, mmap.mmap, f, 10, { prot = PROT_READ, access = -1 })
      f:close()
    end)

    it("access not in 0..3, negative and huge included", function()
      local f = open_tmp(TEN)
      for _, a in ipairs { 4, 5, -1, 100, 1 << 31, 1 << 40, math.maxinteger, math.mininteger } do
        H.raises(MSG.access, mmap.mmap, f, 10, nil, nil, a)
        H.raises(MSG.access, mmap.mmap, f, 10, { access = a })
      end
      H.raises(MSG.access, mmap.mmap, -1, 10, { access = 4 })
      f:close()
    end)

    it("an invalid access wins over the file checks and the fd", function()
      local e = open_tmp("")
      H.raises(MSG.access, mmap.mmap, e, 0, { access = 4 })
      H.raises(MSG.access, mmap.mmap, BADFD, 10, { access = 4 })
      e:close()
    end)

    it("empty file with length 0", function()
      local e = open_tmp("")
      H.raises(MSG.empty, mmap.mmap, e, 0)
      H.raises(MSG.empty, mmap.mmap, e, 0, { offset = PS })
      H.raises(MSG.empty, mmap.mmap, e, 0, { access = ACCESS_READ })
      e:close()
    end)

    it("empty file with a positive length", function()
      local e = open_tmp("")
      H.raises(MSG.lenbig, mmap.mmap, e, 1)
      e:close()
    end)

    it("length 0 and offset >= size", function()
      local f = open_tmp(TEN)
      H.raises(MSG.offbig, mmap.mmap, f, 0, { offset = PS })
      f:close()
      local big = open_tmp(string.rep("b", 3 * PS + 10))
      H.raises(MSG.offbig, mmap.mmap, big, 0, { offset = 4 * PS })
      big:close()
      local exact = open_tmp(string.rep("e", 2 * PS))
      H.raises(MSG.offbig, mmap.mmap, exact, 0, { offset = 2 * PS })
      exact:close()
    end)

    it("offset + length > size", function()
      local f = open_tmp(TEN)
      H.raises(MSG.lenbig, mmap.mmap, f, 11)
      f:close()
      local big = open_tmp(string.rep("b", 3 * PS + 10))
      H.raises(MSG.lenbig, mmap.mmap, big, PS + 11, { offset = 2 * PS })
      H.raises(MSG.lenbig, mmap.mmap, big, 1, { offset = 4 * PS })
      local m = assert(mmap.mmap(big, PS + 10, { offset = 2 * PS }))
      assert.are.equal(PS + 10, #m)
      m:close()
      big:close()
    end)

    it("never extends the file", function()
      local f, path = open_tmp(TEN)
      H.raises(MSG.lenbig, mmap.mmap, f, PS)
      assert.are.equal(10, H.filesize(path))
      f:close()
    end)

    it("file checks come before mmap(2) failures", function()
      -- a read-only descriptor would give EACCES, an unaligned offset EINVAL
      local f = open_tmp(TEN, "rb")
      H.raises(MSG.lenbig, mmap.mmap, f, 11)
      H.raises(MSG.offbig, mmap.mmap, f, 0, { offset = 11 })
      f:close()
      local e = open_tmp("", "rb")
      H.raises(MSG.empty, mmap.mmap, e, 0)
      e:close()
    end)

    it("huge lengths do not overflow", function()
      local f = open_tmp(TEN)
      H.raises(MSG.lenbig, mmap.mmap, f, math.maxinteger)
      H.raises(MSG.lenbig, mmap.mmap, f, math.maxinteger, { offset = PS })
      H.raises(MSG.lenbig, mmap.mmap, f, math.maxinteger - 5)
      f:close()
    end)

    it("huge offsets do not overflow", function()
      local f = open_tmp(TEN)
      H.raises(MSG.offbig, mmap.mmap, f, 0, { offset = math.maxinteger })
      H.raises(MSG.offbig, mmap.mmap, f, 0, { offset = 1 << 62 })
      H.raises(MSG.lenbig, mmap.mmap, f, 1, { offset = math.maxinteger })
      H.raises(MSG.lenbig, mmap.mmap, f, 1, { offset = 1 << 62 })
      H.raises(MSG.lenbig, mmap.mmap, f, math.maxinteger, { offset = math.maxinteger })
      H.raises(MSG.lenbig, mmap.mmap, f, 10, nil, nil, nil, math.maxinteger - PS + 1)
      f:close()
    end)

    it("skips the file-size checks for files that are not regular", function()
      local z = assert(io.open("/dev/zero", "rb"))
      -- an offset far beyond anything is fine for /dev/zero
      local m = assert(mmap.mmap(z, PS, { access = ACCESS_READ, offset = 1 << 40 }))
      assert.are.equal(PS, #m)
      assert.are.equal(0, m[PS - 1])
      m:close()
      -- length 0 is not turned into "cannot mmap an empty file": mmap(2) says EINVAL
      H.oserror(H.EINVAL, mmap.mmap(z, 0, { access = ACCESS_READ }))
      z:close()
    end)
  end)

  describe("access derivation on files", function()
    it("ACCESS_DEFAULT writes reach the file", function()
      local f, path = open_tmp(TEN)
      local m = assert(mmap.mmap(f, 0))
      assert.are.equal("ACCESS_DEFAULT", access_of(m))
      m:write("AB")
      assert.are.equal("AB23456789", H.slurp(path))
      m:close()
      f:close()
    end)

    it("ACCESS_READ is read-only", function()
      local f, path = open_tmp(TEN)
      local m = assert(mmap.mmap(f, 0, nil, nil, ACCESS_READ))
      assert.are.equal("ACCESS_READ", access_of(m))
      assert.are.equal(TEN, m:read())
      H.raises(MSG.readonly, function() m[0] = 65 end)
      H.raises(MSG.readonly, m.write, m, "x")
      H.raises(MSG.readonly, m.write_byte, m, 65)
      assert.are.equal(TEN, H.slurp(path))
      m:close()
      f:close()
    end)

    it("ACCESS_WRITE writes reach the file", function()
      local f, path = open_tmp(TEN)
      local m = assert(mmap.mmap(f, 0, { access = ACCESS_WRITE }))
      assert.are.equal("ACCESS_WRITE", access_of(m))
      m[9] = ("Z"):byte()
      assert.are.equal("012345678Z", H.slurp(path))
      m:close()
      f:close()
    end)

    it("ACCESS_COPY writes stay in the map", function()
      local f, path = open_tmp(TEN)
      local m = assert(mmap.mmap(f, 0, { access = ACCESS_COPY }))
      assert.are.equal("ACCESS_COPY", access_of(m))
      m:write("copy")
      assert.are.equal("copy456789", m:slice())
      assert.are.equal(TEN, H.slurp(path))
      m:close()
      assert.are.equal(TEN, H.slurp(path))
      f:close()
    end)

    it("flags=MAP_PRIVATE with the default prot is ACCESS_DEFAULT, writes stay private", function()
      local f, path = open_tmp(TEN)
      local m = assert(mmap.mmap(f, 0, MAP_PRIVATE))
      assert.are.equal("ACCESS_DEFAULT", access_of(m))
      m:write("priv")
      assert.are.equal("priv456789", m:slice())
      assert.are.equal(TEN, H.slurp(path))
      m:close()
      f:close()
    end)

    it("prot=PROT_READ is ACCESS_READ", function()
      local f = open_tmp(TEN)
      local m = assert(mmap.mmap(f, 0, nil, PROT_READ))
      assert.are.equal("ACCESS_READ", access_of(m))
      H.raises(MSG.readonly, m.write, m, "x")
      m:close()
      m = assert(mmap.mmap(f, 0, { prot = PROT_READ }))
      assert.are.equal("ACCESS_READ", access_of(m))
      m:close()
      f:close()
    end)

    it("prot=PROT_READ|PROT_WRITE is ACCESS_DEFAULT", function()
      local f = open_tmp(TEN)
      local m = assert(mmap.mmap(f, 0, { prot = PROT_READ | PROT_WRITE }))
      assert.are.equal("ACCESS_DEFAULT", access_of(m))
      m:close()
      f:close()
    end)
  end)

  describe("OS failures return nil, message, errno", function()
    it("an unaligned offset gives EINVAL", function()
      local big = open_tmp(string.rep("b", 3 * PS + 10))
      local v, msg, code = mmap.mmap(big, 10, { offset = 1 })
      H.oserror(H.EINVAL, v, msg, code)
      assert.are.equal("Invalid argument", msg)
      H.oserror(H.EINVAL, mmap.mmap(big, 0, nil, nil, nil, 100))
      big:close()
    end)

    it("a read-only file with default access gives EACCES", function()
      local f = open_tmp(TEN, "rb")
      local v, msg, code = mmap.mmap(f, 0)
      H.oserror(H.EACCES, v, msg, code)
      assert.are.equal("Permission denied", msg)
      H.oserror(H.EACCES, mmap.mmap(f, 0, { access = ACCESS_WRITE }))
      H.oserror(H.EACCES, mmap.mmap(f, 0, MAP_SHARED, PROT_READ | PROT_WRITE))
      f:close()
    end)

    it("a read-only file maps with ACCESS_READ, ACCESS_COPY, PROT_READ or MAP_PRIVATE", function()
      local f, path = open_tmp(TEN, "rb")
      local m = assert(mmap.mmap(f, 0, { access = ACCESS_READ }))
      assert.are.equal(TEN, m:read())
      m:close()
      m = assert(mmap.mmap(f, 0, { access = ACCESS_COPY }))
      m[0] = 65
      assert.are.equal(65, m[0])
      m:close()
      m = assert(mmap.mmap(f, 0, { prot = PROT_READ }))
      assert.are.equal("ACCESS_READ", access_of(m))
      m:close()
      m = assert(mmap.mmap(f, 0, { flags = MAP_PRIVATE }))
      m[1] = 66
      assert.are.equal(66, m[1])
      m:close()
      assert.are.equal(TEN, H.slurp(path))
      f:close()
    end)

    it("a directory gives ENODEV", function()
      local d = io.open("/tmp", "rb")
      assert.are.equal("file", io.type(d), "io.open of a directory should succeed on Linux")
      local v, msg, code = mmap.mmap(d, 4096, { access = ACCESS_READ })
      H.oserror(H.ENODEV, v, msg, code)
      assert.are.equal("No such device", msg)
      d:close()
    end)

    it("failures leak no descriptor", function()
      local f = open_tmp(TEN, "rb")
      local big = open_tmp(string.rep("b", 2 * PS))
      local base = fdcount()
      for _ = 1, 20 do
        H.oserror(H.EACCES, mmap.mmap(f, 0))
        H.oserror(H.EINVAL, mmap.mmap(big, 10, { offset = 1 }))
        H.oserror(H.EBADF, mmap.mmap(BADFD, 10))
        H.raises(MSG.lenbig, mmap.mmap, f, 11)
      end
      assert.are.equal(base, fdcount())
      f:close()
      big:close()
    end)
  end)

  describe("at an offset", function()
    it("maps the rest of the file with length 0", function()
      local content = {}
      for i = 0, 3 * PS + 9 do content[#content + 1] = string.char(i % 251) end
      content = table.concat(content)
      local f = open_tmp(content)
      local m = assert(mmap.mmap(f, 0, { offset = 2 * PS }))
      assert.are.equal(PS + 10, #m)
      assert.are.equal(content:sub(2 * PS + 1), m:read())
      assert.are.equal(content:byte(2 * PS + 1), m[0])
      assert.are.equal(content:byte(-1), m[-1])
      assert.are.equal(3 * PS + 10, m:size())
      assert.are.equal("<mmap.mmap closed=false, access=ACCESS_DEFAULT, length="
        .. (PS + 10) .. ", pos=" .. (PS + 10) .. ", offset=" .. (2 * PS) .. ">", tostring(m))
      m:close()
      f:close()
    end)

    it("positional offset is argument 6", function()
      local content = string.rep("a", PS) .. "tail"
      local f = open_tmp(content)
      local m = assert(mmap.mmap(f, 0, nil, nil, nil, PS))
      assert.are.equal("tail", m:read())
      m:close()
      m = assert(mmap.mmap(f, 2, MAP_SHARED, PROT_READ, ACCESS_DEFAULT, PS))
      assert.are.equal("ta", m:read())
      assert.are.equal("ACCESS_READ", access_of(m))
      m:close()
      f:close()
    end)

    it("writes land at file offset + map offset", function()
      local f, path = open_tmp(string.rep(".", PS + 4))
      local m = assert(mmap.mmap(f, 4, { offset = PS }))
      m:write("WXYZ")
      assert.are.equal(string.rep(".", PS) .. "WXYZ", H.slurp(path))
      m:close()
      f:close()
    end)
  end)

  describe("options table", function()
    it("an empty table means all defaults", function()
      local f = open_tmp(TEN)
      local m = assert(mmap.mmap(f, 0, {}))
      assert.are.equal("ACCESS_DEFAULT", access_of(m))
      assert.are.equal(10, #m)
      m:close()
      f:close()
    end)

    it("accepts every key", function()
      local f = open_tmp(string.rep("x", PS) .. TEN)
      local m = assert(mmap.mmap(f, 0, { flags = MAP_SHARED, prot = PROT_READ,
        access = ACCESS_DEFAULT, offset = PS, trackfd = true }))
      assert.are.equal("ACCESS_READ", access_of(m))
      assert.are.equal(TEN, m:read())
      m:close()
      f:close()
    end)

    it("nil values mean omitted", function()
      local f = open_tmp(TEN)
      local m = assert(mmap.mmap(f, 0, { flags = nil, trackfd = nil }))
      assert.are.equal(10, m:size())
      m:close()
      f:close()
    end)

    it("raises on an unknown key", function()
      local f = open_tmp(TEN)
      H.raises("mmap: unknown option 'acess'", mmap.mmap, f, 0, { acess = 1 })
      H.raises("mmap: unknown option 'length'", mmap.mmap, f, 0, { length = 5 })
      H.raises("mmap: unknown option 'fileno'", mmap.mmap, -1, 10, { fileno = -1 })
      H.raises("mmap: unknown option 'Flags'", mmap.mmap, -1, 10, { Flags = 1 })
      f:close()
    end)

    it("raises on a value of the wrong type", function()
      H.raises("bad argument #3 to 'mmap' (option 'flags': number expected, got string)",
        function() mmap.mmap(-1, 10, { flags = "shared" }) end)
      H.raises("bad argument #3 to 'mmap' (option 'prot': number expected, got table)",
        function() mmap.mmap(-1, 10, { prot = {} }) end)
      H.raises("bad argument #3 to 'mmap' (option 'access': number expected, got boolean)",
        function() mmap.mmap(-1, 10, { access = true }) end)
      H.raises("bad argument #3 to 'mmap' (option 'offset': number expected, got string)",
        function() mmap.mmap(-1, 10, { offset = "zero" }) end)
      H.raises("bad argument #3 to 'mmap' (option 'trackfd': boolean expected, got number)",
        function() mmap.mmap(-1, 10, { trackfd = 1 }) end)
      H.raises("bad argument #3 to 'mmap' (option 'trackfd': boolean expected, got string)",
        function() mmap.mmap(-1, 10, { trackfd = "no" }) end)
    end)

    it("runs the same checks as the positional form", function()
      local f = open_tmp(TEN)
      H.raises(MSG.length, mmap.mmap, f, -1, { offset = -1 })
      H.raises(MSG.offset, mmap.mmap, f, 0, { offset = -1 })
      H.raises(MSG.both, mmap.mmap, f, 0, { access = ACCESS_READ, flags = MAP_PRIVATE })
      H.raises(MSG.access, mmap.mmap, f, 0, { access = 7 })
      H.raises(MSG.offbig, mmap.mmap, f, 0, { offset = PS })
      H.raises(MSG.lenbig, mmap.mmap, f, 11, {})
      f:close()
    end)
  end)

  describe("trackfd = false", function()
    it("holds no descriptor of its own", function()
      local f, path = open_tmp(TEN)
      local base = fdcount()
      local m = assert(mmap.mmap(f, 0, { trackfd = false }))
      assert.are.equal(base, fdcount())
      assert.are.equal(1, #fds_of(path))
      m:close()
      f:close()
    end)

    it("keeps working after the handle is closed", function()
      local f, path = open_tmp(TEN)
      local m = assert(mmap.mmap(f, 0, { trackfd = false }))
      f:close()
      collectgarbage()
      assert.are.equal(TEN, m:read())
      m[0] = ("#"):byte()
      assert.are.equal("#123456789", H.slurp(path))
      assert.truthy(m:flush())
      m:close()
    end)

    it("size() raises", function()
      local f = open_tmp(TEN)
      local m = assert(mmap.mmap(f, 0, { trackfd = false }))
      H.raises("can't get size with trackfd=False", m.size, m)
      m:close()
      f:close()
    end)

    it("resize() raises", function()
      local f, path = open_tmp(TEN)
      local m = assert(mmap.mmap(f, 0, { trackfd = false }))
      H.raises("mmap can't resize with trackfd=False.", m.resize, m, 20)
      H.raises("mmap can't resize with trackfd=False.", m.resize, m, 5)
      assert.are.equal(10, #m)
      assert.are.equal(10, H.filesize(path))
      m:close()
      f:close()
    end)

    it("with trackfd = true the map has a size after the handle is closed", function()
      local f = open_tmp(TEN)
      local m = assert(mmap.mmap(f, 0, { trackfd = true }))
      f:close()
      assert.are.equal(10, m:size())
      m:close()
    end)
  end)
end)
