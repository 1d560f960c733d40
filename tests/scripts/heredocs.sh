# Here-documents: expansion, quoting, <<-, into pipes, loops, functions,
# several at once, and large ones (more than a pipe buffer).

name=world
echo "== expanded"
cat <<END
hello $name
sum $((2 + 3))
subst $(echo inner)
escaped \$name and \`backquote\`
END
echo "== quoted delimiter: nothing expanded"
cat <<'END'
hello $name $(echo not run) `echo not run`
END
cat <<"END"
double-quoted delimiter: $name
END
echo "== <<- strips leading tabs"
cat <<-END
	tab-indented $name
		two tabs
	END
echo "== into a pipeline"
cat <<END | sort | tr a-z A-Z
pear
apple
fig
END
echo "== a while loop reading a here-document"
while read -r a b; do
    echo "a=$a b=$b"
done <<END
1 one
2 two
3 three
END
echo "== a function's stdin"
count() { wc -l; }
count <<END
x
y
END
echo "== two here-documents on one command"
cat <<ONE && cat <<TWO
first
ONE
second
TWO
echo "== a here-document to another fd"
cat 3<<END <&3
on fd 3
END
echo "== a here-document to a child shell"
sh <<'END'
echo "child shell reads its script from a here-document"
x=5
echo "x=$x"
exit 4
END
echo "child status: $?"
echo "== a here-string of 100,000 bytes (bigger than a pipe buffer)"
big=$(awk 'BEGIN { for (i = 0; i < 10000; i++) printf "line %04d\n", i }')
cat <<END | wc -c
$big
END
cat <<END | tail -n 2
$big
END
echo "== in a substitution"
v=$(cat <<END
from a here-document in \$()
END
)
echo "$v"
echo done
