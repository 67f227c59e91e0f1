#!/bin/sh
# sql2c.sh FILE NAME [FILE NAME]... - writes C source that defines each
# NAME as a char array holding FILE's text (comments and blank lines kept
# out). Used to embed data/schema.sql and data/user.sql.
set -e
echo "/* Generated from the SQL files in data/ by data/sql2c.sh: do not edit. */"
while [ $# -ge 2 ]; do
	file=$1 name=$2
	shift 2
	echo "extern const char $name[];"
	echo "const char $name[] ="
	sed -e 's/--.*$//' -e 's/[[:space:]]*$//' -e '/^$/d' \
	    -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/  "/' -e 's/$/\\n"/' "$file"
	echo "  ;"
done
