-- mlock() / munlock() (doc/mmap.md §12): pin the whole mapping in RAM, or unpin it;
-- true, or nil, msg, errno. A restricted machine may refuse (EPERM without
-- CAP_IPC_LOCK under RLIMIT_MEMLOCK, ENOMEM or EAGAIN past it): the specs
-- that pin check the triple then, and the refusals are also made on purpose.
local H = require "helper"
local mmap = require "mmap"

-- What the machine must allow, probed: VmLck (locked kB) in
-- /proc/self/status to see pages pinned, and, as root (whose CAP_IPC_LOCK
-- overrides the memlock limit), a setpriv that can drop that capability for
-- a child.
local NO_VMLCK = not H.status("VmLck") and "needs VmLck in /proc/self/status" or nil
local DROP, NO_DROP = "", nil
if select(2, H.run("id -u")):match("^0%s*$") then
  DROP = "setpriv --bounding-set -ipc_lock "
  if not H.run("unset LD_PRELOAD; " .. DROP .. "true") then
    NO_DROP = "runs as root and cannot drop CAP_IPC_LOCK with setpriv"
  end
end

-- The result of mlock or munlock: true, or the triple of a refusal.
local function pinned(...)
  if ... == true then return true end
  local _, code = H.oserror(nil, ...)
  assert(code == H.EPERM or code == H.ENOMEM or code == H.EAGAIN,
    "unexpected errno " .. tostring(code))
  return false
end

describe("mmap mlock / munlock", function()
  after_each(H.cleanup)

  H.gate(NO_VMLCK, it, pending)("pins every page of an anonymous map and unpins them", function()
    local P = mmap.PAGESIZE
    local mm = H.anon(("x"):rep(4 * P))
    local before = H.status("VmLck")
    if pinned(mm:mlock()) then
      assert.is_true(H.status("VmLck") >= before + 4 * P / 1024)
      assert.is_true(mm:munlock())
      assert.are.equal(before, H.status("VmLck"))
    end
    assert.are.equal(("x"):rep(4 * P), H.all(mm))  -- the data is untouched
  end)

  it("works on read-only and copy-on-write file maps", function()
    local ro = H.readonly("read only")
    local cp = H.filemap("copy on write", "r+b", { access = mmap.ACCESS_COPY })
    for _, mm in ipairs { ro, cp } do
      if pinned(mm:mlock()) then assert.is_true(mm:munlock()) end
    end
    assert.are.equal("read only", H.all(ro))
  end)

  it("can be called twice, and munlock without mlock succeeds", function()
    local mm = H.anon("abc")
    assert.is_true(mm:munlock())
    if pinned(mm:mlock()) then
      assert.is_true(mm:mlock())
      assert.is_true(mm:munlock())
    end
  end)

  H.gate(H.NOTWIN.flags, it, pending)("returns nil, msg, ENOMEM for a map without PROT_READ", function()
    local mm = H.keep(assert(mmap.mmap(-1, 4096, { prot = mmap.PROT_NONE or 0 })))
    H.oserror(H.ENOMEM, mm:mlock())
  end)

  H.gate(H.NOTWIN.shrink, it, pending)("returns nil, msg, ENOMEM when the file shrank beneath the map", function()
    local mm = H.lost()
    H.keep(mm)
    H.oserror(H.ENOMEM, mm:mlock())
    assert.are.equal(("a"):byte(), mm[0])  -- the process and the map survive
  end)

  H.gate(NO_DROP or H.notwin("needs sh's ulimit -l: Windows has no memlock limit"), it, pending)(
      "returns nil, msg, EPERM where the memlock limit forbids pinning", function()
    -- As root, CAP_IPC_LOCK overrides the limit: the child drops it first.
    local script = H.tmpfile([[
      package.cpath = os.getenv("MMAP_CPATH") .. package.cpath
      local mm = require("mmap").mmap(-1, 4096)
      local ok, msg, code = mm:mlock()
      io.write(tostring(ok), " ", tostring(code), " ", tostring(mm:munlock()))
    ]])
    local plain = os.getenv("MMAP_PLAIN_CPATH") or "./?.so;"
    local ok, out = H.run(("ulimit -l 0; env -u LD_PRELOAD MMAP_CPATH='%s' %s%s %s")
      :format(plain, DROP, H.LUA, script))
    assert.is_true(ok, out)
    assert.are.equal("nil 1 true", out)
  end)

  it("raises on a closed map and on a non-map self", function()
    local mm = assert(mmap.mmap(-1, 10))
    mm:close()
    H.raises(H.MSG.closed, mm.mlock, mm)
    H.raises(H.MSG.closed, mm.munlock, mm)
    H.raises("mmap expected, got string", mm.mlock, "x")
    H.raises("mmap expected, got no value", mm.munlock)
  end)
end)
