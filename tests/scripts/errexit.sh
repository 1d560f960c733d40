# set -e: which failures end the shell and which do not, each in a child
# shell (sh -c) whose output and status are shown.

run() { # name script
    name=$1
    out=$(sh -c "$2" 2>&1)
    status=$?
    set -f
    set -- $out # the output's words on one line, without another fork
    set +f
    echo "$name: status $status output [$*]"
}

run "plain failure" 'set -e; echo a; false; echo b'
run "failure in if" 'set -e; if false; then echo t; else echo f; fi; echo after'
run "failure in while condition" 'set -e; while false; do :; done; echo after'
run "left of &&" 'set -e; false && echo no; echo after'
run "right of &&" 'set -e; true && false; echo after'
run "left of ||" 'set -e; false || echo rescued; echo after'
run "negated" 'set -e; ! true; echo after'
run "last stage of a pipeline" 'set -e; true | false; echo after'
run "first stage of a pipeline" 'set -e; false | true; echo after'
run "pipefail" 'set -e -o pipefail; false | true; echo after'
run "in a subshell" 'set -e; (false; echo inner); echo after'
run "subshell status" 'set -e; (exit 3); echo after'
run "in a group" 'set -e; { false; echo inner; }; echo after'
run "command substitution in an assignment" 'set -e; x=$(false); echo after'
run "command substitution as an argument" 'set -e; echo "[$(false)]"; echo after'
run "in a function" 'set -e; f() { false; echo in-f; }; f; echo after'
run "function in an if" 'set -e; f() { false; echo in-f; }; if f; then echo t; fi; echo after'
run "missing command" 'set -e; nosuchcommand; echo after'
run "exit status of the last command" 'set -e; echo a; sh -c "exit 6"'
run "set +e turns it off" 'set -e; set +e; false; echo after'
run "arithmetic zero" 'set -e; x=0; : $((x)); echo after'
run "-e on the command line" 'false; echo after'
out=$(sh -e -c 'echo a; false; echo b' 2>&1)
echo "sh -e -c: status $? output [$out]"
run "-u unset variable" 'set -u; echo "$UNSET_VARIABLE"; echo after'
run "-u with a default" 'set -u; echo "${UNSET_VARIABLE:-default}"; echo after'
run "exit in a trap with -e" 'set -e; trap "echo trap \$?" EXIT; false'
run "-x trace goes to stderr" 'set -x; echo traced'
echo done
