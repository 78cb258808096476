//! `partnerd`: see `partnerd --help`.

use clap::Parser;

#[tokio::main]
async fn main() {
    let cli = partnerd::cli::Cli::parse();
    let code = partnerd::cli::run(cli).await;
    std::process::exit(code);
}
