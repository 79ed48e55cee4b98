//! `ungranted_host`: imports the host function `host::launch_missiles`, which no sane policy
//! grants, so loading it fails unless `--allow-host-fn host::launch_missiles` is given.
//! Exported function: `run` (passes its input to `launch_missiles` and returns the output).

use nanoproc_pdk::Result;

nanoproc_pdk::host_fn!(host::launch_missiles);

fn run(input: Vec<u8>) -> Result<Vec<u8>> {
    launch_missiles(&input)
}

nanoproc_pdk::export!(run);
