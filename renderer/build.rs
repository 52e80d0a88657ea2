//! Takes the player's one outside script, hls.js (pinned in `assets/vendor/package.json`, copied
//! to `assets/vendor/hls.min.js` by `make`), into the binary. Without it the pages still play
//! every file browsers play as it is, and HLS where the browser plays it natively.

use std::path::{Path, PathBuf};

fn main() {
    let src = Path::new("../assets/vendor/hls.min.js");
    println!("cargo:rerun-if-changed={}", src.display());
    println!("cargo:rerun-if-changed=build.rs");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR")).join("hls.min.js");
    let bytes = std::fs::read(src).unwrap_or_default();
    if bytes.is_empty() {
        println!(
            "cargo:warning=assets/vendor/hls.min.js is missing (make fetches it with npm): the player will not stream HLS where the browser lacks it"
        );
    }
    std::fs::write(&out, bytes).expect("writing hls.min.js into OUT_DIR");
}
