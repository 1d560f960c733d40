# Pipelines of 2 to 5 stages and exit statuses through pipes.
# (tests/process.rs runs every tests/scripts/*.sh natively and in lstar
# with /bin/busybox sh and compares stdout and the exit status.)

echo "== two stages"
echo hello | tr a-z A-Z
seq 1 5 | wc -l
printf 'b\na\nc\n' | sort

echo "== three stages"
seq 1 20 | grep 1 | wc -l
printf 'one two three\nfour five\n' | tr ' ' '\n' | sort -r
seq 1 100 | awk '{ s += $1 } END { print s }' | sed 's/^/sum=/'

echo "== four stages"
seq 1 50 | grep -v 5 | sed 's/$/x/' | tail -n 3
printf 'pear\napple\npear\nfig\napple\npear\n' | sort | uniq -c | sort -rn

echo "== five stages"
seq 1 1000 | awk '$1 % 7 == 0' | sed 's/^/n/' | tr n N | tail -n 2
seq 1 30 | grep 2 | sort -r | head -n 4 | tr '\n' ' '
echo

echo "== a builtin and a function in a pipeline"
up() { tr a-z A-Z; }
echo piped into a function | up
for i in 3 1 2; do echo "$i"; done | sort | while read -r n; do echo "line $n"; done
echo "variables set in a piped while loop stay in the subshell:"
count=0
seq 1 5 | while read -r n; do count=$((count + n)); done
echo "count=$count"

echo "== exit statuses"
true | false
echo "true | false: $?"
false | true
echo "false | true: $?"
sh -c 'exit 3' | sh -c 'exit 4'
echo "exit 3 | exit 4: $?"
! true | false
echo "! (true | false): $?"
! false
echo "! false: $?"
set -o pipefail
false | true
echo "pipefail, false | true: $?"
sh -c 'exit 3' | sh -c 'exit 4' | true
echo "pipefail, 3 | 4 | 0: $?"
true | true
echo "pipefail, true | true: $?"
set +o pipefail
cat /nonexistent/file 2>/dev/null | wc -c
echo "missing file | wc: $?"
nosuchcommand 2>/dev/null | true
echo "missing command | true: $?"
true | nosuchcommand 2>/dev/null
echo "true | missing command: $?"

echo "== a writer that outlives its reader"
yes | head -n 3
echo "yes | head: $?"
seq 1 100000 | head -n 1
{ ( seq 1 1000000; echo "seq after its reader left: $?" >&3 ) | head -n 1; } 3>&1
seq 1 5 | ( read -r first; echo "read $first, rest:"; cat )

echo "== stderr into the pipe"
ls /nonexistent 2>&1 | grep -c nonexistent
{ echo out; echo err >&2; } 2>&1 | sort
echo done
