-- The built artefact: ./mmap.so exports only the names of src/lmmap.h
-- (luaopen_mmap, lmmap_check, lmmap_test) and loads cleanly.
-- (make check-asan points MMAP_CPATH at its own build; that one is checked.)
local H = require "helper"

-- nm runs in a POSIX shell; make windows checks mmap.dll's exports with
-- objdump as it links it.
local NM = H.notwin("needs nm in a shell: make windows checks mmap.dll's exports (objdump)")

local SO = (os.getenv("MMAP_CPATH") or "./?.so;"):match("^([^;]*)"):gsub("%?", "mmap")

-- package.searchpath is 5.2+ (LuaJIT has it too); on 5.1 the same search,
-- by hand: the first template of `path` naming a readable file.
local searchpath = package.searchpath or function(name, path)
  for template in path:gmatch("[^;]+") do
    local file = template:gsub("%?", (name:gsub("%.", "/")))
    local f = io.open(file, "rb")
    if f then
      f:close()
      return file
    end
  end
  return nil
end

-- The defined dynamic symbols of SO as a list of {type = "T", name = "..."}.
local function dynsyms()
  local ok, out = H.run("nm -D --defined-only " .. SO)
  assert(ok, "nm -D --defined-only " .. SO .. " failed:\n" .. out)
  local syms = {}
  for line in out:gmatch("[^\n]+") do
    -- "0000000000001110 T luaopen_mmap" (the address may be blank)
    local t, name = line:match("^%x*%s+(%a)%s+(%S+)$")
    assert(t, "unexpected nm output line: " .. line)
    syms[#syms + 1] = { type = t, name = name }
  end
  return syms
end

describe("mmap.so", function()
  it("exists in the current directory and is what require finds", function()
    local f = io.open(SO, "rb")
    assert(f, SO .. " is missing: run make")
    f:close()
    assert.are.equal(SO, searchpath("mmap", package.cpath))
  end)

  H.gate(NM, it, pending)("exports exactly the functions of src/lmmap.h: luaopen_mmap and the C API", function()
    local funcs = {}
    for _, s in ipairs(dynsyms()) do
      if s.type == "T" and s.name ~= "_init" and s.name ~= "_fini" then
        funcs[#funcs + 1] = s.name
      end
    end
    table.sort(funcs)
    assert.are.same({ "lmmap_check", "lmmap_test", "luaopen_mmap" }, funcs)
  end)

  H.gate(NM, it, pending)("exports no global data objects of its own", function()
    local linker = { __bss_start = true, _edata = true, _end = true }
    local data = {}
    for _, s in ipairs(dynsyms()) do
      if s.type:match("[DBRGSV]") and not linker[s.name] then
        data[#data + 1] = s.type .. " " .. s.name
      end
    end
    assert.are.same({}, data)
  end)

  it("luaopen_mmap can be loaded directly with package.loadlib", function()
    local open, err = package.loadlib(SO, "luaopen_mmap")
    assert(open, tostring(err))
    assert.are.equal("function", type(open))
  end)
end)

-- The extensions beyond POSIX.1-2008 the platform layer uses where a
-- feature test finds them (doc/mmap.md §14, "Platforms"). The full Linux
-- build calls each of them; the POSIX_ONLY build (make check POSIX_ONLY=1),
-- whose headers hid them, references none: nm proves it on the very file
-- the specs load.
describe("mmap.so and the extensions of Linux and glibc", function()
  local EXTENSIONS = { "madvise", "memmem", "memrchr", "mremap", "syscall" }

  -- The functions SO needs from elsewhere, without symbol versions.
  local function undefined()
    local ok, out = H.run("nm -D --undefined-only " .. SO)
    assert(ok, "nm -D --undefined-only " .. SO .. " failed:\n" .. out)
    local names = {}
    for name in out:gmatch("%s[Uw]%s+([%w_]+)") do names[name] = true end
    return names
  end

  local linux = H.run("test \"$(uname -s)\" = Linux")
  local gate = H.gate(not H.POSIX_ONLY and not linux and "the full build is Linux's" or nil,
                      it, pending)

  gate(H.POSIX_ONLY and "references none of them: mremap, memrchr, memmem, madvise, syscall"
                    or "references each of them: mremap, memrchr, memmem, madvise, syscall",
       function()
    local names, found = undefined(), {}
    assert.is_true(names.mmap64 or names.mmap or false, "nm lists no mmap: " .. SO)
    for _, f in ipairs(EXTENSIONS) do
      if names[f] then found[#found + 1] = f end
    end
    assert.are.same(H.POSIX_ONLY and {} or EXTENSIONS, found)
  end)
end)

-- make static's library (make check builds the 5.4 one for examples/host):
-- one object in which only the lmmap.h names are global, so that the
-- core's (mm_*, mms_*, mmp_*) cannot clash with a host's.
describe("libmmap.a", function()
  local LIB = os.getenv("MMAP_STATIC") or "build/5.4/libmmap.a"

  H.gate(NM, it, pending)("defines exactly the C API of src/lmmap.h as global symbols", function()
    local ok, out = H.run("nm -g --defined-only " .. LIB)
    assert(ok, "nm -g " .. LIB .. " failed (run make static):\n" .. out)
    local globals = {}
    for t, name in out:gmatch("\n%x*%s+(%a)%s+(%S+)") do
      globals[#globals + 1] = t .. " " .. name
    end
    table.sort(globals)
    assert.are.same({ "T lmmap_check", "T lmmap_test", "T luaopen_mmap" }, globals)
  end)

  H.gate(NM, it, pending)("still holds the core, as local symbols", function()
    local ok, out = H.run("nm --defined-only " .. LIB)
    assert(ok, out)
    assert.truthy(out:find("\n%x+ t mm_create\n"), "mm_create is missing or global")
    assert.truthy(out:find("\n%x+ t mms_map\n"), "mms_map is missing or global")
  end)
end)

describe("require 'mmap'", function()
  local mmap = require "mmap"

  it("returns a table, the same one as package.loaded.mmap", function()
    assert.are.equal("table", type(mmap))
    assert.are.equal(mmap, package.loaded.mmap)
    assert.are.equal(mmap, require "mmap")
  end)

  it("gives the documented functions", function()
    assert.are.equal("function", type(mmap.mmap))
    assert.are.equal("function", type(mmap.open))
    assert.are.equal("function", type(mmap.type))
  end)

  it("gives a version string 'mmap X.Y.Z'", function()
    assert.are.equal("string", type(mmap._VERSION))
    assert(mmap._VERSION:match("^mmap %d+%.%d+%.%d+$"), mmap._VERSION)
  end)

  it("gives integer constants", function()
    local names = { "ACCESS_DEFAULT", "ACCESS_READ", "ACCESS_WRITE", "ACCESS_COPY",
                    "PAGESIZE", "ALLOCATIONGRANULARITY" }
    if not H.WINDOWS then  -- Windows has no prot or flags
      for _, k in ipairs { "PROT_READ", "PROT_WRITE", "MAP_SHARED", "MAP_PRIVATE" } do
        names[#names + 1] = k
      end
    end
    for _, k in ipairs(names) do
      assert(H.isint(mmap[k]), k .. " is " .. tostring(mmap[k]))
    end
    assert.are.same({ 0, 1, 2, 3 },
      { mmap.ACCESS_DEFAULT, mmap.ACCESS_READ, mmap.ACCESS_WRITE, mmap.ACCESS_COPY })
  end)

  it("works in a fresh interpreter process", function()
    local out = H.child([[
      local m = require "mmap"
      io.write(type(m), " ", tostring(package.loaded.mmap == m), " ", type(m.mmap))
    ]])
    assert.are.equal("table true function", out)
  end)

  it("a map from the loaded module works end to end", function()
    local m = assert(mmap.mmap(-1, 4))
    m[0] = 0x61
    assert.are.equal("a\0\0\0", m:slice())
    assert.is_true(m:close())
  end)
end)
