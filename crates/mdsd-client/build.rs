//! Compiles ../../proto/mdsd/v1/mdsd.proto (the daemon's own definition, never a copy) with
//! the pure-Rust `protox` compiler into the tonic client: no system `protoc` needed.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=../../proto");
    let fds = protox::compile(["mdsd/v1/mdsd.proto"], ["../../proto"])?;
    tonic_prost_build::configure().build_server(false).build_client(true).compile_fds(fds)?;
    Ok(())
}
