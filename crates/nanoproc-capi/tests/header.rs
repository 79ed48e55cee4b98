//! The checked-in `include/nanoproc.h` is what cbindgen makes of this crate now.
//! Regenerate it with `NANOPROC_BLESS=1 cargo test -p nanoproc-capi --test header`.

use std::path::PathBuf;

#[test]
fn the_checked_in_header_is_up_to_date() {
    let crate_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let config =
        cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("cbindgen.toml");
    let mut generated = Vec::new();
    cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header")
        .write(&mut generated);
    let generated = String::from_utf8(generated).expect("UTF-8 header");
    let path = crate_dir.join("include/nanoproc.h");
    if std::env::var_os("NANOPROC_BLESS").is_some() {
        std::fs::write(&path, &generated).expect("write include/nanoproc.h");
        return;
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "include/nanoproc.h is stale: regenerate it with `NANOPROC_BLESS=1 cargo test -p nanoproc-capi --test header` and commit it"
    );
}
