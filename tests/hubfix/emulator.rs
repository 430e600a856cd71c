//! The test harness: moto's server with hubfix's patches on a free loopback port, its test
//! API, SDK clients pointed at it, and the real `hubfix` binary run against it.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const REGION: &str = "ap-northeast-1";
pub const ACCOUNT: &str = "123456789012";

pub struct Emulator {
    child: Child,
    pub port: u16,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn emulator_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/emulator")
}

/// A fresh emulator seeded with the demo resources of `services` (seed.py's `--only`), and
/// the binary pointed at it.
pub fn seeded(services: &str) -> (Emulator, Hubfix) {
    let emu = Emulator::start();
    emu.seed(services);
    let hubfix = Hubfix::new(&emu);
    (emu, hubfix)
}

/// A DMS describe filter with one value.
pub fn dms_filter(name: &str, value: &str) -> aws_sdk_databasemigration::types::Filter {
    aws_sdk_databasemigration::types::Filter::builder()
        .name(name)
        .values(value)
        .build()
        .unwrap()
}

impl Emulator {
    /// Starts a fresh emulator and waits until it answers.
    pub fn start() -> Emulator {
        let python = std::env::var("HUBFIX_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
        for attempt in 0..5 {
            let port = free_port();
            // Tests run in parallel: another test's emulator may take this port first, so
            // readiness means *this* emulator answering with its own id.
            let id = format!("{}-{attempt}-{port}", std::process::id());
            let child = Command::new(&python)
                .arg(emulator_dir().join("hubfix_moto.py"))
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .env("HUBFIX_EMULATOR_ID", &id)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect(
                    "python3 with moto[server] (pip install -r tests/emulator/requirements.txt)",
                );
            let mut emulator = Emulator { child, port };
            let deadline = Instant::now() + Duration::from_secs(30);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = emulator.child.try_wait() {
                    break; // the port was taken in between: try another
                }
                if emulator
                    .try_http("GET", "/hubfix-test/id", "")
                    .is_some_and(|(s, body)| s == 200 && body.contains(&format!("\"{id}\"")))
                {
                    return emulator;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        panic!("the AWS emulator did not start");
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn try_http(&self, method: &str, path: &str, body: &str) -> Option<(u16, String)> {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .ok()?;
        // Read what arrives; a reset after the whole response (the server closing with
        // bytes unread) still leaves a complete answer.
        let mut raw = Vec::new();
        let mut chunk = [0u8; 8192];
        loop {
            match s.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => raw.extend_from_slice(&chunk[..n]),
            }
        }
        let response = String::from_utf8_lossy(&raw);
        let (head, body) = response.split_once("\r\n\r\n")?;
        let status = head.split_whitespace().nth(1)?.parse().ok()?;
        let length = head
            .lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("content-length:")
                    .map(|v| v.trim().to_owned())
            })
            .and_then(|v| v.parse::<usize>().ok());
        if length.is_some_and(|n| body.len() < n) {
            return None;
        }
        Some((status, body.to_owned()))
    }

    /// A call to the emulator's test API.
    pub fn test_api(&self, method: &str, path: &str, body: serde_json::Value) -> serde_json::Value {
        let body = if body.is_null() {
            String::new()
        } else {
            body.to_string()
        };
        let (status, text) = self
            .try_http(method, path, &body)
            .expect("the emulator answers");
        assert_eq!(status, 200, "{method} {path}: {text}");
        serde_json::from_str(&text).unwrap_or(serde_json::Value::Null)
    }

    /// Every AWS action the emulator received since the last reset.
    pub fn actions(&self) -> Vec<String> {
        self.test_api("GET", "/hubfix-test/requests", serde_json::Value::Null)
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["action"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// Waits until the emulator has received `n` requests of `action` from `child`.
    pub fn wait_for_request(&self, action: &str, n: usize, child: &mut std::process::Child) {
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            if self.actions().iter().filter(|a| *a == action).count() >= n {
                return;
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("hubfix ended ({status}) before sending {action} #{n}");
            }
            assert!(Instant::now() < deadline, "{action} #{n} was never sent");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn forget_requests(&self) {
        self.test_api("POST", "/hubfix-test/reset", serde_json::json!({}));
    }

    /// The ARN of the DMS endpoint `identifier`.
    pub async fn dms_endpoint_arn(&self, identifier: &str) -> String {
        let out = self
            .dms()
            .await
            .describe_endpoints()
            .filters(dms_filter("endpoint-id", identifier))
            .send()
            .await
            .unwrap();
        out.endpoints()[0].endpoint_arn().unwrap().to_owned()
    }

    /// Until the next reset, DMS connection tests of the endpoint from an instance that is
    /// not publicly accessible fail with `message`; the public instance still reaches it.
    pub fn unreachable_from_private(&self, endpoint_arn: &str, message: &str) {
        self.test_api(
            "POST",
            "/hubfix-test/dms-connection-fails",
            serde_json::json!({"endpoint_arn": endpoint_arn, "message": message, "from_private": true}),
        );
    }

    /// Seeds the Redshift demo: a failing Redshift.7 cluster with its finding, plus a
    /// compliant cluster and an already suppressed finding that listing must leave out.
    pub fn seed_demo(&self) {
        self.seed("redshift");
    }

    /// Seeds the demo resources and findings of the given services (seed.py's `--only`).
    pub fn seed(&self, services: &str) {
        self.seed_in(None, services);
    }

    /// Seeds the demo resources of `services` in a member account (through AssumeRole; the
    /// findings go to the credentials' own account, as in a delegated administrator).
    pub fn seed_in(&self, account: Option<&str>, services: &str) {
        self.seed_at(account, REGION, services);
    }

    /// Seeds `services` in `account` and `region`; the findings go to the credentials' own
    /// account in the aggregation region (`REGION`), as a delegated administrator has them.
    pub fn seed_at(&self, account: Option<&str>, region: &str, services: &str) {
        let mut member = vec!["--findings-region", REGION];
        if let Some(account) = account {
            member.extend(["--account", account]);
        }
        self.seed_in_region(services, region, &member);
    }

    /// Seeds the demo resources of `services` as if a CloudFormation stack of this name had
    /// created every failing one (seed.py's `--stack`: the `aws:cloudformation:stack-name` tag).
    pub fn seed_stack(&self, services: &str, stack: &str) {
        self.seed_with(services, &["--stack", stack]);
    }

    /// Runs seed.py for `services` with more of its options.
    pub fn seed_with(&self, services: &str, more: &[&str]) {
        self.seed_in_region(services, REGION, more);
    }

    fn seed_in_region(&self, services: &str, region: &str, more: &[&str]) {
        let out =
            Command::new(std::env::var("HUBFIX_TEST_PYTHON").unwrap_or_else(|_| "python3".into()))
                .arg(emulator_dir().join("seed.py"))
                .args([
                    "--endpoint-url",
                    &self.url(),
                    "--region",
                    region,
                    "--only",
                    services,
                ])
                .args(more)
                .env("AWS_ACCESS_KEY_ID", "testing")
                .env("AWS_SECRET_ACCESS_KEY", "testing")
                .output()
                .unwrap();
        assert!(
            out.status.success(),
            "seed failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        self.forget_requests();
    }

    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(REGION))
            .endpoint_url(self.url())
            .credentials_provider(aws_sdk_redshift::config::Credentials::new(
                "testing", "testing", None, None, "test",
            ))
            .load()
            .await
    }

    /// The SDK configuration of a member account in `region`: credentials from AssumeRole
    /// into `account` (moto keeps accounts apart by these credentials).
    pub async fn member_config(&self, account: &str, region: &str) -> aws_config::SdkConfig {
        let admin = self.sdk_config().await;
        let out = aws_sdk_sts::Client::new(&admin)
            .assume_role()
            .role_arn(format!("arn:aws:iam::{account}:role/seeder"))
            .role_session_name("seeder")
            .send()
            .await
            .unwrap();
        let c = out.credentials().unwrap();
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(region.to_owned()))
            .endpoint_url(self.url())
            .credentials_provider(aws_sdk_redshift::config::Credentials::new(
                c.access_key_id(),
                c.secret_access_key(),
                Some(c.session_token().to_owned()),
                None,
                "member",
            ))
            .load()
            .await
    }

    /// The SDK configuration of `account` (the credentials' own with `None`) in `region`.
    pub async fn config_in(&self, account: Option<&str>, region: &str) -> aws_config::SdkConfig {
        match account {
            Some(a) => self.member_config(a, region).await,
            None => self
                .sdk_config()
                .await
                .to_builder()
                .region(aws_config::Region::new(region.to_owned()))
                .build(),
        }
    }

    /// A cluster without enhanced VPC routing in `account` and `region` (the credentials'
    /// account with `None`), in a VPC there that meets its prerequisites, and, with `finding`,
    /// a failed Redshift.7 finding for it in the credentials' (administrator) account.
    /// Returns the finding id.
    pub async fn member_cluster(
        &self,
        account: Option<&str>,
        region: &str,
        name: &str,
        finding: bool,
    ) -> String {
        let config = self.config_in(account, region).await;
        self.redshift_network(&config, "hubfix-net").await;
        aws_sdk_redshift::Client::new(&config)
            .create_cluster()
            .cluster_subnet_group_name("hubfix-net")
            .cluster_identifier(name)
            .node_type("ra3.xlplus")
            .cluster_type("single-node")
            .master_username("admin")
            .master_user_password("Password1")
            .enhanced_vpc_routing(false)
            .send()
            .await
            .unwrap();
        let account = account.unwrap_or(ACCOUNT);
        let mut f = failed_finding(name, false);
        let id = format!("{}-{account}-{region}", f.id.clone().unwrap_or_default());
        f.id = Some(id.clone());
        f.aws_account_id = Some(account.to_owned());
        f.region = Some(region.to_owned());
        if let Some(r) = f.resources.as_mut().and_then(|r| r.first_mut()) {
            r.id = Some(format!(
                "arn:aws:redshift:{region}:{account}:cluster:{name}"
            ));
            r.region = Some(region.to_owned());
        }
        if finding {
            self.import(vec![f]).await;
        }
        id
    }

    /// Whether a cluster of `account` in `region` has enhanced VPC routing (applied or pending).
    pub async fn member_routing(&self, account: Option<&str>, region: &str, name: &str) -> bool {
        let config = self.config_in(account, region).await;
        let out = aws_sdk_redshift::Client::new(&config)
            .describe_clusters()
            .cluster_identifier(name)
            .send()
            .await
            .unwrap();
        let c = &out.clusters()[0];
        c.enhanced_vpc_routing().unwrap_or(false)
            || c.pending_modified_values()
                .and_then(|p| p.enhanced_vpc_routing())
                .unwrap_or(false)
    }

    /// The workflow status of a finding, by id, in the credentials' account.
    pub async fn workflow_of(&self, id: &str) -> String {
        let hub = self.securityhub().await;
        let out = hub
            .get_findings()
            .filters(
                aws_sdk_securityhub::types::AwsSecurityFindingFilters::builder()
                    .id(aws_sdk_securityhub::types::StringFilter::builder()
                        .value(id)
                        .comparison(aws_sdk_securityhub::types::StringFilterComparison::Equals)
                        .build())
                    .build(),
            )
            .send()
            .await
            .unwrap();
        out.findings()[0]
            .workflow()
            .and_then(|w| w.status())
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default()
    }

    pub async fn ec2(&self) -> aws_sdk_ec2::Client {
        aws_sdk_ec2::Client::new(&self.sdk_config().await)
    }

    /// A VPC that meets enhanced VPC routing's prerequisites, as seed.py's `redshift_network`
    /// makes it (DNS resolution and hostnames on, one subnet whose main route table an S3
    /// gateway endpoint of the region serves), and a cluster subnet group `group` in it, in
    /// the account and region of `config`. Returns the VPC id.
    pub async fn redshift_network(&self, config: &aws_config::SdkConfig, group: &str) -> String {
        use aws_sdk_ec2::types::{AttributeBooleanValue, Filter, VpcEndpointType};
        let ec2 = aws_sdk_ec2::Client::new(config);
        let region = config.region().unwrap().to_string();
        let vpc = ec2
            .create_vpc()
            .cidr_block("10.9.0.0/16")
            .send()
            .await
            .unwrap()
            .vpc()
            .unwrap()
            .vpc_id()
            .unwrap()
            .to_owned();
        let on = || AttributeBooleanValue::builder().value(true).build();
        for support in [true, false] {
            let modify = ec2.modify_vpc_attribute().vpc_id(&vpc);
            let modify = if support {
                modify.enable_dns_support(on())
            } else {
                modify.enable_dns_hostnames(on())
            };
            modify.send().await.unwrap();
        }
        let subnet = ec2
            .create_subnet()
            .vpc_id(&vpc)
            .cidr_block("10.9.1.0/24")
            .availability_zone(format!("{region}a"))
            .send()
            .await
            .unwrap()
            .subnet()
            .unwrap()
            .subnet_id()
            .unwrap()
            .to_owned();
        let filter = |name: &str, value: &str| Filter::builder().name(name).values(value).build();
        let tables = ec2
            .describe_route_tables()
            .filters(filter("vpc-id", &vpc))
            .filters(filter("association.main", "true"))
            .send()
            .await
            .unwrap();
        let main = tables.route_tables()[0].route_table_id().unwrap();
        ec2.create_vpc_endpoint()
            .vpc_id(&vpc)
            .service_name(format!("com.amazonaws.{region}.s3"))
            .vpc_endpoint_type(VpcEndpointType::Gateway)
            .route_table_ids(main)
            .send()
            .await
            .unwrap();
        aws_sdk_redshift::Client::new(config)
            .create_cluster_subnet_group()
            .cluster_subnet_group_name(group)
            .description("hubfix test")
            .subnet_ids(subnet)
            .send()
            .await
            .unwrap();
        vpc
    }

    /// The VPC of a cluster of the credentials' account.
    pub async fn vpc_of(&self, cluster: &str) -> String {
        let out = self
            .redshift()
            .await
            .describe_clusters()
            .cluster_identifier(cluster)
            .send()
            .await
            .unwrap();
        out.clusters()[0].vpc_id().unwrap().to_owned()
    }

    /// Turns DNS hostnames on or off in a VPC of the credentials' account.
    pub async fn set_dns_hostnames(&self, vpc: &str, on: bool) {
        self.ec2()
            .await
            .modify_vpc_attribute()
            .vpc_id(vpc)
            .enable_dns_hostnames(
                aws_sdk_ec2::types::AttributeBooleanValue::builder()
                    .value(on)
                    .build(),
            )
            .send()
            .await
            .unwrap();
    }

    /// Deletes the VPC endpoints of a VPC of the credentials' account: its subnets lose their
    /// route to S3 (the demo's have no NAT or internet gateway).
    pub async fn remove_vpc_endpoints(&self, vpc: &str) {
        let ec2 = self.ec2().await;
        let out = ec2
            .describe_vpc_endpoints()
            .filters(
                aws_sdk_ec2::types::Filter::builder()
                    .name("vpc-id")
                    .values(vpc)
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let ids: Vec<String> = out
            .vpc_endpoints()
            .iter()
            .filter_map(|e| e.vpc_endpoint_id().map(str::to_owned))
            .collect();
        assert!(!ids.is_empty(), "no VPC endpoint in {vpc}");
        ec2.delete_vpc_endpoints()
            .set_vpc_endpoint_ids(Some(ids))
            .send()
            .await
            .unwrap();
    }

    /// Tags a cluster of the credentials' account as CloudFormation tags what a stack creates.
    pub async fn tag_with_stack(&self, cluster: &str, stack: &str) {
        self.redshift()
            .await
            .create_tags()
            .resource_name(format!(
                "arn:aws:redshift:{REGION}:{ACCOUNT}:cluster:{cluster}"
            ))
            .tags(
                aws_sdk_redshift::types::Tag::builder()
                    .key("aws:cloudformation:stack-name")
                    .value(stack)
                    .build(),
            )
            .send()
            .await
            .unwrap();
    }

    pub async fn redshift(&self) -> aws_sdk_redshift::Client {
        aws_sdk_redshift::Client::new(&self.sdk_config().await)
    }

    pub async fn dms(&self) -> aws_sdk_databasemigration::Client {
        aws_sdk_databasemigration::Client::new(&self.sdk_config().await)
    }

    pub async fn elasticache(&self) -> aws_sdk_elasticache::Client {
        aws_sdk_elasticache::Client::new(&self.sdk_config().await)
    }

    pub async fn securityhub(&self) -> aws_sdk_securityhub::Client {
        aws_sdk_securityhub::Client::new(&self.sdk_config().await)
    }

    pub async fn enhanced_vpc_routing(&self, cluster: &str) -> bool {
        let out = self
            .redshift()
            .await
            .describe_clusters()
            .cluster_identifier(cluster)
            .send()
            .await
            .unwrap();
        out.clusters()[0].enhanced_vpc_routing().unwrap_or(false)
    }

    /// The failing demo finding for a cluster: (id, workflow status, note text, note author).
    pub async fn finding_of(&self, cluster: &str) -> (String, String, String, String) {
        self.finding_on(&format!(
            "arn:aws:redshift:{REGION}:{ACCOUNT}:cluster:{cluster}"
        ))
        .await
    }

    /// The finding on a resource ARN: (id, workflow status, note text, note author).
    pub async fn finding_on(&self, arn: &str) -> (String, String, String, String) {
        let f = self.finding_record(arn).await;
        (
            f.id().unwrap().to_owned(),
            f.workflow()
                .and_then(|w| w.status())
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
            f.note()
                .map(|n| n.text().unwrap_or_default().to_owned())
                .unwrap_or_default(),
            f.note()
                .map(|n| n.updated_by().unwrap_or_default().to_owned())
                .unwrap_or_default(),
        )
    }

    /// The (first) finding on the resource `arn`, as Security Hub returns it.
    pub async fn finding_record(
        &self,
        arn: &str,
    ) -> aws_sdk_securityhub::types::AwsSecurityFinding {
        use aws_sdk_securityhub::types::{
            AwsSecurityFindingFilters, StringFilter, StringFilterComparison,
        };
        let out = self
            .securityhub()
            .await
            .get_findings()
            .filters(
                AwsSecurityFindingFilters::builder()
                    .resource_id(
                        StringFilter::builder()
                            .value(arn)
                            .comparison(StringFilterComparison::Equals)
                            .build(),
                    )
                    .build(),
            )
            .send()
            .await
            .unwrap();
        out.findings()[0].clone()
    }

    /// Creates clusters without enhanced VPC routing (in the demo's subnet group, so seed the
    /// Redshift demo first), each with a failed Redshift.7 finding.
    pub async fn add_failing_clusters(&self, names: &[String]) {
        let redshift = self.redshift().await;
        for name in names {
            redshift
                .create_cluster()
                .cluster_identifier(name)
                .node_type("ra3.xlplus")
                .cluster_type("single-node")
                .master_username("admin")
                .master_user_password("Password1")
                .cluster_subnet_group_name("hubfix-demo")
                .enhanced_vpc_routing(false)
                .send()
                .await
                .unwrap();
        }
        self.import(names.iter().map(|n| failed_finding(n, false)).collect())
            .await;
    }

    /// Imports failed Redshift.7 findings for clusters that need not exist.
    pub async fn import_findings(&self, count: usize) {
        let all = (0..count)
            .map(|i| failed_finding(&format!("bulk-{i:05}"), false))
            .collect();
        self.import(all).await;
    }

    /// Imports a finding of this account whose resource ARN names `account`: a finding that
    /// disagrees with itself about where its resource is.
    pub async fn import_finding_in_account(&self, cluster: &str, account: &str) {
        let mut finding = failed_finding(cluster, false);
        if let Some(resource) = finding.resources.as_mut().and_then(|r| r.first_mut()) {
            resource.id = Some(format!(
                "arn:aws:redshift:{REGION}:{account}:cluster:{cluster}"
            ));
        }
        finding.id = finding.id.map(|id| format!("{id}-{account}"));
        self.import(vec![finding]).await;
    }

    /// Imports findings as a hub without consolidated control findings writes them: one per
    /// standard, the control only in `ProductFields`.
    pub async fn import_legacy_findings(&self, cluster: &str) {
        let all = [
            "aws-foundational-security-best-practices/v/1.0.0",
            "nist-800-53/v/5.0.0",
        ]
        .iter()
        .map(|standard| failed_finding(&format!("{cluster}:{standard}"), true))
        .collect();
        self.import(all).await;
    }

    async fn import(&self, all: Vec<aws_sdk_securityhub::types::AwsSecurityFinding>) {
        let hub = self.securityhub().await;
        for chunk in all.chunks(100) {
            let out = hub
                .batch_import_findings()
                .set_findings(Some(chunk.to_vec()))
                .send()
                .await
                .unwrap();
            assert_eq!(out.failed_count(), Some(0));
        }
    }
}

/// A failed, active, NEW Redshift.7 finding; `key` is `cluster` or `cluster:standard`.
fn failed_finding(key: &str, legacy: bool) -> aws_sdk_securityhub::types::AwsSecurityFinding {
    use aws_sdk_securityhub::types::*;
    let now = "2026-11-01T00:00:00.000Z";
    let (cluster, standard) = key.split_once(':').unwrap_or((key, ""));
    let mut compliance = Compliance::builder().status(ComplianceStatus::Failed);
    let mut finding = AwsSecurityFinding::builder();
    if legacy {
        finding = finding
            .id(format!("arn:aws:securityhub:{REGION}:{ACCOUNT}:subscription/{standard}/Redshift.7/finding/{cluster}"))
            .generator_id(format!("{standard}/Redshift.7"))
            .product_fields("ControlId", "Redshift.7")
            .product_fields("StandardsControlArn", format!("arn:aws:securityhub:{REGION}:{ACCOUNT}:control/{standard}/Redshift.7"));
    } else {
        compliance = compliance.security_control_id("Redshift.7");
        finding = finding
            .id(format!("arn:aws:securityhub:{REGION}:{ACCOUNT}:security-control/Redshift.7/finding/{cluster}"))
            .generator_id("security-control/Redshift.7");
    }
    finding
        .schema_version("2018-10-08")
        .product_arn(format!(
            "arn:aws:securityhub:{REGION}::product/aws/securityhub"
        ))
        .aws_account_id(ACCOUNT)
        .types("Software and Configuration Checks/Industry and Regulatory Standards")
        .created_at(now)
        .updated_at(now)
        .severity(Severity::builder().label(SeverityLabel::Medium).build())
        .title("Amazon Redshift clusters should use enhanced VPC routing")
        .description("bulk")
        .compliance(compliance.build())
        .record_state(RecordState::Active)
        .workflow(Workflow::builder().status(WorkflowStatus::New).build())
        .region(REGION)
        .resources(
            Resource::builder()
                .r#type("AwsRedshiftCluster")
                .id(format!(
                    "arn:aws:redshift:{REGION}:{ACCOUNT}:cluster:{cluster}"
                ))
                .region(REGION)
                .build(),
        )
        .build()
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `hubfix` binary, run against the emulator with dummy credentials and its own state.
pub struct Hubfix {
    pub state: tempfile::TempDir,
    endpoint: Option<String>,
}

impl Hubfix {
    pub fn new(emulator: &Emulator) -> Hubfix {
        Hubfix {
            state: tempfile::tempdir().unwrap(),
            endpoint: Some(emulator.url()),
        }
    }

    pub fn offline() -> Hubfix {
        Hubfix {
            state: tempfile::tempdir().unwrap(),
            endpoint: None,
        }
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_hubfix"));
        for (k, _) in std::env::vars() {
            if k.starts_with("AWS_") || k.starts_with("HUBFIX_") {
                c.env_remove(k);
            }
        }
        c.env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", REGION)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", self.state.path().join("no-aws-config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                self.state.path().join("no-aws-credentials"),
            )
            .env("HUBFIX_STATE_DIR", self.state.path().join("state"))
            .env("HUBFIX_POLL_MS", "50")
            .env("LANG", "C")
            .env("USER", "operator");
        if let Some(url) = &self.endpoint {
            c.env("AWS_ENDPOINT_URL", url);
        }
        c.args(args);
        c
    }

    pub fn run(&self, args: &[&str]) -> Run {
        Run(self.command(args).stdin(Stdio::null()).output().unwrap())
    }

    /// Runs with some of the usual environment variables removed.
    pub fn run_without(&self, vars: &[&str], args: &[&str]) -> Run {
        let mut command = self.command(args);
        for var in vars {
            command.env_remove(var);
        }
        Run(command.stdin(Stdio::null()).output().unwrap())
    }

    /// Starts the binary with no input and its output dropped (a run a test kills, say).
    pub fn spawn_quiet(&self, vars: &[(&str, &str)], args: &[&str]) -> std::process::Child {
        self.command(args)
            .envs(vars.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    }

    /// Runs with extra environment variables (a secret for an answers file, say).
    pub fn run_with(&self, vars: &[(&str, &str)], args: &[&str]) -> Run {
        let mut command = self.command(args);
        command.envs(vars.iter().copied());
        Run(command.stdin(Stdio::null()).output().unwrap())
    }

    /// The id of the most recently started run, from the state directory.
    pub fn last_run_id(&self) -> String {
        let mut runs: Vec<PathBuf> = std::fs::read_dir(self.state_dir().join("runs"))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        runs.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.created()).ok());
        let last = runs.last().expect("a run journal");
        last.file_stem().unwrap().to_string_lossy().into_owned()
    }

    pub fn answers(&self, yaml: &str) -> String {
        let path = self
            .state
            .path()
            .join(format!("answers-{}.yaml", yaml.len()));
        std::fs::write(&path, yaml).unwrap();
        path.display().to_string()
    }

    pub fn state_dir(&self) -> PathBuf {
        self.state.path().join("state")
    }
}

pub struct Run(pub Output);

impl Run {
    pub fn code(&self) -> i32 {
        self.0.status.code().unwrap_or(-1)
    }

    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.0.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.0.stderr).into_owned()
    }

    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code(),
            code,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout(),
            self.stderr()
        );
        self
    }
}
