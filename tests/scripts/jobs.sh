# Background jobs and wait, with their statuses. No pids and no job
# numbers are printed: only statuses and output that cannot interleave.

echo "== wait for one job"
sleep 0.1 &
wait $!
echo "sleep 0.1 & wait: $?"
( exit 3 ) &
wait $!
echo "( exit 3 ) & wait \$!: $?"
sh -c 'exit 42' &
p=$!
wait "$p"
echo "sh -c 'exit 42' & wait: $?"

echo "== several jobs"
tmp=$(mktemp -d /tmp/jobs.XXXXXX)
for i in 1 2 3 4 5; do
    ( sleep 0.0$i; echo "job $i" > "$tmp/out.$i" ) &
done
wait
echo "wait with no arguments: $?"
cat "$tmp"/out.1 "$tmp"/out.2 "$tmp"/out.3 "$tmp"/out.4 "$tmp"/out.5
( exit 1 ) & a=$!
( exit 2 ) & b=$!
( exit 4 ) & c=$!
wait $c; sc=$?
wait $a; sa=$?
wait $b; sb=$?
echo "statuses in any order: $sa $sb $sc"

echo "== killed jobs"
# (Not INT: a background job ignores it, but only from some point after
# the fork on, so whether it dies would depend on timing.)
sleep 10 &
p=$!
kill $p
wait $p
echo "kill (TERM) of sleep: $?"
sleep 10 &
p=$!
kill -KILL $p
wait $p
echo "kill -KILL of sleep: $?"
sleep 10 &
p=$!
kill -USR1 $p
wait $p
echo "kill -USR1 of sleep: $?"
( sleep 10 ) &
p=$!
kill -9 $p
wait $p
echo "kill -9 of a subshell: $?"

echo "== wait for something that is not a job"
wait
echo "wait with nothing running: $?"

echo "== a pipeline in the background"
seq 1 1000 | wc -l > "$tmp/count" &
wait $!
echo "background pipeline: $? $(cat "$tmp/count")"
{ echo grouped; exit 9; } > "$tmp/g" &
wait $!
echo "background group: $? $(cat "$tmp/g")"

echo "== background output after the foreground's, ordered by a fifo"
mkfifo "$tmp/fifo"
( read -r word < "$tmp/fifo"; echo "background line, after the foreground said $word" ) &
echo "foreground line"
echo go > "$tmp/fifo"
wait
echo "after wait"

echo "== a job that reads stdin gets /dev/null"
cat &
wait $!
echo "background cat: $?"

echo "== many short jobs"
i=0
while [ $i -lt 20 ]; do
    true &
    i=$((i + 1))
done
wait
echo "20 jobs waited: $?"

rm -rf "$tmp"
echo done
