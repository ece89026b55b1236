-- MAP_HUGETLB (doc/mmap.md §12): the mapped length is rounded up to the huge
-- page size, #mm stays the length asked for, and close unmaps the rounded
-- length. Huge pages exist only where the system reserved some
-- (vm.nr_hugepages), which is the machine's business, not the specs': where
-- two are free the specs map them, else those specs are pending, and the
-- refusal (nil, msg, ENOMEM) is checked where none is free.
local H = require "helper"
local mmap = require "mmap"

local function meminfo(field)
  local f = io.open("/proc/meminfo", "r")
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return tonumber(s:match(field .. ":%s*(%d+)"))
end

-- The default huge page size in bytes.
local function hugepagesize()
  return meminfo("Hugepagesize") * 1024
end

local FREE = meminfo("HugePages_Free")
local EXT = H.linux("MAP_HUGETLB") or H.notwin("Linux: MAP_HUGETLB, a flag, which Windows lacks")
local NO_PAGES = EXT or not meminfo("Hugepagesize") and "no huge pages in /proc/meminfo"
  or (FREE or 0) < 2 and ("needs 2 free huge pages, has %d (vm.nr_hugepages)"):format(FREE or 0)
  or nil
local NO_MAPS = not pcall(io.lines, "/proc/self/maps") and "needs /proc/self/maps" or nil
-- Where none is free and none may be added on demand, a map is refused.
local overcommit = tonumber((select(2, H.run("cat /proc/sys/vm/nr_overcommit_hugepages"))))
local SOME = EXT or FREE == nil and "no huge pages in /proc/meminfo"
  or (FREE ~= 0 or overcommit ~= 0) and "huge pages are free or may be added (vm.nr_overcommit_hugepages)"
  or nil

-- The line of /proc/self/maps whose range holds `addr`, and its length.
local function mapping_at(addr)
  for line in io.lines("/proc/self/maps") do
    local a, b = line:match("^(%x+)-(%x+)")
    a, b = tonumber(a, 16), tonumber(b, 16)
    if a <= addr and addr < b then return line, b - a end
  end
  return nil, 0
end

local address = H.address

-- A private anonymous huge page map of n bytes, or the refusal's triple
-- checked and nil.
local function hugemap(n, flags)
  local mm, msg, code = mmap.mmap(-1, n, {
    flags = H.bor(flags or mmap.MAP_PRIVATE, H.bor(mmap.MAP_ANONYMOUS, mmap.MAP_HUGETLB)) })
  if mm then return H.keep(mm) end
  H.oserror(nil, mm, msg, code)
  assert(code == H.ENOMEM or code == H.EPERM or code == H.EINVAL,
    "unexpected errno " .. tostring(code) .. " (" .. tostring(msg) .. ")")
  return nil
end

