-- lrexlib searches the map itself (doc/mmap.md §12, `mm:topointer`): its functions take a
-- userdata with a `topointer` method and `__len` as a subject. Needs Debian's
-- lua-rex-pcre2, which .ci/deps installs.
local H = require "helper"

local ok, rex = pcall(require, "rex_pcre2")

describe("lrexlib (rex_pcre2) over a map", function()
  if not ok then
    pending("needs lua-rex-pcre2 (installed by .ci/deps as root): " .. tostring(rex))
    return
  end
  after_each(function() H.cleanup() end)

  it("finds in the map, 1-based as for a string", function()
    local mm = H.anon("  hello world 42\n")
    assert.are.same({ 3, 7 }, { rex.find(mm, "[A-Za-z]+") })
    assert.are.same({ rex.find(H.all(mm), "[A-Za-z]+") }, { rex.find(mm, "[A-Za-z]+") })
  end)

  it("matches, captures and iterates like on the same bytes as a string", function()
    local text = "id=17 name=ann\nid=4 name=bob\n"
    local mm = H.anon(text)
    assert.are.same({ rex.match(text, "id=(\\d+) name=(\\w+)") },
                    { rex.match(mm, "id=(\\d+) name=(\\w+)") })
    local a, b = {}, {}
    for k, v in rex.gmatch(text, "(\\w+)=(\\w+)") do a[#a + 1] = k .. ":" .. v end
    for k, v in rex.gmatch(mm, "(\\w+)=(\\w+)") do b[#b + 1] = k .. ":" .. v end
    assert.are.same(a, b)
    assert.are.equal(4, #b)
  end)

  it("sees writes made through the map, and the map's length as its end", function()
    local mm = H.anon("xxxxxxxxxx")
    assert.is_nil(rex.find(mm, "[0-9]"))
    mm[9] = ("7"):byte()
    assert.are.same({ 10, 10 }, { rex.find(mm, "[0-9]") })
    assert.is_nil(rex.find(mm, "7x"))   -- nothing past #mm is read
  end)

  it("works on a file map without copying it into a string", function()
    local body = ("filler "):rep(20000) .. "NEEDLE-123 " .. ("tail "):rep(100)
    local mm = H.filemap(body, "rb", { access = require("mmap").ACCESS_READ })
    local s, e = rex.find(mm, "NEEDLE-\\d+")
    assert.are.equal(140001, s)
    assert.are.equal("NEEDLE-123", mm:slice(s - 1, e))
  end)

  it("refuses a closed map (topointer raises)", function()
    local mm = H.anon("abc")
    mm:close()
    H.raises(H.MSG.closed, rex.find, mm, "a")
  end)
end)
