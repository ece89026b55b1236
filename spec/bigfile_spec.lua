-- Files larger than 4 GiB, mapped at offsets above 4 GiB: no 32-bit truncation
-- of offsets, lengths or sizes. The file is sparse, so no real 5 GiB are written.
local H = require "helper"
local mmap = require "mmap"

local GiB = 1024 * 1024 * 1024  -- an integer on 5.3+, an exact double before
local TAILPOS = 5 * GiB                      -- where "tail" is written
local FILESIZE = TAILPOS + 4                 -- size of the sparse file
local PAGE = mmap.PAGESIZE
local OFFSET = 4 * GiB + PAGE                -- map offset, above 4 GiB, aligned
local REL = 1000                             -- marker's offset inside the map
local MARKER = "MARKER>4GiB"
local DECOY = "DECOY<4GiB!"                  -- where a 32-bit-truncated offset would look

-- What the machine must allow, probed: sparse files past 5 GiB in /tmp (a
-- filesystem that takes them, no file-size limit below), and for the maps
-- of the whole tail (about 1 GiB) the address space to hold them.
local NO_BIG = H.sparse(FILESIZE)
local NO_ROOM = NO_BIG or H.addrspace(FILESIZE - OFFSET)
local test, big = H.gate(NO_BIG, it, pending), H.gate(NO_ROOM, it, pending)

-- Write `s` at absolute file position `pos` through Lua's io.
local function poke(path, pos, s)
  local f = assert(io.open(path, "r+b"))
  assert(f:seek("set", pos))
  assert(f:write(s))
  assert(f:close())
end

-- Read `n` bytes at absolute file position `pos` through Lua's io.
local function peek(path, pos, n)
  local f = assert(io.open(path, "rb"))
  assert(f:seek("set", pos))
  local s = f:read(n)
  f:close()
  return s
end

