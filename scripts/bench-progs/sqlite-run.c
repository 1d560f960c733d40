/* Runs the SQL script named by argv[1] on an in-memory SQLite database
 * (sqlite3_exec of the whole text) and prints each result row, '|'
 * between columns, as the sqlite3 shell does. The amalgamation comes from
 * the libsqlite3-sys crate (scripts/programs-bench.sh), which has no shell.c. */
#include <stdio.h>
#include <stdlib.h>
#include "sqlite3.h"

static int row(void *unused, int n, char **values, char **names)
{
	(void)unused;
	(void)names;
	for (int i = 0; i < n; i++)
		printf("%s%s", i ? "|" : "", values[i] ? values[i] : "");
	printf("\n");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: sqlite-run SCRIPT.sql\n");
		return 2;
	}
	FILE *f = fopen(argv[1], "rb");
	if (!f) {
		perror(argv[1]);
		return 1;
	}
	if (fseek(f, 0, SEEK_END) != 0) {
		perror(argv[1]);
		return 1;
	}
	long size = ftell(f);
	rewind(f);
	char *sql = malloc(size + 1);
	if (!sql || fread(sql, 1, size, f) != (size_t)size) {
		fprintf(stderr, "sqlite-run: cannot read %s\n", argv[1]);
		return 1;
	}
	sql[size] = 0;
	fclose(f);
	sqlite3 *db;
	if (sqlite3_open(":memory:", &db) != SQLITE_OK) {
		fprintf(stderr, "sqlite-run: %s\n", sqlite3_errmsg(db));
		return 1;
	}
	char *err = 0;
	if (sqlite3_exec(db, sql, row, 0, &err) != SQLITE_OK) {
		fprintf(stderr, "sqlite-run: %s\n", err);
		return 1;
	}
	sqlite3_close(db);
	free(sql);
	return 0;
}
