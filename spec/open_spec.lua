-- mmap.open(path [, mode [, length [, offset]]]): doc/mmap.md §2.
local H = require "helper"
local mmap = require "mmap"

local PS = mmap.PAGESIZE
local G = H.GRAN  -- offsets step by it (64 KiB on Windows, PS elsewhere)
local TEN = "0123456789"
local EISDIR = 21

-- A temporary path that does not exist (removed again by H.cleanup).
local function fresh_path()
  local path = H.tmpfile("")
  os.remove(path)
  return path
end

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() return true end
  return false
end

describe("mmap.open", function()
  after_each(function()
    H.cleanup()
  end)

  describe("mode 'r' (the default)", function()
    it("maps the whole file read-only", function()
      local path = H.tmpfile(TEN)
      local m = assert(mmap.open(path))
      assert.are.equal("mmap", mmap.type(m))
      assert.are.equal(10, #m)
      assert.are.equal(TEN, m:read())
      assert.are.equal("<mmap.mmap closed=false, access=ACCESS_READ, length=10, pos=10, offset=0>",
        tostring(m))
      H.raises(H.MSG.readonly, function() m[0] = 65 end)
      H.raises(H.MSG.readonly, m.write, m, "x")
      m:close()
      assert.are.equal(TEN, H.slurp(path))
    end)

    it("is the same with 'r', 'rb' and a nil mode", function()
      local path = H.tmpfile(TEN)
      for _, mode in ipairs { "r", "rb" } do
        local m = assert(mmap.open(path, mode))
        assert.are.equal("ACCESS_READ", H.access_of(m))
        assert.are.equal(TEN, m:read())
        m:close()
      end
      local m = assert(mmap.open(path, nil, 4))
      assert.are.equal("ACCESS_READ", H.access_of(m))
      assert.are.equal("0123", m:read())
      m:close()
    end)

    it("takes a length and an offset", function()
      local content = string.rep("a", G) .. string.rep("b", G) .. TEN
      local path = H.tmpfile(content)
      local m = assert(mmap.open(path, "r", 0, G))
      assert.are.equal(G + 10, #m)
      assert.are.equal(content:sub(G + 1), m:read())
      assert.truthy(tostring(m):find("offset=" .. G .. ">", 1, true))
      m:close()
      m = assert(mmap.open(path, "r", 3, 2 * G))
      assert.are.equal("012", m:read())
      m:close()
      m = assert(mmap.open(path, "r", nil, 2 * G))
      assert.are.equal(TEN, m:read())
      m:close()
    end)

    it("never changes the file", function()
      local path = H.tmpfile(TEN)
      H.raises(H.MSG.lenbig, mmap.open, path, "r", 20)
      H.raises(H.MSG.lenbig, mmap.open, path, "rb", 1, PS)
      H.raises(H.MSG.offbig, mmap.open, path, "r", 0, PS)
      assert.are.equal(TEN, H.slurp(path))
    end)

    H.gate(H.NOTWIN.proc, it, pending)("opens the file read-only", function()
      local path = H.tmpfile(TEN)
      local m = assert(mmap.open(path, "r"))
      local fds = H.fds_of(path)
      assert.are.equal(1, #fds)
      assert.are.equal(H.O_RDONLY, H.band(H.fd_flags(fds[1]), H.O_ACCMODE))
      m:close()
    end)

    it("refuses an empty file", function()
      local path = H.tmpfile("")
      H.raises(H.MSG.empty, mmap.open, path)
      H.raises(H.MSG.empty, mmap.open, path, "r", 0)
    end)
  end)

  describe("mode 'r+'", function()
    it("maps read-write and writes reach the file", function()
      for _, mode in ipairs { "r+", "r+b" } do
        local path = H.tmpfile(TEN)
        local m = assert(mmap.open(path, mode))
        assert.are.equal("ACCESS_WRITE", H.access_of(m))
        assert.are.equal(10, #m)
        assert.are.equal(4, m:write("ABCD"))
        assert.are.equal("ABCD456789", H.slurp(path))
        m:close()
        assert.are.equal("ABCD456789", H.slurp(path))
      end
    end)

    it("extends a shorter file to offset + length with zero bytes", function()
      local path = H.tmpfile(TEN)
      local m = assert(mmap.open(path, "r+", 20))
      assert.are.equal(20, #m)
      assert.are.equal(20, H.filesize(path))
      assert.are.equal(TEN .. string.rep("\0", 10), H.slurp(path))
      assert.are.equal(TEN .. string.rep("\0", 10), m:read())
      m[19] = 33
      assert.are.equal(TEN .. string.rep("\0", 9) .. "!", H.slurp(path))
      m:close()
    end)

    it("extends past an offset", function()
      local path = H.tmpfile(TEN)
      local m = assert(mmap.open(path, "r+b", 10, G))
      assert.are.equal(10, #m)
      assert.are.equal(G + 10, H.filesize(path))
      assert.are.equal(TEN .. string.rep("\0", G), H.slurp(path))
      assert.are.equal(string.rep("\0", 10), m:read())
      assert.are.equal(G + 10, m:size())
      m:close()
    end)

    it("does not shrink a longer file", function()
      local content = string.rep("L", 100)
      local path = H.tmpfile(content)
      local m = assert(mmap.open(path, "r+", 10))
      assert.are.equal(10, #m)
      assert.are.equal(100, m:size())
      m:close()
      assert.are.equal(content, H.slurp(path))
    end)

    it("leaves a file of exactly offset + length alone", function()
      local path = H.tmpfile(TEN)
      local m = assert(mmap.open(path, "r+", 10))
      assert.are.equal(10, #m)
      m:close()
      assert.are.equal(TEN, H.slurp(path))
    end)

    it("maps the whole file with length 0 or nil", function()
      local path = H.tmpfile(TEN)
      local m = assert(mmap.open(path, "r+", 0))
      assert.are.equal(10, #m)
      m:close()
      m = assert(mmap.open(path, "r+"))
      assert.are.equal(10, #m)
      m:close()
      assert.are.equal(TEN, H.slurp(path))
    end)

    it("refuses an empty file with length 0", function()
      local path = H.tmpfile("")
      H.raises(H.MSG.empty, mmap.open, path, "r+")
      assert.are.equal(0, H.filesize(path))
    end)

    H.gate(H.NOTWIN.proc, it, pending)("can be resized (it owns a read-write descriptor)", function()
      local path = H.tmpfile(TEN)
      local m = assert(mmap.open(path, "r+"))
      local fds = H.fds_of(path)
      assert.are.equal(1, #fds)
      assert.are.equal(H.O_RDWR, H.band(H.fd_flags(fds[1]), H.O_ACCMODE))
      assert.truthy(m:resize(20))
      assert.are.equal(20, #m)
      assert.are.equal(20, H.filesize(path))
      m:close()
    end)
  end)

  describe("mode 'w+'", function()
    it("creates a file of exactly length zero bytes", function()
      for _, mode in ipairs { "w+", "w+b" } do
        local path = fresh_path()
        assert.is_false(exists(path))
        local m = assert(mmap.open(path, mode, 100))
        assert.are.equal("ACCESS_WRITE", H.access_of(m))
        assert.are.equal(100, #m)
        assert.are.equal(string.rep("\0", 100), m:read())
        assert.are.equal(string.rep("\0", 100), H.slurp(path))
        m:seek(0)
        m:write("new")
        assert.are.equal("new" .. string.rep("\0", 97), H.slurp(path))
        m:close()
      end
    end)

    it("creates a file of exactly offset + length zero bytes", function()
      local path = fresh_path()
      local m = assert(mmap.open(path, "w+", 10, G))
      assert.are.equal(10, #m)
      assert.are.equal(string.rep("\0", G + 10), H.slurp(path))
      assert.are.equal(G + 10, m:size())
      m:close()
    end)

    it("truncates an existing file", function()
      local path = H.tmpfile(string.rep("x", 3 * PS))
      local m = assert(mmap.open(path, "w+", 10))
      assert.are.equal(10, #m)
      assert.are.equal(string.rep("\0", 10), m:read())
      m:close()
      assert.are.equal(string.rep("\0", 10), H.slurp(path))
    end)

    it("truncates an existing file and extends it to offset + length", function()
      local path = H.tmpfile(string.rep("x", 3 * G))
      local m = assert(mmap.open(path, "w+b", 5, G))
      assert.are.equal(string.rep("\0", 5), m:read())
      m:close()
      assert.are.equal(string.rep("\0", G + 5), H.slurp(path))
    end)

    -- The manual (doc/mmap.md §2) gives the text for "w+"; for "w+b" the module may name the
    -- mode as given ('w+b') or as the mode it is ('w+'): both are accepted.
    local function raises_needlen(...)
      local ok, err = pcall(mmap.open, ...)
      assert.is_false(ok)
      err = tostring(err)
      assert(err:find(H.MSG.needlen, 1, true)
          or err:find("mmap: mode 'w+b' needs a length", 1, true),
        "expected \"" .. H.MSG.needlen .. "\", got '" .. err .. "'")
    end

    it("needs a length", function()
      local path = fresh_path()
      H.raises(H.MSG.needlen, mmap.open, path, "w+")
      H.raises(H.MSG.needlen, mmap.open, path, "w+", nil)
      H.raises(H.MSG.needlen, mmap.open, path, "w+", 0)
      H.raises(H.MSG.needlen, mmap.open, path, "w+", nil, PS)
      raises_needlen(path, "w+b")
      raises_needlen(path, "w+b", 0, PS)
    end)

    it("raises for a missing length before touching the file", function()
      local path = H.tmpfile(TEN)
      H.raises(H.MSG.needlen, mmap.open, path, "w+")
      H.raises(H.MSG.needlen, mmap.open, path, "w+", 0)
      raises_needlen(path, "w+b", 0)
      assert.are.equal(TEN, H.slurp(path))
      local new = fresh_path()
      H.raises(H.MSG.needlen, mmap.open, new, "w+")
      raises_needlen(new, "w+b")
      assert.is_false(exists(new))
    end)

    H.gate(H.notwin("POSIX: umask and stat -c, from sh"), it, pending)(
        "creates the file with mode 0666 & ~umask", function()
      local p = assert(io.popen("umask"))
      local umask = tonumber(p:read("*l"), 8)
      p:close()
      local path = fresh_path()
      local m = assert(mmap.open(path, "w+", 1))
      p = assert(io.popen("stat -c %a '" .. path .. "'"))
      local perm = tonumber(p:read("*l"), 8)
      p:close()
      -- 0x1b6 == 0666; ~umask on the 9 permission bits is umask xor 0777
      assert.are.equal(H.band(0x1b6, H.bxor(umask, 0x1ff)), perm)
      m:close()
    end)
  end)

  describe("mode 'c'", function()
    it("maps copy-on-write: writes stay private", function()
      for _, mode in ipairs { "c", "cb" } do
        local path = H.tmpfile(TEN)
        local m = assert(mmap.open(path, mode))
        assert.are.equal("ACCESS_COPY", H.access_of(m))
        assert.are.equal(10, #m)
        assert.are.equal(3, m:write("cow"))
        m[9] = ("!"):byte()
        assert.are.equal("cow345678!", m:slice())
        assert.are.equal(TEN, H.slurp(path))
        m:close()
        assert.are.equal(TEN, H.slurp(path))
      end
    end)

    it("never changes the file", function()
      local path = H.tmpfile(TEN)
      H.raises(H.MSG.lenbig, mmap.open, path, "c", 20)
      H.raises(H.MSG.lenbig, mmap.open, path, "cb", 1, PS)
      H.raises(H.MSG.empty, mmap.open, H.tmpfile(""), "c")
      assert.are.equal(TEN, H.slurp(path))
    end)

    it("takes a length and an offset", function()
      local path = H.tmpfile(string.rep("-", G) .. TEN)
      local m = assert(mmap.open(path, "c", 5, G))
      assert.are.equal("01234", m:read())
      m:close()
    end)

    it("cannot be resized", function()
      local path = H.tmpfile(TEN)
      local m = assert(mmap.open(path, "c"))
      H.raises(H.MSG.noresize, m.resize, m, 20)
      m:close()
      assert.are.equal(TEN, H.slurp(path))
    end)
  end)

  describe("invalid modes", function()
    it("raise \"mmap: invalid mode 'MODE'\"", function()
      local path = H.tmpfile(TEN)
      for _, mode in ipairs { "w", "wb", "a", "a+", "rw", "r+bb", "rbb", "b", "+", "x",
          "", "R", "C", "W+", "rb+", "wb+", "cb+", "c+", "+r", " r", "r ", "rt", "r+t" } do
        H.raises(H.MSG.mode:format(mode), mmap.open, path, mode)
      end
      assert.are.equal(TEN, H.slurp(path))
    end)

    it("are not accepted because of a prefix", function()
      local path = H.tmpfile(TEN)
      H.raises("mmap: invalid mode 'r", mmap.open, path, "r\0")
      H.raises("mmap: invalid mode 'c", mmap.open, path, "c\0+")
    end)

    it("raise before the file is opened or created", function()
      local new = fresh_path()
      H.raises(H.MSG.mode:format("w"), mmap.open, new, "w", 10)
      H.raises(H.MSG.mode:format("a+"), mmap.open, new, "a+", 10)
      assert.is_false(exists(new))
    end)
  end)

  describe("argument checks", function()
    it("a negative length raises the constructor's message", function()
      local path = H.tmpfile(TEN)
      for _, mode in ipairs { "r", "r+", "c" } do
        H.raises(H.MSG.length, mmap.open, path, mode, -1)
        H.raises(H.MSG.length, mmap.open, path, mode, H.MININT)
      end
      assert.are.equal(TEN, H.slurp(path))
    end)

    it("a negative offset raises the constructor's message", function()
      local path = H.tmpfile(TEN)
      for _, mode in ipairs { "r", "r+", "c" } do
        H.raises(H.MSG.offset, mmap.open, path, mode, 0, -1)
        H.raises(H.MSG.offset, mmap.open, path, mode, 5, -PS)
      end
      assert.are.equal(TEN, H.slurp(path))
    end)

    it("w+ with a negative offset raises before truncating the file", function()
      local path = H.tmpfile(TEN)
      H.raises(H.MSG.offset, mmap.open, path, "w+", 5, -PS)
      assert.are.equal(TEN, H.slurp(path))
    end)

    it("huge length and offset never extend the file by wrapping", function()
      local path = H.tmpfile(TEN)
      local ok, v = pcall(mmap.open, path, "r+", H.MAXINT, H.MAXINT)
      assert.is_true(not ok or v == nil)
      assert.are.equal(TEN, H.slurp(path))
      H.raises(H.MSG.lenbig, mmap.open, path, "r", H.MAXINT)
      H.raises(H.MSG.offbig, mmap.open, path, "r", 0, H.MAXINT)
      H.raises(H.MSG.lenbig, mmap.open, path, "c", H.MAXINT, H.MAXINT)
    end)

    it("length and offset are integers, the mode a string", function()
      local path = H.tmpfile(TEN)
      H.raises("bad argument #3 to 'open' (number has no integer representation)",
        function() mmap.open(path, "r", 2.5) end)
      H.raises("bad argument #4 to 'open' (number expected, got table)",
        function() mmap.open(path, "r", 2, {}) end)
      H.raises("bad argument #2 to 'open' (string expected, got table)",
        function() mmap.open(path, {}) end)
      local m = assert(mmap.open(path, "r", 4.0, 0.0))
      assert.are.equal("0123", m:read())
      m:close()
    end)

    it("ignores extra arguments", function()
      local path = H.tmpfile(TEN)
      local m = assert(mmap.open(path, "r", 4, 0, "extra", {}))
      assert.are.equal(4, #m)
      m:close()
    end)

    it("the path must be a string", function()
      H.raises("bad argument #1 to 'open' (string expected, got no value)",
        function() mmap.open() end)
      H.raises("bad argument #1 to 'open' (string expected, got table)",
        function() mmap.open({}) end)
    end)
  end)

  describe("OS failures return nil, 'path: strerror', errno", function()
    it("a missing file", function()
      local path = fresh_path()
      for _, mode in ipairs { "r", "rb", "r+", "c" } do
        local v, msg, code = mmap.open(path, mode)
        H.oserror(H.ENOENT, v, msg, code)
        assert.are.equal(path .. ": No such file or directory", msg)
      end
      assert.is_false(exists(path))
    end)

    it("w+ in a missing directory", function()
      local path = fresh_path() .. "/sub"
      local v, msg, code = mmap.open(path, "w+", 10)
      H.oserror(H.ENOENT, v, msg, code)
      assert.are.equal(path .. ": No such file or directory", msg)
    end)

    H.gate(H.notwin("Windows: opening a directory as a file fails (EACCES) before any map"), it, pending)(
        "a directory opened for writing gives EISDIR", function()
      local v, msg, code = mmap.open("/tmp", "r+", 10)
      H.oserror(EISDIR, v, msg, code)
      assert.are.equal("/tmp: Is a directory", msg)
      v, msg, code = mmap.open("/tmp", "w+", 10)
      H.oserror(EISDIR, v, msg, code)
      assert.are.equal("/tmp: Is a directory", msg)
    end)

    H.gate(H.notwin("Windows: opening a directory as a file fails (EACCES) before any map"), it, pending)(
        "a directory opened for reading gives ENODEV from mmap(2)", function()
      local v, msg, code = mmap.open("/tmp", "r", PS)
      H.oserror(H.ENODEV, v, msg, code)
      assert.are.equal("/tmp: No such device", msg)
    end)

    it("an unaligned offset gives EINVAL with the path", function()
      local path = H.tmpfile(string.rep("u", 2 * PS))
      local v, msg, code = mmap.open(path, "r", 10, 1)
      H.oserror(H.EALIGN, v, msg, code)
      H.ostext(path .. ": Invalid argument", msg)
      assert.are.equal(path .. ": ", msg:sub(1, #path + 2))
      H.oserror(H.EALIGN, mmap.open(path, "c", 10, PS + 1))
      -- the modes that size the file refuse it before, with the same code
      local v2, msg2, code2 = mmap.open(path, "r+", 10, PS + 1)
      H.oserror(H.EALIGN, v2, msg2, code2)
      assert.are.equal(msg, msg2)
      H.oserror(H.EALIGN, mmap.open(path, "w+", 10, 1))
    end)
  end)

  describe("the descriptor", function()
    H.gate(H.NOTWIN.proc, it, pending)(
        "is owned by the map: exactly one, close-on-exec, closed with the map", function()
      local path = H.tmpfile(TEN)
      local base = H.fdbase()
      local m = assert(mmap.open(path, "r+"))
      assert.are.equal(base + 1, H.fdcount())
      local fds = H.fds_of(path)
      assert.are.equal(1, #fds)
      assert.are.equal(H.O_CLOEXEC, H.band(H.fd_flags(fds[1]), H.O_CLOEXEC))
      m:close()
      assert.are.equal(base, H.fdcount())
      assert.are.equal(0, #H.fds_of(path))
    end)

    H.gate(H.NOTWIN.proc, it, pending)("is close-on-exec for every mode", function()
      local path = H.tmpfile(TEN)
      for _, mode in ipairs { "r", "c", "w+" } do
        local m = assert(mmap.open(path, mode, 10))
        local fds = H.fds_of(path)
        assert.are.equal(1, #fds)
        assert.are.equal(H.O_CLOEXEC, H.band(H.fd_flags(fds[1]), H.O_CLOEXEC))
        m:close()
      end
    end)

    H.gate(H.NOTWIN.proc, it, pending)("is closed when the map is collected", function()
      local path = H.tmpfile(TEN)
      local base = H.fdbase()
      local m = assert(mmap.open(path))  -- luacheck: ignore 231 (held, then dropped)
      assert.are.equal(base + 1, H.fdcount())
      m = nil
      collectgarbage()
      collectgarbage()
      assert.are.equal(base, H.fdcount())
    end)

    H.gate(H.NOTWIN.proc, it, pending)("returns to the baseline after 200 open/close cycles", function()
      local path = H.tmpfile(TEN)
      local base = H.fdbase()
      for i = 1, 200 do
        local mode = ({ "r", "r+", "c", "rb" })[i % 4 + 1]
        local m = assert(mmap.open(path, mode))
        m:close()
      end
      assert.are.equal(base, H.fdcount())
    end)

    H.gate(H.NOTWIN.proc, it, pending)("is not leaked by failures", function()
      local path = H.tmpfile(TEN)
      local empty = H.tmpfile("")
      local missing = fresh_path()
      local base = H.fdbase()
      for _ = 1, 20 do
        H.raises(H.MSG.lenbig, mmap.open, path, "r", 11)
        H.raises(H.MSG.empty, mmap.open, empty, "r")
        H.raises("mmap: invalid mode", mmap.open, path, "q")
        H.oserror(H.ENOENT, mmap.open(missing))
        H.oserror(H.EINVAL, mmap.open(path, "r", 1, 1))
        H.oserror(H.ENODEV, mmap.open("/tmp", "r", PS))
      end
      assert.are.equal(base, H.fdcount())
    end)
  end)
end)

describe("mmap.open that fails leaves the file as it was", function()
  local shm = {}  -- files made in /dev/shm, removed after each test
  after_each(function()
    H.cleanup()
    for i = #shm, 1, -1 do os.remove(table.remove(shm, i)) end
  end)

  -- A 5-byte file, on tmpfs where there is one (where a file can be
  -- extended to any size, so that nothing but the module's own order
  -- keeps a failing open from growing it), else in the temporary directory.
  local function five()
    local dir = not H.WINDOWS and io.open("/dev/shm/.", "rb") and "/dev/shm"
    if dir then
      local path = dir .. "/lua-mmap-open-" .. H.pid() .. "-" .. math.random(1e9)
      local f = io.open(path, "wb")
      if f then
        f:write("hello")
        f:close()
        shm[#shm + 1] = path
        return path
      end
    end
    return H.tmpfile("hello")
  end

  for _, mode in ipairs { "r+", "w+" } do
    it(mode .. " with an unaligned offset: EINVAL, nothing changed", function()
      local path = five()
      H.oserror(H.EALIGN, mmap.open(path, mode, 10, 1))
      assert.are.equal("hello", H.slurp(path))
    end)

    it(mode .. " with a length no memory can hold: nil, nothing changed", function()
      local path = five()
      local v, msg, code = mmap.open(path, mode, 2 ^ 58)
      H.oserror(nil, v, msg, code)
      assert(code == H.ENOMEM or code == H.EFBIG or code == H.EINVAL,
        "unexpected errno " .. tostring(code))
      assert.are.equal(5, H.filesize(path))  -- before reading it whole
      assert.are.equal("hello", H.slurp(path))
    end)
  end

  for _, mode in ipairs { "r", "c" } do
    it(mode .. " never sizes the file, even when it fails", function()
      local path = five()
      H.oserror(H.EALIGN, mmap.open(path, mode, 4, 1))
      H.raises(H.MSG.lenbig, mmap.open, path, mode, 10, 1)
      H.raises(H.MSG.lenbig, mmap.open, path, mode, 2 ^ 58)
      assert.are.equal("hello", H.slurp(path))
    end)
  end

  it("w+ that fails on a file it created removes it again", function()
    local path = fresh_path()
    H.oserror(H.EALIGN, mmap.open(path, "w+", 10, 1))
    assert.is_false(exists(path))
  end)

  H.gate(H.notwin("needs sh\x27s ulimit -f: Windows has no file-size limit"), it, pending)(
      "w+ and r+ whose file cannot grow (ulimit -f): EFBIG, file restored", function()
    for _, mode in ipairs { "w+", "r+" } do
      local path = five()
      local out = H.plainchild(([[
        local mmap = require "mmap"
        local v, msg, code = mmap.open(%q, %q, 1024 * 1024)
        print(v, code)
      ]]):format(path, mode), "trap '' XFSZ; ulimit -f 8;")
      assert.are.equal("nil\t" .. H.EFBIG .. "\n", out)
      assert.are.equal("hello", H.slurp(path))
    end
  end)

  it("w+ that succeeds still empties and sizes the file", function()
    local path = five()
    local mm = H.keep(assert(mmap.open(path, "w+", 10)))
    assert.are.equal(("\0"):rep(10), H.all(mm))
    assert.are.equal(("\0"):rep(10), H.slurp(path))
  end)
end)
