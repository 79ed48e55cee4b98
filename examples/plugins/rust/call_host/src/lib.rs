//! `call_host`: calls the host function `host::greet` with its input and returns
//! `plugin got: ` followed by the host's output. Exported function: `call_host`.
//!
//! The host must provide and grant `host::greet` (`--allow-host-fn host::greet`); without the
//! grant the plugin does not load.

use nanoproc_pdk::Result;

nanoproc_pdk::host_fn!(host::greet);

fn call_host(input: Vec<u8>) -> Result<Vec<u8>> {
    let greeting = greet(&input)?;
    let mut output = b"plugin got: ".to_vec();
    output.extend_from_slice(&greeting);
    Ok(output)
}

nanoproc_pdk::export!(call_host);
