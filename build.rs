//! Build script: compiles proto/mdsd/v1/mdsd.proto with the pure-Rust `protox` compiler (no
//! system `protoc`), generates the tonic server and client, and writes the encoded descriptor set
//! that the reflection service embeds.

use std::path::PathBuf;

use prost::Message;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto");
    let fds = protox::compile(["mdsd/v1/mdsd.proto"], ["proto"])?;
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(out_dir.join("mdsd_descriptor.bin"), fds.encode_to_vec())?;
    tonic_prost_build::configure().build_server(true).build_client(true).compile_fds(fds)?;
    Ok(())
}
