//! The `segstudio` binary: the studio window by default, CLI subcommands otherwise.

use clap::Parser as _;
use segstudio::cli::{Cli, Command, StudioArgs};

fn main() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let cli = Cli::parse();
    let code = match cli.command {
        None => segstudio::ui::run_studio(StudioArgs::default()),
        Some(Command::Studio(args)) => segstudio::ui::run_studio(args),
        Some(command) => segstudio::cli::run(command),
    };
    std::process::exit(code);
}
