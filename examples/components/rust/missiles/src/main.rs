//! `missiles`: a WASI p2 command that imports `acme:missiles/launch`, an interface no nanoproc
//! host provides (`examples/components/wit/deps/acme-missiles/launch.wit`). A host must refuse to
//! instantiate it, naming the import; if one ever did, `run` would call `launch` with its first
//! argument (default `moon`) and print the result.

wit_bindgen::generate!({
    path: "../../wit",
    world: "nanoproc:examples/missiles",
    generate_all,
});

use acme::missiles::launch::launch;

fn main() {
    let target = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "moon".to_string());
    match launch(&target) {
        Ok(n) => println!("launched {n} at {target}"),
        Err(e) => {
            eprintln!("launch failed: {e}");
            std::process::exit(1);
        }
    }
}
