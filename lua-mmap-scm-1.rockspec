rockspec_format = "3.0"
package = "lua-mmap"
version = "scm-1"

source = {
   url = "git+https://github.com/lua-mmap/lua-mmap.git",
}

description = {
   summary = "Memory-mapped files for Lua 5.1-5.4 and LuaJIT, with the API of Python's mmap",
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
   labels = { "mmap", "file", "memory" },
}

dependencies = {
   "lua >= 5.1, < 5.5",
}

build = {
   type = "make",
   build_target = "all",
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

test = {
   type = "command",
   command = "make check",
}
