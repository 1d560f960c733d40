//! Device models of the lstar machine. No KVM ioctls live here.
