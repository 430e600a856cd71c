//! For `scripts/bench`: the AWS SDK's own default waiter on the same change hubfix waits on.
//! Enables enhanced VPC routing on a cluster, then waits with `wait_until_cluster_available`
//! (60 s minimum between polls), and prints when the call was made and when the waiter
//! returned, as epoch seconds: `{"modified_at": …, "returned_at": …}`.
//!
//!     cargo run --example sdk_waiter -- ENDPOINT_URL CLUSTER

use aws_sdk_redshift::client::Waiters;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(endpoint), Some(cluster)) = (args.next(), args.next()) else {
        eprintln!("usage: sdk_waiter ENDPOINT_URL CLUSTER");
        std::process::exit(2);
    };
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .load()
        .await;
    let client = aws_sdk_redshift::Client::new(&config);
    client
        .modify_cluster()
        .cluster_identifier(&cluster)
        .enhanced_vpc_routing(true)
        .send()
        .await
        .expect("ModifyCluster");
    let modified_at = now();
    client
        .wait_until_cluster_available()
        .cluster_identifier(&cluster)
        .wait(Duration::from_secs(900))
        .await
        .expect("the waiter");
    println!(
        "{{\"modified_at\": {modified_at}, \"returned_at\": {}}}",
        now()
    );
}
