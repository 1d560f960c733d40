# One longer script through most of busybox's applets, as a build or test
# script would use them: files made under /tmp, text tools, archives,
# checksums, arithmetic, control flow and functions. Every line it prints
# is the same on any Linux: no dates but fixed ones, no owners' names (the
# guest has no /etc/passwd), no inode numbers, no pids.

set -u
umask 022 # file modes are printed; the caller's umask is not the guest's
top=$(mktemp -d /tmp/applets.XXXXXX)
trap 'cd /; rm -rf "$top"' EXIT
cd "$top" || exit 1
step() { echo "== $*"; }

step "files and directories"
mkdir -p src/lib src/bin docs
printf 'alpha\nbeta\ngamma\ndelta\n' > src/lib/words.txt
printf '#!/bin/busybox sh\necho tool ran with "$@"\n' > src/bin/tool
chmod 755 src/bin/tool
ln -s ../lib/words.txt src/bin/words-link
ln src/lib/words.txt docs/hardlink
cp src/lib/words.txt docs/copy.txt
mv docs/copy.txt docs/moved.txt
touch -d '2020-01-02 03:04:05' docs/moved.txt
stat -c '%n %a %s %h' src/lib/words.txt docs/moved.txt src/bin/tool
stat -c '%y' docs/moved.txt | cut -c1-19
readlink src/bin/words-link
cat src/bin/words-link | head -n 1
[ -L src/bin/words-link ] && echo "is a symlink"
[ -x src/bin/tool ] && echo "is executable"
[ docs/hardlink -ef src/lib/words.txt ] && echo "hard link is the same file"
ls src src/bin | sed 's/^/  /'
ls -a docs | sort | tr '\n' ' '; echo
find . -type f | sort
./src/bin/tool a b
sh src/bin/tool c
basename "$top/src/lib/words.txt" .txt
dirname src/lib/words.txt
realpath src/bin/../lib/words.txt | sed "s|^$top|TOP|"
pwd | sed "s|^$top|TOP|"
rmdir docs 2>/dev/null || echo "rmdir of a non-empty directory failed"

step "text"
cat -n src/lib/words.txt
tac src/lib/words.txt | tr '\n' ' '; echo
rev src/lib/words.txt | head -n 2
nl -ba src/lib/words.txt | tail -n 1
grep -n a src/lib/words.txt
grep -c e src/lib/words.txt
grep -v -e alpha -e beta src/lib/words.txt
grep -E '^(b|d)' src/lib/words.txt
grep -F -x gamma src/lib/words.txt
grep -q omega src/lib/words.txt || echo "no omega: $?"
egrep 'ta$' src/lib/words.txt
sed -n '2,3p' src/lib/words.txt
sed 's/a/A/g; 1d' src/lib/words.txt
sed -e '/beta/i\
before beta' -e '$a\
the end' src/lib/words.txt
awk 'length($0) > 4 { n++ } END { print n " long words" }' src/lib/words.txt
awk -F: '{ print $2 "-" $1 }' <<END
a:b
c:d
END
printf '3 1\n2 2\n1 3\n' | sort -k2 -n -r
printf 'b,2\na,10\nc,1\n' | sort -t, -k2 -n
echo "a,b,c,d" | cut -d, -f2,4
echo "abcdefgh" | cut -c3-5
echo "hello world" | tr -d o
echo "aaabbbccc" | tr -s abc
echo "Mixed Case" | tr '[:upper:]' '[:lower:]'
printf 'x\ty\n' | expand -t 4 | od -c | head -n 1
printf 'one two three four five six seven\n' | fold -w 10
paste -d: src/lib/words.txt src/lib/words.txt | head -n 2
printf 'l1\nl2\nl3\n' > a.txt
printf 'l1\nL2\nl3\n' > b.txt
diff a.txt b.txt; echo "diff status $?"
cmp a.txt b.txt; echo "cmp status $?"
cmp -s a.txt a.txt && echo "cmp equal"
diff -u a.txt b.txt | tail -n +3
diff -u a.txt b.txt > fix.patch; patch a.txt < fix.patch >/dev/null && cat a.txt
printf 'line\r\n' > dos.txt; dos2unix dos.txt; od -c dos.txt | head -n 1
head -c 5 src/lib/words.txt; echo
tail -c 6 src/lib/words.txt
wc src/lib/words.txt
wc -w < src/lib/words.txt
echo "tee into two files" | tee t1 t2 > /dev/null; cat t1 t2
strings -n 3 src/bin/tool | head -n 1

step "numbers"
seq 5 -1 1 | tr '\n' ' '; echo
seq -w 8 11 | tr '\n' ' '; echo
seq 0 0.5 2 | tr '\n' ' '; echo
expr 7 + 8 \* 2
expr length "hello"
expr substr "abcdef" 2 3
echo "3 * (4 + 5)" | bc
echo "2 3 + 4 * p" | dc
factor 360 1001
printf '%05d|%-6s|%x|%o|%e\n' 42 ab 255 8 1234.5
printf '%s\n' "$((17 % 5)) $((1 << 10)) $((-7 / 2)) $((0x1F))"
i=0; total=0
while [ $i -lt 100 ]; do i=$((i + 1)); total=$((total + i * i)); done
echo "sum of squares to 100: $total"
awk 'BEGIN { printf "%.4f %d %s %d\n", 22 / 7, int(7.9), substr("abcdef", 2, 3), index("lstar", "t") }'

