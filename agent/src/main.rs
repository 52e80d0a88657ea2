//! `oott-agent`: reads the command line and runs the command; the exit code says what happened.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = match agent::Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let usage = e.use_stderr();
            let _ = e.print();
            return ExitCode::from(if usage { agent::EXIT_USAGE } else { 0 });
        }
    };
    match agent::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("oott-agent: {e:#}");
            ExitCode::from(2)
        }
    }
}
