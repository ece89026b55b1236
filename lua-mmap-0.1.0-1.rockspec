rockspec_format = "3.0"
package = "lua-mmap"
version = "0.1.0-1"

source = {
   url = "git+https://github.com/lua-mmap/lua-mmap.git",
   tag = "v0.1.0",
}

description = {
   summary = "Memory-mapped files for Lua 5.1-5.5 and LuaJIT, with the API of Python's mmap",
   detailed = [[
lua-mmap maps files and anonymous memory into a Lua program. A map works as
a fixed-size byte array (mm[i], #mm) and as an open file (read, write, seek,
readline, find) at once, with every method of Python's mmap module: slices,
move, resize, flush, madvise, and the MAP_*, PROT_*, MADV_* and MS_*
constants. Offsets are 0-based, "nothing" is nil, and operating-system
failures are returned as nil, message, errno, as io.open does.
]],
   license = "MIT",
   homepage = "https://github.com/lua-mmap/lua-mmap",
   issues_url = "https://github.com/lua-mmap/lua-mmap/issues",
   maintainer = "the lua-mmap authors",
   labels = { "mmap", "file", "memory" },
}

-- Tested on Linux only. The code needs only POSIX.1-2008 (Linux's
-- extensions behind feature tests, exercised by make check POSIX_ONLY=1),
-- but no other system is run by the project, so none is named here.
supported_platforms = { "linux" }

dependencies = {
   "lua >= 5.1, < 5.6",
}

build = {
   type = "make",
   build_target = "module",
   build_variables = {
      CFLAGS = "$(CFLAGS)",
      LIBFLAG = "$(LIBFLAG)",
      LUA_INCDIR = "$(LUA_INCDIR)",
      B = "build/luarocks",
   },
   install_target = "install",
   -- the same variables again: install rebuilds if anything differs
   install_variables = {
      INST_LIBDIR = "$(LIBDIR)",
      CFLAGS = "$(CFLAGS)",
      LIBFLAG = "$(LIBFLAG)",
      LUA_INCDIR = "$(LUA_INCDIR)",
      B = "build/luarocks",
   },
   copy_directories = { "doc", "examples" },
}

-- `luarocks test` runs the specs with busted on the Lua luarocks was
-- told about, against the installed module (see .ci/luarocks-test.lua).
-- A busted from the system (Debian's lua-busted) serves as well: tell
-- luarocks with rocks_provided = { busted = "2.1.1-1" } in its config.
test_dependencies = {
   "busted >= 2.0",
}

test = {
   type = "command",
   script = ".ci/luarocks-test.lua",
}
