-- close(), the closed state, <close>/__gc, and descriptor hygiene.
local H = require "helper"
local mmap = require "mmap"

-- The descriptor count after a full collection, so that garbage file handles
-- (ours or busted's) cannot be collected between a baseline and a later count.
local fdbase = H.fdbase

describe("close()", function()
  after_each(function() H.cleanup() end)

  it("returns true", function()
    local m = assert(mmap.mmap(-1, 10))
    assert.is_true(m:close())
  end)

  it("is idempotent: a second and third close return true and do not raise", function()
    local m = assert(mmap.mmap(-1, 10))
    assert.is_true(m:close())
    assert.is_true(m:close())
    assert.is_true(m:close())
    assert.are.equal("closed mmap", mmap.type(m))
  end)

  it("closes a file-backed map too", function()
    local path = H.tmpfile("0123456789")
    local m = assert(mmap.open(path, "r+"))
    assert.is_true(m:close())
    assert.is_true(m:close())
    assert.are.equal("closed mmap", mmap.type(m))
  end)

  it("does not change the file (no data lost, no truncation)", function()
    local path = H.tmpfile("0123456789")
    local m = assert(mmap.open(path, "r+"))
    m:write("ab")
    assert.is_true(m:close())
    assert.are.equal("ab23456789", H.slurp(path))
  end)
end)

describe("the closed property", function()
  it("is false while open and true once closed", function()
    local m = assert(mmap.mmap(-1, 10))
    assert.are.equal(false, m.closed)
    m:close()
    assert.are.equal(true, m.closed)
  end)

  it("is a boolean on a read-only file map as well", function()
    local path = H.tmpfile("abc")
    local m = assert(mmap.open(path, "r"))
    assert.are.equal(false, m.closed)
    m:close()
    assert.are.equal(true, m.closed)
    H.cleanup()
  end)
end)

describe("mmap.type", function()
  it("is 'mmap' for an open map and 'closed mmap' after close", function()
    local m = assert(mmap.mmap(-1, 10))
    assert.are.equal("mmap", mmap.type(m))
    m:close()
    assert.are.equal("closed mmap", mmap.type(m))
  end)

  it("is nil for values that are not maps", function()
    assert.is_nil(mmap.type(nil))
    assert.is_nil(mmap.type(42))
    assert.is_nil(mmap.type("mmap"))
    assert.is_nil(mmap.type({}))
    assert.is_nil(mmap.type(io.stdout))
    assert.is_nil(mmap.type(mmap))
  end)
end)

describe("a closed map", function()
  local m

  before_each(function()
    m = assert(mmap.mmap(-1, 10))
    assert(m:write("abc\ndef\n"))
    m:seek(0)
    assert.is_true(m:close())
  end)

  -- Every operation that must raise "mmap closed or invalid". Each entry is
  -- called with the closed map; arguments are valid for an open map of 10 bytes
  -- so that the only possible reason to fail is the closed state.
  local raising = {
    { "find",                 function(x) return x:find("a") end },
    { "find with start/stop", function(x) return x:find("a", 0, 5) end },
    { "rfind",                function(x) return x:rfind("a") end },
    { "rfind with start/stop", function(x) return x:rfind("a", 0, 5) end },
    { "flush()",              function(x) return x:flush() end },
    { "flush(0, 10)",         function(x) return x:flush(0, 10) end },
    { "madvise",              function(x) return x:madvise(mmap.MADV_NORMAL) end },
    { "madvise with range",   function(x) return x:madvise(mmap.MADV_NORMAL, 0, 10) end },
    { "move",                 function(x) return x:move(0, 1, 2) end },
    { "read()",               function(x) return x:read() end },
    { "read(1)",              function(x) return x:read(1) end },
    { "read(0)",              function(x) return x:read(0) end },
    { "read_byte",            function(x) return x:read_byte() end },
    { "readline",             function(x) return x:readline() end },
    { "resize",               function(x) return x:resize(20) end },
    { "seek(0)",              function(x) return x:seek(0) end },
    { "seek(2, 1)",           function(x) return x:seek(2, 1) end },
    { "seek('set')",          function(x) return x:seek("set") end },
    { "seek() (no arguments)", function(x) return x:seek() end },
    { "size",                 function(x) return x:size() end },
    { "tell",                 function(x) return x:tell() end },
    { "write",                function(x) return x:write("z") end },
    { "write_byte",           function(x) return x:write_byte(65) end },
    { "slice()",              function(x) return x:slice() end },
    { "slice(0, 3)",          function(x) return x:slice(0, 3) end },
    { "setslice(0, 1, data)", function(x) return x:setslice(0, 1, "z") end },
    { "setslice(0, 2, 1, data)", function(x) return x:setslice(0, 2, 1, "zz") end },
    { "mm[0]",                function(x) return x[0] end },
    { "mm[-1]",               function(x) return x[-1] end },
    { "mm[9]",                function(x) return x[9] end },
    { "mm[100] (would be out of range)", function(x) return x[100] end },
    { "mm[0] = 1",            function(x) x[0] = 1 end },
    { "mm[100] = 1 (would be out of range)", function(x) x[100] = 1 end },
    { "mm[0] = 256 (bad value)", function(x) x[0] = 256 end },
    { "#mm",                  function(x) return #x end },
    { "the method read called through a looked-up value",
      function(x) local f = x.read; return f(x, 1) end },
  }

  for _, case in ipairs(raising) do
    local name, fn = case[1], case[2]
    local madv = name:find("madvise", 1, true) and H.NOTWIN.madvise
    H.gate(madv, it, pending)(name .. " raises '" .. H.MSG.closed .. "'", function()
      H.raises(H.MSG.closed, fn, m)
    end)
  end

  it("still raises after a failed operation (the state is not disturbed)", function()
    H.raises(H.MSG.closed, function() return m:read(1) end)
    H.raises(H.MSG.closed, function() return m:read(1) end)
    assert.are.equal("closed mmap", mmap.type(m))
  end)

  it("close() works and returns true", function()
    assert.is_true(m:close())
  end)

  it("closed is true", function()
    assert.is_true(m.closed)
  end)

  it("seekable() returns true", function()
    assert.is_true(m:seekable())
  end)

  it("tostring gives <mmap.mmap closed=true>", function()
    assert.are.equal("<mmap.mmap closed=true>", tostring(m))
  end)

  it("mmap.type gives 'closed mmap'", function()
    assert.are.equal("closed mmap", mmap.type(m))
  end)

  it("method lookup (mm.read) returns a function and does not raise", function()
    local ok, f = pcall(function() return m.read end)
    assert.is_true(ok, "looking up a method on a closed map raised: " .. tostring(f))
    assert.are.equal("function", type(f))
    H.raises(H.MSG.closed, f, m)
  end)

  it("every method name still resolves to a function", function()
    local names = { "close", "find", "rfind", "flush", "move",
                    "read", "read_byte", "readline", "resize", "seek",
                    "seekable", "size", "tell", "write", "write_byte",
                    "slice", "setslice" }
    if not H.WINDOWS then names[#names + 1] = "madvise" end  -- none there
    for _, name in ipairs(names) do
      local ok, v = pcall(function() return m[name] end)
      assert(ok, "m." .. name .. " raised: " .. tostring(v))
      assert(type(v) == "function", "m." .. name .. " is " .. type(v))
    end
  end)

  it("an unknown string key gives nil and does not raise", function()
    local ok, v = pcall(function() return m.no_such_method end)
    assert.is_true(ok)
    assert.is_nil(v)
  end)

  it("assignment to a string key raises the closed error first", function()
    H.raises(H.MSG.closed, function() m.foo = 1 end)
  end)
end)

describe("closed checks come before the read-only check", function()
  after_each(function() H.cleanup() end)

  it("write on a closed ACCESS_READ map reports the closed state", function()
    local path = H.tmpfile("0123456789")
    local m = assert(mmap.open(path, "r"))
    m:close()
    H.raises(H.MSG.closed, function() return m:write("x") end)
    H.raises(H.MSG.closed, function() return m:write_byte(1) end)
    H.raises(H.MSG.closed, function() m[0] = 1 end)
    H.raises(H.MSG.closed, function() return m:setslice(0, 1, "x") end)
    H.raises(H.MSG.closed, function() return m:move(0, 1, 1) end)
  end)

  it("arguments of the wrong type on a closed map report the closed state", function()
    local m = assert(mmap.mmap(-1, 10))
    m:close()
    H.raises(H.MSG.closed, function() return m:read("x") end)
    H.raises(H.MSG.closed, function() return m:write(5) end)
    H.raises(H.MSG.closed, function() return m:find({}) end)
  end)

  it("resize on a closed trackfd=false map reports the closed state", function()
    local path = H.tmpfile("0123456789")
    local f = assert(io.open(path, "r+b"))
    local m = assert(mmap.mmap(f, 0, { trackfd = false }))
    m:close()
    f:close()
    H.raises(H.MSG.closed, function() return m:resize(20) end)
    H.raises(H.MSG.closed, function() return m:size() end)
  end)
end)

-- These need `local x <close>` (Lua 5.4): compiled from source there and
-- pending elsewhere. The bodies see the spec's environment plus the locals
-- they use.
local CLOSE_ENV = H.CLOSE and setmetatable({ H = H, mmap = mmap, fdbase = fdbase },
                                           { __index = _ENV })

describe("<close> variables", function()
  local it = H.CLOSE and it or pending

  it("close the map at the end of a do-block", H.close_body([[
    local ref
    do
      local m <close> = assert(mmap.mmap(-1, 10))
      ref = m
      assert.are.equal("mmap", mmap.type(m))
      m[0] = 7
      assert.are.equal(7, m[0])
    end
    assert.are.equal("closed mmap", mmap.type(ref))
    assert.is_true(ref.closed)
  ]], CLOSE_ENV))

  it("close the map when the block exits by an error, which propagates unchanged", H.close_body([[
    local ref
    local ok, err = pcall(function()
      local m <close> = assert(mmap.mmap(-1, 10))
      ref = m
      error("boom in the block", 0)
    end)
    assert.is_false(ok)
    assert.are.equal("boom in the block", err)
    assert.are.equal("closed mmap", mmap.type(ref))
  ]], CLOSE_ENV))

  it("close the map when a function returns from inside the block", H.close_body([[
    local ref
    local function f()
      local m <close> = assert(mmap.mmap(-1, 10))
      ref = m
      return m[0]
    end
    assert.are.equal(0, f())
    assert.are.equal("closed mmap", mmap.type(ref))
  ]], CLOSE_ENV))

  it("work on a map that was already closed explicitly", H.close_body([[
    local ref
    local ok, err = pcall(function()
      local m <close> = assert(mmap.mmap(-1, 10))
      ref = m
      m:close()
    end)
    assert.is_true(ok, tostring(err))
    assert.are.equal("closed mmap", mmap.type(ref))
  ]], CLOSE_ENV))

  H.gate(H.NOTWIN.proc, it, pending)("close a file map and release its descriptor", H.close_body([[
    local path = H.tmpfile("0123456789")
    local base = fdbase()
    local ref
    do
      local m <close> = assert(mmap.open(path, "r+"))
      ref = m
      m:write("XY")
    end
    assert.are.equal("closed mmap", mmap.type(ref))
    assert.are.equal(base, H.fdcount())
    assert.are.equal("XY23456789", H.slurp(path))
    H.cleanup()
  ]], CLOSE_ENV))
end)

describe("__close and __gc", function()
  it("exist in the metatable as functions", function()
    local m = assert(mmap.mmap(-1, 10))
    local mt = getmetatable(m)
    assert.are.equal("function", type(mt.__close))
    assert.are.equal("function", type(mt.__gc))
    m:close()
  end)

  it("__gc called after close is harmless and does not raise", function()
    local m = assert(mmap.mmap(-1, 10))
    m:close()
    local gc = getmetatable(m).__gc
    local ok, err = pcall(gc, m)
    assert.is_true(ok, tostring(err))
    ok, err = pcall(gc, m)
    assert.is_true(ok, tostring(err))
    assert.are.equal("closed mmap", mmap.type(m))
    assert.is_true(m:close())
  end)

  it("__close called twice is harmless and does not raise", function()
    local m = assert(mmap.mmap(-1, 10))
    local cl = getmetatable(m).__close
    local ok, err = pcall(cl, m, nil)
    assert.is_true(ok, tostring(err))
    assert.are.equal("closed mmap", mmap.type(m))
    ok, err = pcall(cl, m, nil)
    assert.is_true(ok, tostring(err))
    assert.are.equal("closed mmap", mmap.type(m))
  end)

  it("__close with an error object as second argument closes and does not raise", function()
    local m = assert(mmap.mmap(-1, 10))
    local ok, err = pcall(getmetatable(m).__close, m, "some error")
    assert.is_true(ok, tostring(err))
    assert.are.equal("closed mmap", mmap.type(m))
  end)

  it("__gc on an open map closes it", function()
    local m = assert(mmap.mmap(-1, 10))
    local ok, err = pcall(getmetatable(m).__gc, m)
    assert.is_true(ok, tostring(err))
    assert.are.equal("closed mmap", mmap.type(m))
    H.raises(H.MSG.closed, function() return m[0] end)
    assert.is_true(m:close())
  end)

  it("__gc then __close then close(), in any order, never raises", function()
    local m = assert(mmap.mmap(-1, 10))
    local mt = getmetatable(m)
    assert.is_true((pcall(mt.__gc, m)))
    assert.is_true((pcall(mt.__close, m, nil)))
    assert.is_true(m:close())
    assert.is_true((pcall(mt.__gc, m)))
  end)

  H.gate(H.NOTWIN.proc, it, pending)("__gc on an open file map releases its descriptor", function()
    local path = H.tmpfile("0123456789")
    local base = fdbase()
    local m = assert(mmap.open(path, "r"))
    assert.are.equal(base + 1, H.fdcount())
    getmetatable(m).__gc(m)
    assert.are.equal(base, H.fdcount())
    getmetatable(m).__gc(m)
    assert.are.equal(base, H.fdcount())
    H.cleanup()
  end)
end)

describe("descriptor hygiene", function()
  -- 200 maps open at once need 200 descriptors more than the process has,
  -- below the 1024 that H.fdcount looks at (probed: ulimit -n)
  local limit = tonumber((select(2, H.run("ulimit -n")):match("^%s*(%d+)")))
  local many = H.gate(limit and limit < 512 and
    ("needs 512 descriptors, ulimit -n is %d"):format(limit), it, pending)

  after_each(function()
    collectgarbage("collect")
    H.cleanup()
  end)

  H.gate(H.NOTWIN.proc, it, pending)("an open file map holds exactly one descriptor; close releases it", function()
    local path = H.tmpfile("0123456789")
    local base = fdbase()
    local m = assert(mmap.open(path, "r+"))
    assert.are.equal(base + 1, H.fdcount())
    m:close()
    assert.are.equal(base, H.fdcount())
  end)

  H.gate(H.NOTWIN.proc, it, pending)("an anonymous map holds no descriptor", function()
    local base = fdbase()
    local m = assert(mmap.mmap(-1, 4096))
    assert.are.equal(base, H.fdcount())
    m:close()
    assert.are.equal(base, H.fdcount())
  end)

  H.gate(H.NOTWIN.proc, it, pending)("1000 cycles of mmap.open(path, 'r+') and close leak no descriptor", function()
    local path = H.tmpfile("0123456789")
    local base = fdbase()
    for i = 1, 1000 do
      local m, err = mmap.open(path, "r+")
      assert(m, "cycle " .. i .. ": " .. tostring(err))
      m:close()
    end
    assert.are.equal(base, H.fdcount())
  end)

  H.gate(H.NOTWIN.proc, it, pending)(
      "1000 cycles of mmap.mmap(io.open(path, 'r+b'), 0), closing both, leak no descriptor", function()
    local path = H.tmpfile("0123456789")
    local base = fdbase()
    for i = 1, 1000 do
      local f = assert(io.open(path, "r+b"))
      local m, err = mmap.mmap(f, 0)
      assert(m, "cycle " .. i .. ": " .. tostring(err))
      m:close()
      f:close()
    end
    assert.are.equal(base, H.fdcount())
  end)

  H.gate(H.NOTWIN.proc, many, pending)("200 maps left unclosed are released by the garbage collector", function()
    local path = H.tmpfile("0123456789")
    local base = fdbase()
    local maps = {} -- luacheck: ignore 241
    for i = 1, 200 do
      maps[i] = assert(mmap.open(path, "r"))
    end
    assert.are.equal(base + 200, H.fdcount())
    maps = nil -- luacheck: ignore
    collectgarbage("collect")
    collectgarbage("collect")
    assert.are.equal(base, H.fdcount())
  end)

  H.gate(H.NOTWIN.proc, many, pending)(
      "200 unclosed maps made from file handles are released by the collector", function()
    local path = H.tmpfile("0123456789")
    local base = fdbase()
    local maps = {} -- luacheck: ignore 241
    for i = 1, 200 do
      local f = assert(io.open(path, "rb"))
      maps[i] = assert(mmap.mmap(f, 0, { access = mmap.ACCESS_READ }))
      f:close()
    end
    assert.are.equal(base + 200, H.fdcount())
    maps = nil -- luacheck: ignore
    collectgarbage("collect")
    collectgarbage("collect")
    assert.are.equal(base, H.fdcount())
  end)

  it("closing the map never closes the caller's file", function()
    local path = H.tmpfile("0123456789")
    local f = assert(io.open(path, "r+b"))
    local m = assert(mmap.mmap(f, 0))
    assert.is_true(m:close())
    assert.are.equal("file", io.type(f))
    assert.are.equal("0123", f:read(4))
    assert(f:seek("set", 0))
    assert(f:write("W"))
    assert(f:flush())
    f:close()
    assert.are.equal("W123456789", H.slurp(path))
  end)

  it("collecting an unclosed map never closes the caller's file", function()
    local path = H.tmpfile("0123456789")
    local f = assert(io.open(path, "rb"))
    local m = assert(mmap.mmap(f, 0, { access = mmap.ACCESS_READ }))
    assert.are.equal(("0"):byte(), m[0])
    m = nil -- luacheck: ignore
    collectgarbage("collect")
    collectgarbage("collect")
    assert.are.equal("file", io.type(f))
    assert.are.equal("0123456789", f:read("*a"))
    f:close()
  end)

  it("__gc on the map does not close the caller's file either", function()
    local path = H.tmpfile("0123456789")
    local f = assert(io.open(path, "rb"))
    local m = assert(mmap.mmap(f, 0, { access = mmap.ACCESS_READ }))
    getmetatable(m).__gc(m)
    assert.are.equal("01", f:read(2))
    f:close()
  end)

  it("the map keeps working after the caller closes its file", function()
    local path = H.tmpfile("0123456789")
    local f = assert(io.open(path, "r+b"))
    local m = assert(mmap.mmap(f, 0))
    f:close()
    assert.are.equal(("0"):byte(), m[0])
    m[1] = ("X"):byte()
    assert.are.equal(10, m:size())
    assert.is_true(m:flush())
    assert.is_true(m:close())
    assert.are.equal("0X23456789", H.slurp(path))
  end)

  H.gate(H.NOTWIN.proc, it, pending)("trackfd=false holds no descriptor while the map is open", function()
    local path = H.tmpfile("0123456789")
    local f = assert(io.open(path, "r+b"))
    local base = fdbase()
    local m = assert(mmap.mmap(f, 0, { trackfd = false }))
    assert.are.equal(base, H.fdcount())
    assert.are.equal(("0"):byte(), m[0])
    m:close()
    assert.are.equal(base, H.fdcount())
    f:close()
  end)

  H.gate(H.NOTWIN.proc, it, pending)(
      "trackfd=true (the default) holds one descriptor of its own, for contrast", function()
    local path = H.tmpfile("0123456789")
    local f = assert(io.open(path, "r+b"))
    local base = fdbase()
    local m = assert(mmap.mmap(f, 0, { trackfd = true }))
    assert.are.equal(base + 1, H.fdcount())
    m:close()
    assert.are.equal(base, H.fdcount())
    f:close()
  end)

  H.gate(H.NOTWIN.proc, it, pending)("the descriptor held by the map is close-on-exec", function()
    local path = H.tmpfile("0123456789")
    -- Control: a descriptor from io.open is inherited by a child process, so
    -- `ls -l /proc/self/fd` run by the child shows the path.
    local f = assert(io.open(path, "rb"))
    local p = assert(io.popen("ls -l /proc/self/fd 2>/dev/null"))
    local listing = p:read("*a")
    p:close()
    assert(listing:find(path, 1, true),
      "control failed: the io.open descriptor is not visible in a child")
    -- The maps' own descriptors (a dup of f's, and mmap.open's) must not be.
    local m1 = assert(mmap.mmap(f, 0, { access = mmap.ACCESS_READ }))
    f:close()
    local m2 = assert(mmap.open(path, "r"))
    p = assert(io.popen("ls -l /proc/self/fd 2>/dev/null"))
    listing = p:read("*a")
    p:close()
    assert.is_nil(listing:find(path, 1, true))
    m1:close()
    m2:close()
  end)
end)

-- Making a result's buffer is an allocation, which may run a finalizer that
-- closes or shrinks the map before the bytes are copied: the call must
-- raise, not read unmapped memory (it crashed before the re-check). In a
-- child, so that this process keeps its collector settings. On 5.5 the
-- buffer of a long result comes from the state's allocator, which runs no
-- collection: there the finalizer runs inside the call once the bytes are
-- copied (the collector step that accounts for them), and the call returns
-- them whole. Either way the finalizer must have run inside the calls.
local FULL = { read = 50000, readline = 90001, lines = 90000, slice = 30000 }
describe("a finalizer that closes or shrinks the map during a call", function()
  for _, op in ipairs { "read", "readline", "lines", "slice" } do
    it("makes " .. op .. " raise instead of crashing", function()
      local out = H.child(([[
        local mmap = require "mmap"
        local op = %q
        -- Every allocation runs a whole collection cycle, finalizers and
        -- all: incremental mode, no pause, a large step (5.4 keeps a
        -- quarter of it in a byte: 1000 is about its most; 5.1 and LuaJIT
        -- need more; 5.5's 0 is a whole cycle per step).
        collectgarbage()
        pcall(collectgarbage, "incremental")
        if _VERSION == "Lua 5.5" then  -- no setpause/setstepmul (H.eager_gc)
          collectgarbage("param", "pause", 0)
          collectgarbage("param", "stepmul", 0)
        else
          collectgarbage("setpause", 0)
          collectgarbage("setstepmul", _VERSION == "Lua 5.4" and 1000 or 10000)
        end
        local incall, during = false, 0
        for _, act in ipairs { "close", "shrink" } do
          local seen = {}
          during = 0
          for _ = 1, 20 do
            local mm = mmap.mmap(-1, 100000, { flags = mmap.MAP_PRIVATE })
            mm:write(("x\n"):rep(10) .. ("y"):rep(90000) .. "\n")
            mm:seek(20)
            local it = op == "lines" and mm:lines()  -- made before: it allocates
            finalizer(function()  -- H.finalizer, which H.child gives
              if mm.closed then return end  -- ran late: 5.1 would raise it
              if incall then during = during + 1 end
              if act == "close" then mm:close() else mm:resize(100) end
            end)
            local ok, err
            incall = true
            if op == "read" then ok, err = pcall(mm.read, mm, 50000)
            elseif op == "readline" then ok, err = pcall(mm.readline, mm)
            elseif op == "lines" then ok, err = pcall(it)
            else ok, err = pcall(mm.slice, mm, 0, 60000, 2) end
            incall = false
            seen[ok and "ok " .. #err or tostring(err)] = true
            mm:close()
          end
          for k in pairs(seen) do print(act .. ": " .. k) end
          print(act .. " during the call: " .. during)
        end
        print("survived")
      ]]):format(op))
      -- closed inside the call: the error, or (once the bytes are copied)
      -- the whole result; where allocating runs the collector (before
      -- 5.5), the error at least once
      for line in out:gmatch("close: ([^\n]*)") do
        assert.truthy(line == "ok " .. FULL[op] or line:find(H.MSG.closed, 1, true), out)
      end
      if H.VERSION < 5.5 then
        assert.truthy(out:find("close: " .. H.MSG.closed, 1, true), out)
      end
      -- a shrink may also come before the call reads (5.2 collects as a
      -- call starts), and then the shorter map is read: any of these is
      -- right, never a longer result
      for line in out:gmatch("shrink: ([^\n]*)") do
        local n = tonumber(line:match("^ok (%d+)$"))
        assert.truthy((n and n <= FULL[op]) or line:find(H.MSG.index, 1, true), out)
      end
      assert.truthy(out:find("shrink: ", 1, true), out)
      -- the case stresses something only if the finalizer ran inside
      -- the calls, for both acts, on this Lua and its collector settings
      for _, act in ipairs { "close", "shrink" } do
        local n = tonumber(out:match(act .. " during the call: (%d+)"))
        assert(n and n > 0, act .. ": the finalizer never ran during a call\n" .. out)
      end
      assert.truthy(out:find("survived\n", 1, true), out)
    end)
  end
end)
