//! hubfix's one integration-test binary (one binary keeps link time down: every file in
//! tests/ would otherwise link the AWS SDK again).

mod double;
mod e2e;
mod emulator;
mod engine_redshift;
mod runbook_language;
mod sdk_adapters;
