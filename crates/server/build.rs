//! Rebuilds the server when a file of the embedded web clients changes, is added or is removed
//! (`rust-embed` only tracks the files that existed at the last build).

fn main() {
    for folder in ["wallet", "pos", "admin", "shared", "vendor"] {
        println!("cargo:rerun-if-changed=../../web/{folder}");
    }
}
