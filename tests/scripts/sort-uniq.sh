# sort | uniq -c | sort -n over a 10,000-line input made here: words
# chosen by a fixed linear congruential sequence, so the counts are fixed.

tmp=$(mktemp -d /tmp/sort-uniq.XXXXXX)
awk 'BEGIN {
    split("apple banana cherry date elder fig grape honeydew kiwi lemon mango nectarine olive papaya quince", w, " ")
    x = 12345
    for (i = 0; i < 10000; i++) {
        x = (x * 1103515245 + 12345) % 2147483648
        print w[int(x / 65536) % 15 + 1]
    }
}' > "$tmp/words"
wc -l < "$tmp/words"
echo "== sort | uniq -c | sort -n"
sort "$tmp/words" | uniq -c | sort -n
echo "== the same through cat and a pipe from a file"
cat "$tmp/words" | sort | uniq -c | sort -n | md5sum
sort < "$tmp/words" | uniq -c | sort -n | md5sum
echo "== sort -rn | head, uniq -d, sort -u"
sort "$tmp/words" | uniq -c | sort -rn | head -n 3
sort -u "$tmp/words" | wc -l
sort "$tmp/words" | uniq -d | wc -l
echo "== numbers"
seq 1 10000 | awk '{ print ($1 * 7919) % 10007 }' > "$tmp/nums"
sort -n "$tmp/nums" | head -n 3
sort -n "$tmp/nums" | tail -n 3
sort -n "$tmp/nums" | md5sum
sort -rn "$tmp/nums" | awk 'NR % 2500 == 0'
seq 1 10000 | awk '{ print $1 % 10 }' | sort | uniq -c
echo "== a 5-stage pipeline over 10,000 lines"
seq 1 10000 | sed 's/$/ x/' | awk '{ print length($1) }' | sort -n | uniq -c
rm -rf "$tmp"
echo done
