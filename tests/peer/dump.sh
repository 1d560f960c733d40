# What a file system holds, as both peers see it: sourced by the steps
# tests/ext2_peer.rs runs in lstar (busybox sh) and in Linux (tests/peer/init.sh).
#
# dump NAME PATH...: between "peer: begin NAME" and "peer: end NAME", one
# "stat|path|type|mode|links|size|blocks|%N" line per name under PATH...
# (%N shows a symlink's target) and one "sum|sha256  path" per regular file.
dump() {
    name=$1
    shift
    echo "peer: begin $name"
    find "$@" -exec stat -c 'stat|%n|%F|%a|%h|%s|%b|%N' {} +
    find "$@" -type f -exec sha256sum {} + | sed 's/^/sum|/'
    echo "peer: end $name"
}
