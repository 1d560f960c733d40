# Traps: EXIT, INT, TERM, USR1 and HUP, set in the shell, in subshells and
# in child shells, triggered by kill of the shell itself or of a child.
# Every child signals that its trap is set before it is killed (through a
# fifo), so nothing depends on timing.

tmp=$(mktemp -d /tmp/traps.XXXXXX)
trap 'echo "EXIT trap of the main shell, status $?"; rm -rf "$tmp"' EXIT

echo "== signals to the shell itself"
trap 'echo "caught USR1"' USR1
kill -USR1 $$
echo "after kill -USR1 \$\$"
trap 'echo "caught INT"' INT
kill -INT $$
echo "after kill -INT \$\$"
trap 'echo "caught TERM"' TERM
kill -TERM $$
echo "after kill -TERM \$\$"
trap 'echo "caught HUP, status in trap $?"' HUP
false
kill -HUP $$
echo "after kill -HUP \$\$"
trap - USR1 INT TERM HUP
echo "traps reset"
trap '' USR2
kill -USR2 $$
echo "USR2 ignored by trap ''"
trap - USR2

echo "== trap output"
trap 'echo x' USR1
t=$(trap)
echo "$t" | grep -c USR1
trap - USR1
t=$(trap)
echo "$t" | grep -c USR1

echo "== EXIT traps of child shells"
sh -c 'trap "echo child EXIT trap" EXIT; echo child body'
echo "status: $?"
sh -c 'trap "echo child EXIT trap, status \$?" EXIT; exit 7'
echo "status: $?"
sh -c 'trap "echo EXIT trap may change nothing; true" EXIT; false'
echo "status: $?"
sh -c 'trap "exit 9" EXIT; exit 3'
echo "status after exit in the EXIT trap: $?"
( trap 'echo subshell EXIT trap' EXIT; exit 4 )
echo "subshell status: $?"

echo "== a child shell killed while its trap waits"
mkfifo "$tmp/ready"
sh -c 'trap "echo child caught TERM; kill \$sp; exit 7" TERM
       sleep 10 & sp=$!
       echo ready > "$1"
       wait' sh "$tmp/ready" &
child=$!
read -r r < "$tmp/ready"
kill -TERM $child
wait $child
echo "child with a TERM trap: $?"

# A background job starts with SIGINT ignored (no job control), and an
# ignored signal cannot be trapped: INT reaches child shells run in the
# foreground, from themselves.
sh -c 'trap "echo child caught INT; exit 8" INT; kill -INT $$; echo not reached'
echo "foreground child with an INT trap, kill -INT \$\$: $?"
sh -c 'kill -INT $$; echo not reached'
echo "foreground child without a trap, kill -INT \$\$: $?"
sh -c 'trap "echo INT trap" INT; echo ready > "$1"; exec sleep 10' sh "$tmp/ready" &
child=$!
read -r r < "$tmp/ready"
kill -INT $child
kill -TERM $child
wait $child
echo "background job: INT ignored, then TERM: $?"

sh -c 'trap "echo child EXIT trap after TERM" EXIT
       trap "exit 143" TERM
       sleep 10 & sp=$!
       trap "kill \$sp; exit 143" TERM
       echo ready > "$1"
       wait' sh "$tmp/ready" &
child=$!
read -r r < "$tmp/ready"
kill -TERM $child
wait $child
echo "TERM then EXIT trap: $?"

sh -c 'sleep 10 & sp=$!
       echo "$sp" > "$1"
       wait $sp
       echo "child saw its sleep end: $?"' sh "$tmp/ready" &
child=$!
read -r sp < "$tmp/ready"
kill -TERM "$sp"
wait $child
echo "child shell: $?"

echo "== a signal without a trap kills the child"
sh -c 'echo ready > "$1"; exec sleep 10' sh "$tmp/ready" &
child=$!
read -r r < "$tmp/ready"
kill -TERM $child
wait $child
echo "untrapped TERM: $?"
sh -c 'kill -HUP $$; echo not reached'
echo "kill -HUP \$\$ without a trap: $?"
sh -c 'trap "" TERM; kill -TERM $$; echo TERM ignored in the child'
echo "status: $?"

echo "== traps across a subshell"
trap 'echo parent USR1' USR1
( kill -USR1 $$ ; echo "subshell sent USR1 to the parent" )
echo "parent continues"
( trap - USR1; echo "subshell reset its own USR1" )
kill -USR1 $$
trap - USR1

echo "== the main shell's EXIT trap runs last"
exit 5
