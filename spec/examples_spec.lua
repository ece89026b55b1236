-- The scripts in examples/ run, exit with success and print what they claim:
-- a newcomer's first contact with the module must not be a broken script.
local H = require "helper"

-- Run an example with the spec's interpreter; returns ok and its output.
local function run(name, ...)
  local args = { ... }
  local q = H.WINDOWS and '"' or "'"  -- cmd.exe quotes with " alone
  for i, a in ipairs(args) do args[i] = q .. a .. q end
  -- (the examples put ./?.so first on package.cpath: on Windows the child
  -- loads the DLL under test before, from MMAP_CPATH, and require finds it)
  local pre = H.WINDOWS and [[ -e "package.cpath=os.getenv('MMAP_CPATH')..package.cpath"]]
    .. [[ -e "require('mmap')"]] or ""
  local ok, out = H.run(("%s%s examples/%s.lua %s")
    :format(H.LUA, pre, name, table.concat(args, " ")))
  return ok, out
end

describe("examples", function()
  after_each(H.cleanup)

  it("grep.lua finds every occurrence with its offset", function()
    local path = H.tmpfile("one map\ntwo\nthree maps\n")
    local ok, out = run("grep", path, "map")
    assert.is_true(ok, out)
    assert.truthy(out:find("offset 4, line 1: one map", 1, true), out)
    assert.truthy(out:find("offset 18, line 3: three maps", 1, true), out)
    assert.truthy(out:find("2 matches", 1, true), out)
  end)

  it("grep.lua reports a missing file as nil, msg, errno does", function()
    local ok, out = run("grep", "/nonexistent/file", "x")
    assert.is_false(not not ok)
    assert.truthy(out:find("No such file or directory", 1, true), out)
  end)

  it("patch.lua changes the file through the map", function()
    local path = H.tmpfile("the first line\nthe second line\n")
    local ok, out = run("patch", path)
    assert.is_true(ok, out)
    local after = H.slurp(path)
    assert.are_not.equal("the first line\nthe second line\n", after)
    assert.truthy(after:find("(patched through a map)", 1, true), after)
  end)

  it("region.lua maps an aligned region of a larger file", function()
    local G = require("mmap").ALLOCATIONGRANULARITY
    local path = H.tmpfile(("0123456789abcdef"):rep(H.idiv(3 * G, 16)))
    local ok, out = run("region", path)
    assert.is_true(ok, out)
    assert.truthy(out:find("offset=" .. G, 1, true), out)
    assert.truthy(out:find("mm[0] = 48, byte " .. G .. " of the file = 48", 1, true), out)
  end)

  it("anonymous.lua uses an anonymous map as a scratch buffer", function()
    local ok, out = run("anonymous")
    assert.is_true(ok, out)
    assert.truthy(out:find('read(5) = "hello"', 1, true), out)
  end)

  H.gate(H.notwin("examples/shared.lua quotes its child for sh (-e \x27...\x27)"), it, pending)(
      "shared.lua shows two processes talking through one file", function()
    local ok, out = run("shared")
    assert.is_true(ok, out)
    assert.truthy(out:find('now reads "pong from the second process"', 1, true), out)
  end)

  H.gate(H.notwin("examples/mutex.lua starts its workers as arg[-1] with ./?.so first: "
                  .. "they cannot load the DLL under test"), it, pending)(
      "mutex.lua keeps an exact count across 4 processes with its lock", function()
    local ok, out = run("mutex")
    assert.is_true(ok, out)
    assert.truthy(out:find("4 processes x 10000 locked increments: total 40000 (expected 40000)",
                           1, true), out)
  end)
end)
