#!/usr/bin/env python3
"""Parse SQL files as Athena would: an independent check of keytrail's SQL.

Usage: sqlcheck.py FILE...      (or "-" to read one statement from stdin)

Each file is parsed with sqlglot, strictly (the first error raises), as
Presto/Trino SQL: the dialect of Athena's query engine. A file that holds
Athena DDL (CREATE EXTERNAL TABLE, which Athena runs through Hive's parser,
with backquoted identifiers) says so on a comment line "-- dialect: hive".
The exit status is 0 when every file parses, 1 otherwise, with one line per
failing file naming it and the error; 2 when sqlglot is missing.
"""
import re
import sys

try:
    import sqlglot
    from sqlglot.errors import ErrorLevel
except ImportError:
    print("sqlcheck: python module sqlglot is missing (Debian: python3-sqlglot)", file=sys.stderr)
    sys.exit(2)

ANSI = re.compile(r"\x1b\[[0-9;]*m")
DIALECT = re.compile(r"^--\s*dialect:\s*(\w+)", re.MULTILINE)


def check(name, text):
    m = DIALECT.search(text)
    dialect = m.group(1) if m else "presto"
    statements = [s for s in sqlglot.parse(text, read=dialect, error_level=ErrorLevel.RAISE) if s is not None]
    if not statements:
        raise ValueError("no SQL statement")


def main(argv):
    if not argv:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    failed = 0
    for name in argv:
        try:
            text = sys.stdin.read() if name == "-" else open(name, encoding="utf-8").read()
            check(name, text)
        except Exception as e:  # sqlglot raises ParseError, TokenError and others
            failed += 1
            msg = " ".join(ANSI.sub("", str(e)).split())
            print(f"{name}: {msg}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