-- Make a sparse file of FILESIZE bytes; fail clearly if the filesystem refuses
-- (it took the probe's).
local function bigfile()
  local path = H.tmpfile("")
  local f = assert(io.open(path, "r+b"))
  local ok, err = f:seek("set", TAILPOS)
  assert(ok, "cannot seek to 5 GiB in " .. path .. ": " .. tostring(err))
  ok, err = f:write("tail")
  assert(ok, "the filesystem refused a sparse 5 GiB file " .. path .. ": " .. tostring(err))
  assert(f:close())
  local size = H.filesize(path)
  assert(size == FILESIZE, ("the filesystem refused a sparse file: %s is %s bytes, "
    .. "expected %d"):format(path, tostring(size), FILESIZE))
  poke(path, OFFSET + REL, MARKER)
  poke(path, H.band(OFFSET + REL, 0xffffffff), DECOY)
  return path
end

describe("a sparse file larger than 4 GiB", function()
  local path, m, f

  before_each(function()
    path = bigfile()
  end)

  after_each(function()
    if m then m:close(); m = nil end
    if f then f:close(); f = nil end
    os.remove(path)
    H.cleanup()
  end)

  test("mapped at an offset above 4 GiB reads the marker at the right place", function()
    f = assert(io.open(path, "r+b"))
    m = assert(mmap.mmap(f, 2 * PAGE, { offset = OFFSET }))
    assert.are.equal(2 * PAGE, #m)
    assert.are.equal(MARKER, m:slice(REL, REL + #MARKER))
    assert.are.equal(MARKER:byte(1), m[REL])
    assert.are.equal(0, m[REL - 1])
    m:seek(REL)
    assert.are.equal(MARKER, m:read(#MARKER))
  end)

  test("positional arguments take an offset above 4 GiB as well", function()
    f = assert(io.open(path, "r+b"))
    m = assert(mmap.mmap(f, PAGE, mmap.MAP_SHARED, H.bor(mmap.PROT_READ, mmap.PROT_WRITE),
      mmap.ACCESS_DEFAULT, OFFSET))
    assert.are.equal(MARKER, m:slice(REL, REL + #MARKER))
  end)

  test("find locates the marker at its offset relative to the map", function()
    f = assert(io.open(path, "r+b"))
    m = assert(mmap.mmap(f, 2 * PAGE, { offset = OFFSET }))
    assert.are.equal(REL, m:find(MARKER))
    assert.are.equal(REL, m:rfind(MARKER))
    assert.is_nil(m:find(DECOY))
    assert.are.equal(0, m:tell())
  end)

  test("tostring shows the offset", function()
    f = assert(io.open(path, "r+b"))
    m = assert(mmap.mmap(f, 2 * PAGE, { offset = OFFSET }))
    local s = tostring(m)
    assert(s:find(("offset=%d>"):format(OFFSET), 1, true), s)
    assert(s:find(("length=%d,"):format(2 * PAGE), 1, true), s)
    assert.are.equal(("<mmap.mmap closed=false, access=ACCESS_DEFAULT, length=%d, "
      .. "pos=0, offset=%d>"):format(2 * PAGE, OFFSET), s)
  end)

  test("a write through the map lands at offset + i in the file", function()
    f = assert(io.open(path, "r+b"))
    m = assert(mmap.mmap(f, 2 * PAGE, { offset = OFFSET }))
    m:seek(3000)
    assert.are.equal(5, m:write("HELLO"))
    m[PAGE + 7] = 0x5a
    m:setslice(2 * PAGE - 2, 2 * PAGE, "@@")
    assert.is_true(m:flush())
    assert.are.equal("HELLO", peek(path, OFFSET + 3000, 5))
    assert.are.equal("Z", peek(path, OFFSET + PAGE + 7, 1))
    assert.are.equal("@@", peek(path, OFFSET + 2 * PAGE - 2, 2))
    assert.are.equal(MARKER, peek(path, OFFSET + REL, #MARKER))
    -- nothing landed at the 32-bit-truncated positions
    assert.are.equal("\0\0\0\0\0", peek(path, H.band(OFFSET + 3000, 0xffffffff), 5))
    assert.are.equal(DECOY, peek(path, H.band(OFFSET + REL, 0xffffffff), #DECOY))
    assert.are.equal(FILESIZE, H.filesize(path))
  end)

  test("flush with an explicit range above 4 GiB succeeds", function()
    f = assert(io.open(path, "r+b"))
    m = assert(mmap.mmap(f, 2 * PAGE, { offset = OFFSET }))
    m[PAGE + 1] = 1
    assert.is_true(m:flush(PAGE, PAGE))
    assert.is_true(m:flush(PAGE + 1, 10)) -- unaligned: widened to the page
    assert.are.equal("\1", peek(path, OFFSET + PAGE + 1, 1))
  end)

  test("size() is the whole file size, more than 4 GiB", function()
    f = assert(io.open(path, "r+b"))
    m = assert(mmap.mmap(f, PAGE, { offset = OFFSET }))
    local size = m:size()
    assert.is_true(H.isint(size), tostring(size))
    assert.are.equal(FILESIZE, size)
    assert.is_true(size > 4 * GiB)
  end)

  big("length 0 maps from the offset to the end of the file", function()
    f = assert(io.open(path, "r+b"))
    m = assert(mmap.mmap(f, 0, { offset = OFFSET }))
    assert.are.equal(FILESIZE - OFFSET, #m)
    assert.are.equal("tail", m:slice(-4))
    assert.are.equal(("l"):byte(), m[-1])
    assert.are.equal(MARKER, m:slice(REL, REL + #MARKER))
    assert.are.equal(FILESIZE, m:size())
    local s = tostring(m)
    assert(s:find(("length=%d,"):format(FILESIZE - OFFSET), 1, true), s)
  end)

  test("length 0 at an offset past the end raises 'mmap offset is greater than file size'", function()
    f = assert(io.open(path, "r+b"))
    H.raises(H.MSG.offbig,
      mmap.mmap, f, 0, { offset = 6 * GiB })
    H.raises(H.MSG.offbig,
      mmap.mmap, f, 0, { offset = H.idiv(TAILPOS + PAGE, PAGE) * PAGE })
  end)

  test("offset + length beyond the end raises 'mmap length is greater than file size'", function()
    f = assert(io.open(path, "r+b"))
    H.raises(H.MSG.lenbig,
      mmap.mmap, f, PAGE + 5, { offset = TAILPOS })
    H.raises(H.MSG.lenbig,
      mmap.mmap, f, 2 * GiB, { offset = OFFSET })
    assert.are.equal(FILESIZE, H.filesize(path)) -- the file is never extended
  end)

  test("an unaligned offset above 4 GiB gives EINVAL, not a truncated map", function()
    f = assert(io.open(path, "r+b"))
    H.oserror(H.EINVAL, mmap.mmap(f, PAGE, { offset = 4 * GiB + 1 }))
  end)

  big("mmap.open(path, 'r', 0, offset) maps the rest of the file read-only", function()
    m = assert(mmap.open(path, "r", 0, OFFSET))
    assert.are.equal(FILESIZE - OFFSET, #m)
    assert.are.equal(REL, m:find(MARKER))
    assert.are.equal("tail", m:slice(-4))
    assert.are.equal(FILESIZE, m:size())
    local s = tostring(m)
    assert(s:find("access=ACCESS_READ", 1, true), s)
    assert(s:find(("offset=%d>"):format(OFFSET), 1, true), s)
    H.raises(H.MSG.readonly, function() m[0] = 1 end)
  end)

  test("mmap.open(path, 'r', length, offset) maps just that length", function()
    m = assert(mmap.open(path, "r", PAGE, OFFSET))
    assert.are.equal(PAGE, #m)
    assert.are.equal(MARKER, m:slice(REL, REL + #MARKER))
  end)

  test("mmap.open(path, 'r+', length, offset) writes land at offset + i", function()
    m = assert(mmap.open(path, "r+", PAGE, OFFSET))
    m:setslice(REL, REL + 3, "mrk")
    assert.is_true(m:close())
    m = nil
    assert.are.equal("mrkKER>4GiB", peek(path, OFFSET + REL, #MARKER))
    assert.are.equal(FILESIZE, H.filesize(path))
  end)
end)

describe("mmap.open extending a file past 4 GiB", function()
  local m, path
  after_each(function()
    if m then m:close(); m = nil end
    if path then os.remove(path); path = nil end
    H.cleanup()
  end)

  test("'r+' extends a short file to offset + length (sparse) and maps there", function()
    path = H.tmpfile("short")
    m = assert(mmap.open(path, "r+", 10, OFFSET))
    assert.are.equal(OFFSET + 10, H.filesize(path))
    assert.are.equal(10, #m)
    assert.are.equal(0, m[9])
    m:write("far away")
    assert.is_true(m:flush())
    assert.are.equal("far away", peek(path, OFFSET, 8))
    assert.are.equal("short", peek(path, 0, 5))
  end)

  test("'w+' creates a file of offset + length bytes and maps there", function()
    path = H.tmpfile("old content")
    m = assert(mmap.open(path, "w+", 16, OFFSET))
    assert.are.equal(OFFSET + 16, H.filesize(path))
    assert.are.equal(16, #m)
    assert.are.equal(OFFSET + 16, m:size())
    m[15] = 0x7e
    assert.is_true(m:close())
    m = nil
    assert.are.equal("~", peek(path, OFFSET + 15, 1))
    assert.are.equal("\0\0\0", peek(path, 0, 3)) -- truncated first
  end)
end)
