# xargs and find -exec over a tree the script makes under /tmp; printed
# paths are relative to it, and every listing is sorted (directory order
# is each file system's own).

top=$(mktemp -d /tmp/xargs-find.XXXXXX)
cd "$top" || exit 1
mkdir -p tree/a/b tree/c "tree/with space"
for f in tree/one tree/a/two tree/a/b/three tree/c/four "tree/with space/five six"; do
    echo "content of $f" > "$f"
done
printf 'x\n' > tree/a/b/short
touch tree/empty

echo "== find"
find tree -type f | sort
find tree -type d | sort
find tree -name '*o*' -type f | sort
find tree -type f -size 0 | sort
find tree -mindepth 2 -maxdepth 2 | sort

echo "== find -exec {} \\;"
find tree -type f -name 'f*' -exec cat {} \; | sort
find tree -type f -exec wc -c {} \; | sort
find tree -type f -name one -exec sh -c 'echo "sh got $1"' sh {} \;
echo "== find -exec {} +"
find tree -type f -exec printf '[%s]\n' {} + | sort
find tree -type f -exec sh -c 'echo "one sh got $# files"' sh {} +
find tree -type f -exec ls {} + | sort
echo "== find -exec status"
find tree -name one -exec false {} \; ; echo "-exec false \\;: $?"
find tree -name one -exec false {} + ; echo "-exec false +: $?"
find tree -type f -exec grep -l content {} \; | sort
echo "== find -exec rm"
cp -r tree copy
find copy -name '*our*' -exec rm {} \;
find copy -type f | sort
find copy -name short -exec rm -f {} +
find copy -type f | wc -l
rm -r copy

echo "== xargs"
seq 1 10 | xargs echo
seq 1 10 | xargs -n 3 echo
seq 1 7 | xargs -n 2 sh -c 'echo "args: $*"' sh
printf 'a\nb\nc\n' | xargs -I{} echo "item {} done"
find tree -type f -print0 | xargs -0 cat | sort
find tree -type f -print0 | xargs -0 -n 1 wc -l | sort
echo "one two  three" | xargs -n 1 | sort -r
echo "== xargs status"
seq 1 3 | xargs false; echo "xargs false: $?"
seq 1 3 | xargs sh -c 'exit 255'; echo "xargs with a command exiting 255: $?"
seq 1 3 | xargs nosuchcommand 2>/dev/null; echo "xargs with a missing command: $?"
true | xargs echo empty input runs once; echo "status: $?"
true | xargs -r echo never; echo "-r on empty input: $?"
echo "== xargs into a pipeline"
seq 1 100 | xargs -n 10 echo | awk '{ s = 0; for (i = 1; i <= NF; i++) s += $i; print s }' | tail -n 3
seq 1 2000 | xargs -n 500 echo | wc -l

cd /
rm -rf "$top"
echo done
