fn main() {
    // A plain static executable at the classic address; `_start` is ours.
    println!("cargo:rustc-link-arg=--image-base=0x400000");
    println!("cargo:rustc-link-arg=-e_start");
}
