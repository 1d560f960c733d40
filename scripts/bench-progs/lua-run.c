/* The smallest Lua 5.4 host: runs the script named by argv[1] with the
 * standard libraries (Lua's own lua.c is not in the lua-src crate that
 * scripts/programs-bench.sh builds from). Exit 1 with Lua's message on error. */
#include <stdio.h>
#include "lauxlib.h"
#include "lualib.h"

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: lua-run SCRIPT\n");
		return 2;
	}
	lua_State *L = luaL_newstate();
	if (!L) {
		fprintf(stderr, "lua-run: out of memory\n");
		return 1;
	}
	luaL_openlibs(L);
	if (luaL_dofile(L, argv[1]) != LUA_OK) {
		fprintf(stderr, "lua-run: %s\n", lua_tostring(L, -1));
		return 1;
	}
	lua_close(L);
	return 0;
}
