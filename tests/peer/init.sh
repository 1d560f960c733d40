#!/bin/busybox sh
# /init of the Linux peer's initramfs (tests/ext2_peer.rs): Debian's kernel
# mounts the disk (/dev/vda) that lstar wrote, and runs /steps.sh in it.
#
# The initramfs holds Debian's static busybox as /bin/busybox, the modules
# scripts/linux-peer.sh collected in /lib/modules (loaded in the order of
# /lib/modules/order: virtio_mmio and virtio_blk for the disk, ext4 with
# what it needs, ext4 mounting ext2), /steps.sh (dump.sh and the steps the
# test generated) and the files those steps copy, in /in.
#
# Lines for the test start with "peer: "; "peer: FAIL ..." says what went
# wrong, "peer: unmounted" that the image was unmounted cleanly. Then
# `reboot -f`: QEMU runs with -no-reboot, so that ends the run.
export PATH=/bin
/bin/busybox --install -s /bin
fail() {
    echo "peer: FAIL $*"
    reboot -f
}
mkdir -p /proc /sys /mnt
mount -t proc proc /proc || fail "mount /proc"
mount -t sysfs sysfs /sys || fail "mount /sys"
mount -t devtmpfs devtmpfs /dev || fail "mount /dev"
for m in $(cat /lib/modules/order); do
    insmod "/lib/modules/$m" || fail "insmod $m"
done
# virtio_blk probes the device asynchronously.
i=0
while [ ! -b /dev/vda ]; do
    i=$((i + 1))
    [ $i -le 300 ] || fail "no /dev/vda after 30 s"
    sleep 0.1
done
mount -t ext2 -o rw /dev/vda /mnt || fail "mount -t ext2 /dev/vda"
grep -q '^/dev/vda /mnt ext2 rw' /proc/mounts || fail "not mounted read-write as ext2: $(grep vda /proc/mounts)"
echo "peer: mounted"
cd /mnt || fail "cd /mnt"
# A subshell, so that `set -e` there ends the steps, not init.
(set -e; umask 022; . /steps.sh) || fail "a step failed (status $?)"
cd / || fail "cd /"
umount /mnt || fail "umount /mnt"
echo "peer: unmounted"
reboot -f
