//! hubfix's one integration-test binary (one binary keeps link time down: every file in
//! tests/ would otherwise link the AWS SDK again).

mod double;
mod double_dms;
mod double_elasticache;
mod e2e;
mod e2e_bounds;
mod e2e_checks;
mod e2e_dms1;
mod e2e_dms9;
mod e2e_elasticache6;
mod e2e_fleet;
mod e2e_kill_points;
mod e2e_organization;
mod e2e_plan_is_run;
mod e2e_review;
mod e2e_saved_plans;
mod emulator;
mod engine_dms1;
mod engine_dms9;
mod engine_elasticache6;
mod engine_redshift;
mod fixture;
mod hostile_inputs;
mod runbook_language;
mod sdk_adapters;
mod sdk_dms;
mod sdk_ec2;
mod sdk_elasticache;
mod snapshots;
