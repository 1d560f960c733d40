# Command substitution and subshells: values, nesting, exit statuses,
# what a subshell cannot change in its parent.

echo "== command substitution"
x=$(echo hello)
echo "x=$x"
y=`echo backticks`
echo "y=$y"
n=$(seq 1 10 | wc -l)
echo "lines=$n"
echo "nested: $(echo outer $(echo inner $(echo innermost)))"
echo "trailing newlines stripped: [$(printf 'a\n\n\n')]"
echo "inner newlines kept: [$(printf 'a\nb')]"
echo "empty: [$(true)]"
sum=$(( $(echo 20) + $(echo 22) ))
echo "arithmetic on substitutions: $sum"
words=$(printf '%s ' one two three)
set -- $words
echo "split into $# words, second is $2"
out=$(exit 7)
echo "status of an assignment from \$(exit 7): $?"
out=$(echo partial; exit 3)
echo "out=$out status=$?"
echo "status inside: $(false; echo $?)"
long=$(seq 1 3000)
echo "3000 lines through a substitution: ${#long} characters"
f() { echo "function output $1"; }
echo "$(f arg)"
echo "stderr is not captured: [$(echo to-stderr >&2 2>/dev/null; echo to-stdout)]"
echo "stderr redirected in: [$(ls /nonexistent 2>&1 | wc -l)]"
echo "a loop in a substitution: $(for i in 1 2 3; do printf "%s," "$i"; done)"
echo "case in a substitution: $(case abc in a*) echo starts-with-a;; esac)"

echo "== subshells"
v=parent
( v=child; echo "in subshell: v=$v" )
echo "after subshell: v=$v"
( cd /tmp && echo "subshell cwd: $(pwd)" )
echo "parent cwd: $(pwd)"
( exit 5 )
echo "( exit 5 ): $?"
( false ) || echo "( false ) || ...: ran"
( true ) && echo "( true ) && ...: ran"
( ( ( echo three levels deep; exit 6 ) ; echo "inner status $?"; exit 2 ) )
echo "nested subshells: $?"
( set -- a b c; echo "subshell args: $#" )
echo "parent args: $#"
( echo "subshell sees exported: $EXP, plain: $PLAIN" ) 
EXP=e; export EXP; PLAIN=p
( echo "subshell sees exported: $EXP, plain: $PLAIN" )
sh -c 'echo "child shell sees exported: $EXP, plain: [$PLAIN]"'
{ echo "a group runs in the shell itself"; g=grouped; }
echo "g=$g"
umask 022
( umask 077; echo "subshell umask $(umask)" )
echo "parent umask $(umask)"
(trap 'echo subshell EXIT trap' EXIT; echo in a subshell with a trap)
echo "after the trapped subshell"

echo "== subshell output into pipes and files"
cd "$(mktemp -d /tmp/subshells.XXXXXX)"
( echo one; echo two ) > both
cat both
( echo three; ( echo four ) ) >> both
wc -l < both
{ echo x; echo y; } | ( read -r a; read -r b; echo "read $a then $b" )
echo "$( ( echo sub in subst ) )"
rm -f both
cd /
echo "== \$\$ is the main shell's in a subshell"
main=$$
( [ "$$" = "$main" ] && echo "subshell \$\$ same: yes" )
echo "$( [ "$$" = "$main" ] && echo "substitution \$\$ same: yes" )"
echo done