step "checksums and encodings"
printf 'lstar\n' > sum.txt
md5sum sum.txt
sha1sum sum.txt
sha256sum sum.txt | cut -c1-16
crc32 sum.txt 2>/dev/null || cksum sum.txt 2>/dev/null || echo "(no crc32)"
base64 sum.txt
base64 sum.txt | base64 -d
od -An -tx1 sum.txt
hexdump -C sum.txt | head -n 1
xxd -p sum.txt
md5sum sum.txt > sums; md5sum -c sums
uuencode sum.txt name < sum.txt | uudecode -o decoded.txt && cmp sum.txt decoded.txt && echo "uu round trip"

step "archives and compression"
seq 1 2000 > numbers
gzip -c numbers > numbers.gz
gunzip -c numbers.gz | md5sum
zcat numbers.gz | tail -n 1
bzip2 -c numbers > numbers.bz2; bzcat numbers.bz2 | wc -l
tar -cf src.tar src
tar -tf src.tar | sort
mkdir unpacked && tar -xf src.tar -C unpacked && diff -r src unpacked/src && echo "tar round trip"
tar -cf - src | gzip -c > src.tgz && gunzip -c src.tgz | tar -tf - | wc -l
find src -type f | sort | cpio -o -H newc 2>/dev/null > src.cpio
mkdir cp && (cd cp && cpio -id < ../src.cpio 2>/dev/null) && cat cp/src/lib/words.txt | wc -l
dd if=numbers of=part bs=100 count=2 skip=1 2>/dev/null; wc -c < part; head -n 1 part
truncate -s 10 part; wc -c < part
dd if=/dev/zero bs=512 count=4 2>/dev/null | wc -c

step "processes"
sh -c 'exit 3'; echo "sh -c exit 3: $?"
timeout 5 true; echo "timeout of a quick command: $?"
timeout 0.2 sleep 5; echo "timeout of a slow command: $?"
env -i X=1 sh -c 'echo "env -i: X=$X HOME=[${HOME:-}]"'
env X=2 sh -c 'echo "env X=2: $X"'
(sleep 0.05; echo background) & wait
yes abc | head -n 2
kill -l 9 15
printf '%s\n' c b a | xargs -n1 | sort | tr '\n' ' '; echo
time_out=$(time true 2>&1); echo "time ran"
usleep 1000 && echo "usleep"
nohup_out=$(sh -c 'echo from sh in a substitution'); echo "$nohup_out"
echo "HOME=$HOME"
uname -s

step "file descriptors and fifos"
exec 3> fd3.txt
echo "written through fd 3" >&3
exec 3>&-
cat fd3.txt
exec 4< src/lib/words.txt
read -r l1 <&4; read -r l2 <&4
exec 4<&-
echo "read from fd 4: $l1 $l2"
mkfifo pipe.fifo
( echo "through a fifo" > pipe.fifo ) &
cat pipe.fifo
wait
{ echo "to stderr" >&2; } 2>&1 | sed 's/^/captured: /'
echo appended >> fd3.txt; wc -l < fd3.txt
: > fd3.txt; wc -c < fd3.txt
[ -p pipe.fifo ] && echo "is a fifo"

step "dates (fixed, UTC)"
date -u -d @0 '+%Y-%m-%d %H:%M:%S'
date -u -d @1234567890 '+%A %d %B %Y'
date -u -d '2024-02-29 12:00:00' +%j
cal 2 2024 | head -n 3

step "control flow and functions"
greet() { local who=${1:-nobody}; echo "hello $who"; return 7; }
greet; echo "returned $?"
greet lstar
for w in $(cat src/lib/words.txt); do
    case $w in
    a*) echo "$w: starts with a" ;;
    *ta) echo "$w: ends with ta" ;;
    *) echo "$w: other" ;;
    esac
done
n=0
until [ $n -ge 3 ]; do n=$((n + 1)); done; echo "until: $n"
for i in 1 2 3 4 5; do [ $i -eq 2 ] && continue; [ $i -eq 4 ] && break; echo "loop $i"; done
s="some/long/path.tar.gz"
echo "${s##*/} ${s%%.*} ${s#*/} ${s%.*} ${#s}"
arr="x y z"; set -- $arr; echo "$# args, last $3"
[ "abc" \< "abd" ] && echo "string compare"
test -z "" && test -n "x" && echo "test -z -n"
read -r first rest <<END
one two three
END
echo "read: $first / $rest"
IFS=: read -r p1 p2 <<END
left:right
END
echo "IFS read: $p2 $p1"
eval 'ev=evaluated'; echo "$ev"
echo "done"
