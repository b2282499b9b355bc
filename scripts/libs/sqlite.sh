#!/usr/bin/env bash
# Functional test of sqlite through its shell: sqlite.sql (FTS5, FTS4, JSON, ...) on a file
# database, an error, then `.dump` of the database and a re-load of the dump.
# Usage: sqlite.sh SQLITE3, run in an empty scratch directory with LD_LIBRARY_PATH choosing
# the library. Prints a deterministic transcript (exit codes included).
set -u
SQLITE3=$1
HERE=$(cd "$(dirname "$0")" && pwd)
"$SQLITE3" -batch test.db < "$HERE/sqlite.sql" 2>&1; echo "script: exit=$?"
"$SQLITE3" -batch test.db "SELECT * FROM no_such_table" 2>&1; echo "error: exit=$?"
"$SQLITE3" -batch test.db .dump > dump.sql 2>&1; echo "dump: exit=$?"
cat dump.sql
"$SQLITE3" -batch copy.db < dump.sql 2>&1; echo "reload: exit=$?"
"$SQLITE3" -batch copy.db .dump | cmp - dump.sql && echo "reloaded dump identical"
"$SQLITE3" -batch copy.db "SELECT title FROM doc WHERE doc MATCH 'parser'; PRAGMA integrity_check;" 2>&1
echo "query copy: exit=$?"
"$SQLITE3" -version | cut -d' ' -f1
