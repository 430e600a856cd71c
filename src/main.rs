use clap::Parser;

fn main() {
    let cli = hubfix::cli::Cli::parse();
    // The command's own future runs on this thread (`block_on`): give it the runtime
    // threads' stack, see `STACK_SIZE`.
    let code = std::thread::Builder::new()
        .name("hubfix".into())
        .stack_size(hubfix::commands::STACK_SIZE)
        .spawn(move || hubfix::main(cli))
        .map_or_else(
            |e| {
                eprintln!("error: cannot start hubfix's main thread: {e}");
                1
            },
            // A panic was reported by the panic hook (secrets redacted): Rust's code for it.
            |main| main.join().unwrap_or(101),
        );
    std::process::exit(code);
}