describe("MAP_HUGETLB", function()
  local test = H.gate(NO_PAGES, it, pending)
  after_each(H.cleanup)

  H.gate(SOME, it, pending)(
      "with no huge page free, the map is refused with nil, msg, ENOMEM", function()
    local mm, msg, code = mmap.mmap(-1, 100,
      { flags = H.bor(mmap.MAP_PRIVATE, H.bor(mmap.MAP_ANONYMOUS, mmap.MAP_HUGETLB)) })
    if mm then
      mm:close()
      -- only another process reserving huge pages since the probe explains it
      assert.is_true(meminfo("HugePages_Total") > 0, "a huge page map was made with none reserved")
      pending("huge pages were reserved by another process while the spec ran")
    end
    H.oserror(H.ENOMEM, mm, msg, code)
  end)

  H.gate(EXT, it, pending)("is an integer constant where the headers define it (Linux)", function()
    assert.is_true(H.isint(mmap.MAP_HUGETLB))
    assert.is_true(mmap.MAP_HUGETLB > 0)
  end)

  H.gate(NO_PAGES or NO_MAPS, it, pending)("maps whole huge pages and keeps #mm at the length asked for", function()
    local mm = hugemap(100)
    if not mm then return end
    assert.are.equal(100, #mm)
    assert.are.equal(100, mm:write(("h"):rep(100)))
    H.raises(H.MSG.data, mm.write, mm, "x")         -- no byte past #mm
    H.raises(H.MSG.index, function() return mm[100] end)
    local line, len = mapping_at(address(mm))
    assert(line, "no mapping at the map's address")
    assert.are.equal(hugepagesize(), len)
    assert.are.equal(("h"):rep(100), H.all(mm))
  end)

  H.gate(NO_PAGES or NO_MAPS, it, pending)("close unmaps the whole rounded length", function()
    local mm = hugemap(hugepagesize() + 1)  -- two huge pages
    if not mm then return end
    local at = address(mm)
    local _, len = mapping_at(at)
    assert.are.equal(2 * hugepagesize(), len)
    assert.is_true(mm:close())
    assert.is_nil(mapping_at(at))
    assert.is_nil(mapping_at(at + 2 * hugepagesize() - 1))
  end)

  H.gate(NO_PAGES or NO_MAPS, it, pending)("a shared anonymous huge page map works and closes", function()
    local mm = hugemap(5000, mmap.MAP_SHARED)
    if not mm then return end
    mm[4999] = 7
    assert.are.equal(7, mm[4999])
    local at = address(mm)
    assert.is_true(mm:close())
    assert.is_nil(mapping_at(at))
  end)

  test("resizes within its huge page; regrown bytes read as zero", function()
    local mm = hugemap(4096)
    if not mm then return end
    assert.are.equal(4096, mm:write(("z"):rep(4096)))
    assert.is_true(mm:resize(50))
    assert.are.equal(50, #mm)
    assert.is_true(mm:resize(8192))
    assert.are.equal(("z"):rep(50) .. ("\0"):rep(8192 - 50), H.all(mm))
  end)

  test("growing past its huge page succeeds or returns the triple, losing nothing", function()
    local mm = hugemap(100)
    if not mm then return end
    mm:write(("k"):rep(100))
    local ok, msg, code = mm:resize(hugepagesize() + 100)
    if ok then
      assert.are.equal(hugepagesize() + 100, #mm)
    else
      H.oserror(nil, ok, msg, code)
      assert.are.equal(100, #mm)
    end
    mm:seek(0)
    assert.are.equal(("k"):rep(100), mm:read(100))
  end)

  test("mlock, flush and madvise work on it or return the triple", function()
    local mm = hugemap(100)
    if not mm then return end
    for _, r in ipairs { H.pack(mm:mlock()), H.pack(mm:munlock()), H.pack(mm:flush()),
                         H.pack(mm:madvise(mmap.MADV_NORMAL)) } do
      if r[1] ~= true then H.oserror(nil, H.unpack(r, 1, r.n)) end
    end
  end)
end)

describe("MAP_HUGETLB where /proc cannot be read", function()
  -- close must unmap the whole huge pages it mapped, found without /proc
  -- (a chroot, a container): a child in a private mount namespace hides
  -- /proc under an empty tmpfs, maps and closes huge page maps in turn,
  -- then needs two pages back at once. Needs two free huge pages, and
  -- root for the namespace.
  local NO_NS = not H.run("unshare -m true") and "needs unshare -m (root)" or nil

  H.gate(NO_PAGES or NO_NS, it, pending)("close gives every huge page back", function()
    local flags = H.bor(mmap.MAP_PRIVATE, H.bor(mmap.MAP_ANONYMOUS, mmap.MAP_HUGETLB))
    local script = H.tmpfile(([[
      package.cpath = (os.getenv("MMAP_CPATH") or "./?.so;") .. package.cpath
      local mmap = require "mmap"
      assert(io.open("/proc/meminfo") == nil, "/proc is still there")
      local opts = { flags = %d }
      for _ = 1, 4 do assert(mmap.mmap(-1, 100, opts)):close() end
      local a = assert(mmap.mmap(-1, 100, opts))
      local b = assert(mmap.mmap(-1, 100, opts))
      a[99], b[99] = 1, 2
      print("both", a[99] + b[99])
    ]]):format(flags))
    -- the plain build: a sanitizer's runtime needs /proc itself
    local plain = os.getenv("MMAP_PLAIN_CPATH")
    local ok, out = H.run(("env -u LD_PRELOAD unshare -m sh -c " ..
                           "'mount -t tmpfs none /proc && exec env %s %s %s'")
                          :format(plain and ('MMAP_CPATH="' .. plain .. '"') or "-u MMAP_CPATH",
                                  H.LUA, script))
    assert(ok, out)
    assert.are.equal("both\t3\n", out)
  end)
end)
