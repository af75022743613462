//! `mdsd`: the command line. Thin: parse arguments, install logging, dispatch.
#![forbid(unsafe_code)]

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    if let Some(code) = cli::env_errors() {
        return code;
    }
    let args = cli::Cli::parse();
    cli::init_logging(args.log_format);
    cli::run(args)
}
