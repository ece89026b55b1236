-- `luarocks test`: the specs on the Lua that luarocks runs this script with
-- (--lua-version, or lua_interpreter in its configuration), against the
-- mmap.so that `luarocks make` or `luarocks install` put in a rocks tree,
-- found as that Lua finds it (package.cpath: the system tree, or the
-- LUA_CPATH that `eval "$(luarocks path)"` sets for a tree of one's own).
-- Nothing is compiled.
--
-- busted runs in the same interpreter, from a scratch directory that holds
-- only spec/, examples/ and .busted (links to this tree), so that a
-- ./mmap.so left here by `make` (maybe for another Lua) is never loaded.
-- The specs of libmmap.a (make static) are left out: the rock has none.
-- Arguments are passed on to busted: `luarocks test -- -o TAP`.

-- Phase two, in the scratch directory: be busted.
if arg[1] == "--run" then
  table.remove(arg, 1)
  require("busted.runner")({ standalone = false })
  return
end

local function q(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

-- os.execute's success: 5.1 and LuaJIT return the status, 5.2+ true.
local function run(cmd)
  local r1, _, code = os.execute(cmd)
  return r1 == 0 or (r1 == true and (code == nil or code == 0))
end

local function first_line(cmd)
  local p = assert(io.popen(cmd))
  local s = p:read("*l")
  p:close()
  return s
end

-- The interpreter luarocks ran: the lowest arg index.
local lua, i = arg[0], 0
while arg[i - 1] do i = i - 1; lua = arg[i] end

-- The installed module: the first mmap.so on package.cpath, where the
-- current directory's templates do not count.
local function installed()
  for template in package.cpath:gmatch("[^;]+") do
    if not template:match("^%./") and template:match("%?") then
      local file = template:gsub("%?", "mmap")
      local f = io.open(file, "rb")
      if f then f:close(); return file end
    end
  end
end

local so = installed()
if not so then
  io.stderr:write("luarocks test: ", lua, " finds no installed mmap.so on its package.cpath.\n",
    "Run `luarocks make` (or install the rock) first; for a tree of your own,\n",
    "`eval \"$(luarocks --lua-version=X --tree=DIR path)\"` before `luarocks test`.\n")
  os.exit(1)
end
local dir = so:match("^(.*)/[^/]*$") or "."

local src = first_line("pwd")
local scratch = first_line("mktemp -d")
assert(src and scratch, "pwd or mktemp -d failed")
local setup = ("ln -s %s/spec %s/examples %s/.busted %s/")
  :format(q(src), q(src), q(src), q(scratch))
assert(run(setup), "cannot link the specs into " .. scratch)

print(("# luarocks test: %s on %s (libmmap.a's specs are make check's)"):format(so, lua))
io.stdout:flush()

local args = {}
for _, a in ipairs(arg) do args[#args + 1] = q(a) end
local cpath = q(dir .. "/?.so;")
local cmd = ("cd %s && LUA=%s MMAP_CPATH=%s MMAP_PLAIN_CPATH=%s %s %s --run %s %s")
  :format(q(scratch), q(lua), cpath, cpath, q(lua), q(src .. "/.ci/luarocks-test.lua"),
          q("--filter-out=^libmmap%.a "), table.concat(args, " "))
local ok = run(cmd)
run("rm -rf " .. q(scratch))
os.exit(ok and 0 or 1)
