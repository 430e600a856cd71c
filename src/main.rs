use clap::Parser;

fn main() {
    let cli = hubfix::cli::Cli::parse();
    let code = hubfix::main(cli);
    std::process::exit(code);
}
