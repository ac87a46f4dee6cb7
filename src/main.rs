//! The `ecsim` binary: the command line of [`ecsim::cli`].

fn main() -> std::process::ExitCode {
    ecsim::cli::main()
}
