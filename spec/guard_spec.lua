-- The bus-error guard (doc/mmap.md §13): touching a page that the file no
-- longer backs raises "mmap: bus error at offset N: ..." with the right N;
-- the process, the Lua state and the map survive, and access works again
-- once the file grows back. A SIGBUS that is not the module's ends (or
-- spares) the process as it would without the module. The cases a C host
-- sees (threads, masks, host handlers) are in spec/guard_test.c.
local H = require "helper"
local mmap = require "mmap"

local P = mmap.PAGESIZE
local SIZE, BACKED = 8 * P, 3 * P   -- see H.lost

local function buserror(n)
  return H.MSG.bus:format(n)
end

describe("bus-error guard", function()
  local it = H.gate(H.NOTWIN.shrink, it, pending)
  local mm, path
  before_each(function() mm, path = H.lost() end)
  after_each(function()
    mm:close()
    H.cleanup()
  end)

  -- Each case: a name, the operation, the offset N it must report, and the
  -- position it must leave (nil: the position set before, unchanged).
  local cases = {
    { "mm[i]", function(m) return m[BACKED] end, BACKED },
    { "mm[i] far in", function(m) return m[SIZE - 100] end, SIZE - 100 },
    { "mm[-1]", function(m) return m[-1] end, SIZE - 1 },
    { "mm[i] = v", function(m) m[BACKED + 12] = 1 end, BACKED + 12 },
    { "read(n) across the end of the backing",
      function(m) m:seek(BACKED - 300); return m:read(1000) end, BACKED },
    { "read() of everything", function(m) m:seek(0); return m:read() end, BACKED },
    { "read_byte", function(m) m:seek(BACKED + 7); return m:read_byte() end, BACKED + 7 },
    { "readline", function(m) m:seek(BACKED - 8); return m:readline() end, BACKED },
    { "write", function(m) m:seek(BACKED - 2); return m:write("hello") end, BACKED },
    { "write_byte", function(m) m:seek(BACKED + 1); return m:write_byte(65) end, BACKED + 1 },
    { "find", function(m) return m:find("zz", 0) end, BACKED },
    { "rfind", function(m) return m:rfind("zz", 0) end, BACKED },
    { "find of one byte", function(m) return m:find("z", 0) end, BACKED },
    { "slice", function(m) return m:slice(BACKED - 300, BACKED + 700) end, BACKED },
    { "slice with a negative step", function(m) return m:slice(nil, nil, -1) end, BACKED },
    { "slice with a step", function(m) return m:slice(BACKED + 5, nil, 3) end, BACKED + 5 },
    { "setslice", function(m) return m:setslice(BACKED + 2, BACKED + 5, "xyz") end, BACKED + 2 },
    { "setslice with a step",
      function(m) return m:setslice(BACKED + 9, BACKED + 15, 2, "abc") end, BACKED + 9 },
    { "move from the lost part", function(m) return m:move(0, BACKED, 10) end, BACKED },
    { "move into the lost part", function(m) return m:move(BACKED + 4, 0, 10) end, BACKED + 4 },
  }

  for _, c in ipairs(cases) do
    local name, op, n = c[1], c[2], c[3]
    it(name .. " raises with offset " .. n .. " and leaves the position", function()
      mm:seek(0)
      local ok, err = pcall(op, mm)
      local pos = mm:tell()
      assert.is_false(ok)
      assert.truthy(tostring(err):find(buserror(n), 1, true), tostring(err))
      -- the failed call changed nothing: a second try reports the same
      local ok2, err2 = pcall(op, mm)
      assert.is_false(ok2)
      assert.truthy(tostring(err2):find(buserror(n), 1, true), tostring(err2))
      assert.are.equal(pos, mm:tell())
      -- the map survives: the backed part still reads
      assert.are.equal(("a"):byte(), mm[0])
      assert.are.equal("mmap", mmap.type(mm))
    end)
  end

  it("the failed read leaves the position where it was", function()
    mm:seek(BACKED - 300)
    assert.is_false((pcall(mm.read, mm, 1000)))
    assert.are.equal(BACKED - 300, mm:tell())
    mm:seek(BACKED - 2)
    assert.is_false((pcall(mm.write, mm, "hello")))
    assert.are.equal(BACKED - 2, mm:tell())
  end)

  it("bytes past the end of the file in its last page read as zero", function()
    assert.are.equal(0, mm[2 * P + 100])
    assert.are.equal(0, mm[BACKED - 1])
  end)

  it("works again once the file grows back", function()
    assert.is_false((pcall(function() return mm[SIZE - 1] end)))
    H.truncate(path, SIZE)
    assert.are.equal(0, mm[SIZE - 1])
    mm[SIZE - 1] = 7
    assert.are.equal(7, mm[SIZE - 1])
    assert.are.equal(SIZE, #mm:slice())
    mm:seek(0)
    assert.are.equal("abcdefgh", mm:read(8))
    assert.is_nil(mm:find("zz", 0))
  end)

  it("a file truncated by another process raises the same way", function()
    mm:close()
    H.truncate(path, SIZE)
    mm = assert(mmap.open(path, "r+"))
    assert.are.equal(0, mm[SIZE - 1])
    local out = H.child(("io.open(%q, 'wb'):close() print('truncated')"):format(path))
    assert.are.equal("truncated\n", out)
    local ok, err = pcall(function() return mm[100] end)
    assert.is_false(ok)
    assert.truthy(tostring(err):find(buserror(100), 1, true), tostring(err))
    H.child(("local f = io.open(%q, 'wb') f:write(('z'):rep(%d)) f:close()"):format(path, SIZE))
    assert.are.equal(("z"):byte(), mm[100])
  end)

  it("is per map: another map of another file is unaffected", function()
    local other = assert(mmap.open(H.tmpfile("0123456789"), "r"))
    assert.is_false((pcall(function() return mm[BACKED] end)))
    assert.are.equal(("0"):byte(), other[0])
    assert.are.equal("0123456789", other:read())
    other:close()
  end)

  it("survives many faults in a row", function()
    for i = 1, 500 do
      local ok = pcall(function() return mm[BACKED + i] end)
      assert.is_false(ok)
    end
    assert.are.equal(("b"):byte(), mm[1])
  end)
end)

describe("bus-error guard: a SIGBUS that is not the module's", function()
  local it = H.gate(H.NOTWIN.signals, it, pending)
  it("still ends a process that has no handler of its own", function()
    -- the child loads the module (installing the guard), then gets SIGBUS
    -- sent by kill(2): not a fault in a guarded range, so the default
    -- action must run and the shell sees 128 + SIGBUS (7).
    -- (A subshell that waits for it, with its stderr discarded: the shell's
    -- own "Bus error" report goes there too.)
    local p = assert(io.popen("(" .. H.LUA .. [[ -e 'package.cpath=os.getenv("MMAP_CPATH") or "./?.so"
      local mmap = require "mmap"
      local m = assert(mmap.mmap(-1, 10))
      io.stdout:write("mapped\n") io.stdout:flush()
      local f = io.open("/proc/self/stat") local pid = f:read("*n") f:close()
      os.execute("kill -BUS " .. pid)
      print("survived")'; exit $?) 2>/dev/null; echo "status $?"]]))
    local out = p:read("*a")
    p:close()
    assert.are.equal("mapped\nstatus 135\n", out)
  end)
end)

-- The same from child processes that run a script; `timeout` ends a child
-- that would hang (status 124), so that a handler loop fails the case
-- instead of blocking the suite.
describe("bus-error guard: what happens to a foreign SIGBUS", function()
  if H.NOTWIN.signals then
    pending(H.NOTWIN.signals)
    return
  end
  if not H.run("command -v timeout") then
    pending("needs timeout(1) (coreutils)")
    return
  end
  after_each(function() H.cleanup() end)

  -- The path of the module that the children load, found along
  -- MMAP_CPATH as require would (package.searchpath is 5.2+).
  local function module_path()
    local cpath = os.getenv("MMAP_CPATH") or "./?.so"
    for template in cpath:gmatch("[^;]+") do
      local path = template:gsub("%?", "mmap")
      local f = io.open(path, "rb")
      if f then
        f:close()
        return path
      end
    end
    error("mmap.so not found along " .. cpath)
  end

  -- Run `code` as a script in a child Lua (after `prefix`, shell text such
  -- as a trap); its output and exit status. The script's arguments are
  -- `...`; kill() sends SIGBUS to the child itself.
  local function child(code, prefix, ...)
    local script = H.tmpfile("local function kill() " ..
      "local f = io.open('/proc/self/stat') local pid = f:read('*n') f:close() " ..
      "os.execute('kill -BUS ' .. pid) end\n" .. code)
    local args = table.concat({ ... }, " ")
    -- (exit: the shell waits for the child, and reports a signal that
    -- ended it on its stderr, discarded, not on the suite's.)
    local _, out, status = H.run(("exec 2>/dev/null; %stimeout 20 %s %s %s; exit $?")
                                 :format(prefix or "", H.LUA, script, args))
    return out, status
  end

  -- Two copies of the module in one process, as with libmmap.a linked into
  -- a host that also loads mmap.so, or two installed copies: the same
  -- library under two file names loads twice, each copy with its own
  -- handler and thread-local guard. Each one makes a map (and the first a
  -- second one), so that each has put its handler in front of the other's
  -- once; then each faults on its own truncated file, and the script sends
  -- itself SIGBUS.
  local two_copies = [[
    local A, B, fa, fb = ...
    local a = assert(package.loadlib(A, "luaopen_mmap"))()
    local b = assert(package.loadlib(B, "luaopen_mmap"))()
    assert(a ~= b and a.mmap ~= b.mmap, "one copy loaded twice")
    local function lost(mmap, path)
      local f = io.open(path, "wb") f:write(("x"):rep(65536)) f:close()
      local m = assert(mmap.open(path, "r+"))
      io.open(path, "wb"):close()
      return m
    end
    local ma = lost(a, fa)
    local mb = lost(b, fb)
    local ma2 = lost(a, fa .. "2")
    local function raises(m, at)
      local ok, err = pcall(function() return m[at] end)
      return not ok and err:find("bus error at offset " .. at .. ":", 1, true) ~= nil
    end
    print(raises(ma, 100), raises(mb, 200), raises(ma2, 300), raises(mb, 400))
    io.stdout:flush()
    kill()
    print("survived")
    os.remove(fa) os.remove(fb) os.remove(fa .. "2")
  ]]

  -- The copies go beside the module, not in the temporary directory,
  -- which may be mounted noexec (dlopen would refuse them there).
  local function copies()
    local path = module_path()
    local so = H.slurp(path)
    local dir = path:match("^(.*)/[^/]*$") or "."
    local a = ("%s/mmap-copy-a-%d.so"):format(dir, H.pid())
    local b = ("%s/mmap-copy-b-%d.so"):format(dir, H.pid())
    for _, copy in ipairs { a, b } do
      local f = assert(io.open(copy, "wb"))
      assert(f:write(so))
      f:close()
    end
    local fa, fb = H.tmpfile(""), H.tmpfile("")
    H.keep({ close = function()
      os.remove(a)
      os.remove(b)
      os.remove(fa .. "2")
    end })
    return a, b, fa, fb
  end

  it("two copies of the module each catch their own faults, and kill -BUS " ..
     "still ends the process", function()
    local out, status = child(two_copies, nil, copies())
    assert.are.equal("true\ttrue\ttrue\ttrue\n", out)
    assert.are.equal(128 + 7, status)
  end)

  -- trap '' BUS: the child starts with SIGBUS ignored, and a signal sent to
  -- it is discarded. The module must not turn that into the default action.
  local IGNORE = "trap '' BUS; "
  local survive = [[
    if ... then
      package.cpath = os.getenv("MMAP_CPATH") or "./?.so"
      local m = assert(require("mmap").mmap(-1, 10))
      m[0] = 1
    end
    kill()
    print("survived")
  ]]

  it("an ignored SIGBUS sent to the process stays ignored " ..
     "(as it does without the module)", function()
    local out, status = child(survive, IGNORE)
    assert.are.same({ "survived\n", 0 }, { out, status })  -- the baseline
    out, status = child(survive, IGNORE, "with-module")
    assert.are.same({ "survived\n", 0 }, { out, status })
  end)

  it("an ignored SIGBUS stays ignored with two copies of the module", function()
    local out, status = child(two_copies, IGNORE, copies())
    assert.are.equal("true\ttrue\ttrue\ttrue\nsurvived\n", out)
    assert.are.equal(0, status)
  end)
end)

-- A hole of a sparse file that cannot be allocated because the filesystem
-- is full: the write faults. Needs a small tmpfs of its own (mount(2) as
-- root); where mounting is not allowed the case is reported as pending with
-- the reason, and the truncation cases above still run.
describe("bus-error guard on a full filesystem", function()
  if H.NOTWIN.sh then  -- (the guard's Windows cases: windows_spec)
    pending("a small tmpfs, mounted from sh (" .. H.NOTWIN.sh .. ")")
    return
  end
  local dir = os.tmpname()
  os.remove(dir)
  local mounted = H.run("mkdir -p " .. dir .. " && mount -t tmpfs -o size=" .. 16 * P ..
                        " lua-mmap-spec " .. dir)
  if not mounted then
    os.execute("rmdir " .. dir)
    pending("needs root to mount a small tmpfs (mount -t tmpfs failed)")
    return
  end
  teardown(function()
    os.execute("umount -l " .. dir .. " && rmdir " .. dir)
  end)

  it("a write into a hole raises with its offset, and the map survives", function()
    local sparse = dir .. "/sparse"
    local f = assert(io.open(sparse, "wb"))
    assert(f:write("head"))             -- page 0 allocated
    assert(f:seek("set", 8 * P - 1))
    assert(f:write("\0"))               -- page 7 allocated; 1..6 are holes
    f:close()
    local mm = assert(mmap.open(sparse, "r+"))
    -- fill the filesystem: more pages than it has, a bounded loop that does
    -- not trust the results (LuaJIT's compiled f:write returns the file even
    -- when ENOSPC refuses it, so `while f:write(x) and f:flush()` never ends)
    local fill = assert(io.open(dir .. "/fill", "wb"))
    local chunk = ("x"):rep(P)
    for _ = 1, 16 + 4 do
      fill:write(chunk)
      fill:flush()
    end
    fill:close()
    finally(function() mm:close() end)
    local ok, err = pcall(function() mm[3 * P + 5] = 1 end)
    assert.is_false(ok)
    assert.truthy(tostring(err):find(buserror(3 * P + 5), 1, true), tostring(err))
    mm:seek(2 * P - 10)
    ok, err = pcall(mm.write, mm, ("y"):rep(20))
    assert.is_false(ok)
    -- holes read fine, so the guard cannot tell which of the two hole pages
    -- the copy touched first: N is the write's first byte or the next page
    local n = tonumber(tostring(err):match("bus error at offset (%d+)"))
    assert.truthy(n == 2 * P - 10 or n == 2 * P, tostring(err))
    assert.are.equal(2 * P - 10, mm:tell())
    -- the allocated pages still work, and space freed makes the hole writable
    mm[1] = ("E"):byte()
    assert.are.equal("hEad", mm:slice(0, 4))
    os.remove(dir .. "/fill")
    mm[3 * P + 5] = 1
    assert.are.equal(1, mm[3 * P + 5])
    os.remove(sparse)
  end)
end)

-- No system call per guarded access (doc/mmap.md §13, "Cost"): the guard's
-- entry and exit are sigsetjmp without a signal mask and a few thread-local
-- loads and stores. strace counts every system call of a child making 100
-- and 100000 accesses; the totals, and the rt_sigprocmask calls among them,
-- must not grow with the accesses.
describe("bus-error guard cost", function()
  local function syscalls(n)
    local code = "package.cpath=os.getenv('MMAP_CPATH') or './?.so' " ..
      "local m = require('mmap').mmap(-1, 4096) local s = 0 " ..
      "for i = 1, " .. n .. " do s = s + m[i % 4096] m[i % 4096] = i % 256 end " ..
      "m:seek(0) for i = 1, " .. H.idiv(n, 100) .. " do m:read(10) m:seek(0) m:find('x', 0) end"
    local p = assert(io.popen("strace -f -c -o /dev/stdout " .. H.LUA ..
                              " -e \"" .. code .. "\" 2>/dev/null"))
    local out = p:read("*a")
    p:close()
    local sigmask = tonumber(out:match("(%d+)%s+rt_sigprocmask")) or 0
    local total = tonumber(out:match("(%d+)%s+%d*%s*total"))
    return total, sigmask, out
  end

  if H.WINDOWS then  -- (a vectored exception handler there: no call at all)
    pending("Linux: strace")
    return
  end
  local have = H.run("command -v strace")
  if not have then
    pending("needs strace (installed by .ci/deps)")
    return
  end

  it("makes no system call per access", function()
    local few, few_mask, out1 = syscalls(100)
    local many, many_mask, out2 = syscalls(100000)
    assert.is_number(few, out1)
    assert.is_number(many, out2)
    assert.are.equal(few_mask, many_mask)
    assert.is_true(many - few < 50, ("%d system calls for 100 accesses, %d for 100000")
                                      :format(few, many))
  end)
end)
