//! DMS calls for DMS.9: read an endpoint and the SSL modes its engine supports, list the CA
//! certificates and replication instances to choose from, import a CA chain (checked first),
//! set the SSL mode, test the connection, and restart the tasks that use the endpoint.

use super::dms::{by_arn_or_id, every_page, filter, sdk, tasks_view};
use super::{ActionSpec, Params, Reconcile, handler};
use crate::aws::{ApiError, ApiErrorKind};
use aws_sdk_databasemigration::Client;
use aws_sdk_databasemigration::types::{
    Certificate, Connection, DmsSslModeValue, Endpoint, ReplicationInstance,
};
use serde_json::{Value, json};

pub const DESCRIBE_ENDPOINT: ActionSpec = ActionSpec {
    name: "dms.describe_endpoint",
    operation: "dms:DescribeEndpoints",
    mutating: false,
    reconcile: Reconcile::Read,
    params: &[("Endpoint", true)],
    secret_params: &[],
    file_params: &[],
    handler: handler!(Dms, describe_endpoint),
    shared: None,
};

pub const DESCRIBE_CERTIFICATES: ActionSpec = ActionSpec {
    name: "dms.describe_certificates",
    operation: "dms:DescribeCertificates",
    mutating: false,
    reconcile: Reconcile::Read,
    params: &[],
    secret_params: &[],
    file_params: &[],
    handler: handler!(Dms, describe_certificates),
    shared: None,
};

pub const LIST_AVAILABLE_INSTANCES: ActionSpec = ActionSpec {
    name: "dms.list_available_instances",
    operation: "dms:DescribeReplicationInstances",
    mutating: false,
    reconcile: Reconcile::Read,
    params: &[],
    secret_params: &[],
    file_params: &[],
    handler: handler!(Dms, list_available_instances),
    shared: None,
};

pub const DESCRIBE_ENDPOINT_TASKS: ActionSpec = ActionSpec {
    name: "dms.describe_endpoint_tasks",
    operation: "dms:DescribeReplicationTasks",
    mutating: false,
    reconcile: Reconcile::Read,
    params: &[("EndpointArn", true)],
    secret_params: &[],
    file_params: &[],
    handler: handler!(Dms, describe_endpoint_tasks),
    shared: None,
};

pub const IMPORT_CERTIFICATE: ActionSpec = ActionSpec {
    name: "dms.import_certificate",
    operation: "dms:ImportCertificate",
    mutating: true,
    reconcile: Reconcile::Check(handler!(Dms, import_certificate_seen)),
    params: &[
        ("CertificateIdentifier", true),
        ("CertificatePemFile", true),
    ],
    secret_params: &[],
    file_params: &[("CertificatePemFile", "CertificatePem")],
    handler: handler!(Dms, import_certificate),
    shared: None,
};

pub const MODIFY_ENDPOINT_SSL: ActionSpec = ActionSpec {
    name: "dms.modify_endpoint_ssl",
    operation: "dms:ModifyEndpoint",
    mutating: true,
    reconcile: Reconcile::Resend,
    params: &[
        ("EndpointArn", true),
        ("SslMode", true),
        ("CertificateArn", false),
    ],
    secret_params: &[],
    file_params: &[],
    handler: handler!(Dms, modify_endpoint_ssl),
    shared: None,
};

pub const TEST_CONNECTION: ActionSpec = ActionSpec {
    name: "dms.test_connection",
    operation: "dms:TestConnection",
    mutating: true,
    reconcile: Reconcile::Check(handler!(Dms, test_connection_seen)),
    params: &[("ReplicationInstanceArn", true), ("EndpointArn", true)],
    secret_params: &[],
    file_params: &[],
    handler: handler!(Dms, test_connection),
    shared: None,
};

pub const DESCRIBE_CONNECTION: ActionSpec = ActionSpec {
    name: "dms.describe_connection",
    operation: "dms:DescribeConnections",
    mutating: false,
    reconcile: Reconcile::Read,
    params: &[("ReplicationInstanceArn", true), ("EndpointArn", true)],
    secret_params: &[],
    file_params: &[],
    handler: handler!(Dms, describe_connection),
    shared: None,
};

pub const DESCRIBE_CONNECTIONS: ActionSpec = ActionSpec {
    name: "dms.describe_connections",
    operation: "dms:DescribeConnections",
    mutating: false,
    reconcile: Reconcile::Read,
    params: &[
        ("ReplicationInstanceArn", true),
        ("EndpointArns", true),
        ("Endpoints", false),
    ],
    secret_params: &[],
    file_params: &[],
    handler: handler!(Dms, describe_connections),
    shared: None,
};

/// What DMS.9 can do for an endpoint's engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SslSupport {
    /// The SSL modes the engine supports, strongest first.
    Modes(&'static [&'static str]),
    /// DMS cannot use SSL to a Redshift target.
    RedshiftTarget,
    /// Encrypted by other means (S3, DynamoDB, Kinesis, ...): not covered by the control.
    NotCovered,
}

/// The DMS user guide's SSL support table.
pub fn ssl_support(engine: &str, endpoint_type: &str) -> SslSupport {
    match engine {
        "mysql" | "mariadb" | "aurora" => SslSupport::Modes(&["verify-full", "verify-ca"]),
        "sqlserver" => SslSupport::Modes(&["verify-full", "require"]),
        "postgres" | "aurora-postgresql" => {
            SslSupport::Modes(&["verify-full", "verify-ca", "require"])
        }
        "oracle" | "db2" | "db2-zos" => SslSupport::Modes(&["verify-ca"]),
        "sybase" => SslSupport::Modes(&["verify-full"]),
        "mongodb" | "docdb" => SslSupport::Modes(&["verify-full", "require"]),
        "redshift" | "redshift-serverless" if endpoint_type.eq_ignore_ascii_case("target") => {
            SslSupport::RedshiftTarget
        }
        _ => SslSupport::NotCovered,
    }
}

/// The endpoint with the SSL modes its engine supports: what `describe_endpoint` and
/// `modify_endpoint_ssl` answer.
pub fn endpoint_json(e: &Endpoint) -> Value {
    let engine = e.engine_name().unwrap_or_default();
    let kind = e.endpoint_type().map(|t| t.as_str()).unwrap_or_default();
    let support = ssl_support(engine, kind);
    let modes: &[&str] = match &support {
        SslSupport::Modes(m) => m,
        _ => &[],
    };
    let ssl = e.ssl_mode().map_or("none", |m| m.as_str());
    json!({
        "EndpointIdentifier": e.endpoint_identifier(),
        "EndpointArn": e.endpoint_arn(),
        "EndpointType": kind,
        "EngineName": engine,
        "ServerName": e.server_name(),
        "Port": e.port(),
        "DatabaseName": e.database_name(),
        "Status": e.status(),
        "SslMode": ssl,
        "CertificateArn": e.certificate_arn(),
        "SupportedSslModes": modes,
        "Covered": support != SslSupport::NotCovered,
        "RedshiftTarget": support == SslSupport::RedshiftTarget,
    })
}

pub async fn describe_endpoint(client: &Client, p: &Params<'_>) -> Result<Value, ApiError> {
    let which = p.string("Endpoint")?;
    let out = client
        .describe_endpoints()
        .filters(by_arn_or_id(&which, "endpoint-arn", "endpoint-id"))
        .send()
        .await
        .map_err(sdk(&DESCRIBE_ENDPOINT))?;
    match out.endpoints().first() {
        Some(e) => Ok(endpoint_json(e)),
        None => Err(ApiError::not_found(
            DESCRIBE_ENDPOINT.operation,
            format!("no DMS endpoint `{which}`"),
        )),
    }
}

/// The account's certificates, as choices `{value: ARN, label}`; none is an empty list.
pub async fn describe_certificates(client: &Client, _p: &Params<'_>) -> Result<Value, ApiError> {
    let certificates = every_page(|marker| async move {
        let out = client
            .describe_certificates()
            .set_marker(marker)
            .send()
            .await
            .map_err(sdk(&DESCRIBE_CERTIFICATES))?;
        Ok((out.certificates().to_vec(), out.marker().map(str::to_owned)))
    })
    .await?;
    Ok(certificate_options(&certificates))
}

/// What `describe_certificates` answers: the certificates as choices `{value: ARN, label}`.
pub fn certificate_options(certificates: &[Certificate]) -> Value {
    let options: Vec<Value> = certificates
        .iter()
        .filter_map(|c| {
            let valid_to = c
                .valid_to_date()
                .and_then(|d| d.fmt(aws_smithy_types::date_time::Format::DateTime).ok())
                .map(|d| format!(", valid to {}", &d[..10.min(d.len())]))
                .unwrap_or_default();
            Some(json!({
                "value": c.certificate_arn()?,
                "label": format!("{}{valid_to}", c.certificate_identifier().unwrap_or("?")),
            }))
        })
        .collect();
    json!({ "Options": options, "Count": options.len() })
}

/// The available replication instances, as choices `{value: ARN, label}`.
pub async fn list_available_instances(client: &Client, _p: &Params<'_>) -> Result<Value, ApiError> {
    let instances = every_page(|marker| async move {
        let out = client
            .describe_replication_instances()
            .set_marker(marker)
            .send()
            .await
            .map_err(sdk(&LIST_AVAILABLE_INSTANCES))?;
        Ok((
            out.replication_instances().to_vec(),
            out.marker().map(str::to_owned),
        ))
    })
    .await?;
    Ok(instance_options(&instances))
}

/// What `list_available_instances` answers: the available instances as choices
/// `{value: ARN, label}`.
pub fn instance_options(instances: &[ReplicationInstance]) -> Value {
    let options: Vec<Value> = instances
        .iter()
        .filter(|i| i.replication_instance_status() == Some("available"))
        .filter_map(|i| {
            Some(json!({
                "value": i.replication_instance_arn()?,
                "label": format!(
                    "{} ({}, {})",
                    i.replication_instance_identifier().unwrap_or("?"),
                    i.replication_instance_class().unwrap_or("?"),
                    i.replication_subnet_group().and_then(|g| g.vpc_id()).unwrap_or("no VPC")
                ),
            }))
        })
        .collect();
    json!({ "Options": options, "Count": options.len() })
}

pub async fn describe_endpoint_tasks(client: &Client, p: &Params<'_>) -> Result<Value, ApiError> {
    let endpoint = p.string("EndpointArn")?;
    tasks_view(client, &DESCRIBE_ENDPOINT_TASKS, "endpoint-arn", endpoint).await
}

/// Imports a CA chain after checking it; a certificate of that identifier already there (a
/// resumed run) is reused.
pub async fn import_certificate(client: &Client, p: &Params<'_>) -> Result<Value, ApiError> {
    let spec = &IMPORT_CERTIFICATE;
    let id = p.string("CertificateIdentifier")?;
    // The file's contents, read by the engine (`file_params`) so the request shown is the one sent.
    let pem = p.string("CertificatePem")?;
    crate::certificates::check_pem_chain(&pem).map_err(|e| {
        ApiError::invalid(
            spec.operation,
            format!("the CA file is not a PEM certificate chain: {e}"),
        )
    })?;
    let reused = import_certificate_seen(client, p).await?;
    if !reused.is_null() {
        return Ok(reused);
    }
    let out = client
        .import_certificate()
        .certificate_identifier(&id)
        .certificate_pem(pem)
        .send()
        .await
        .map_err(sdk(spec))?;
    Ok(imported_json(&id, out.certificate(), false))
}

/// What `import_certificate` answers: the certificate under `id`, and `Existed` when it was
/// there already (and reused).
pub fn imported_json(id: &str, c: Option<&Certificate>, existed: bool) -> Value {
    let mut out = json!({
        "CertificateArn": c.and_then(|c| c.certificate_arn()),
        "CertificateIdentifier": id,
    });
    if existed {
        out["Existed"] = json!(true);
    }
    out
}

pub async fn modify_endpoint_ssl(client: &Client, p: &Params<'_>) -> Result<Value, ApiError> {
    let out = client
        .modify_endpoint()
        .endpoint_arn(p.string("EndpointArn")?)
        .ssl_mode(DmsSslModeValue::from(p.string("SslMode")?.as_str()))
        .set_certificate_arn(p.opt_string("CertificateArn")?)
        .send()
        .await
        .map_err(sdk(&MODIFY_ENDPOINT_SSL))?;
    Ok(out.endpoint().map_or_else(|| json!({}), endpoint_json))
}

pub async fn test_connection(client: &Client, p: &Params<'_>) -> Result<Value, ApiError> {
    let out = client
        .test_connection()
        .replication_instance_arn(p.string("ReplicationInstanceArn")?)
        .endpoint_arn(p.string("EndpointArn")?)
        .send()
        .await
        .map_err(sdk(&TEST_CONNECTION))?;
    Ok(test_connection_json(out.connection()))
}

/// What `test_connection` answers: the status of the test it started.
pub fn test_connection_json(c: Option<&Connection>) -> Value {
    json!({ "Status": c.and_then(|c| c.status()) })
}

/// What `describe_connection` answers for the connection test found.
pub fn connection_json(c: &Connection) -> Value {
    json!({
        "Status": c.status(),
        "LastFailureMessage": c.last_failure_message(),
    })
}

pub async fn describe_connection(client: &Client, p: &Params<'_>) -> Result<Value, ApiError> {
    let instance = p.string("ReplicationInstanceArn")?;
    let endpoint = p.string("EndpointArn")?;
    let out = client
        .describe_connections()
        .filters(filter("endpoint-arn", std::slice::from_ref(&endpoint)))
        .filters(filter(
            "replication-instance-arn",
            std::slice::from_ref(&instance),
        ))
        .send()
        .await
        .map_err(sdk(&DESCRIBE_CONNECTION))?;
    match out.connections().first() {
        Some(c) => Ok(connection_json(c)),
        None => Err(ApiError::not_found(
            DESCRIBE_CONNECTION.operation,
            "no connection test for this endpoint and instance",
        )),
    }
}

/// The connection tests from one instance to several endpoints, in one request.
pub async fn describe_connections(client: &Client, p: &Params<'_>) -> Result<Value, ApiError> {
    let instance = p.string("ReplicationInstanceArn")?;
    let endpoints = p.strings("EndpointArns")?;
    let named = p.objects("Endpoints")?;
    let found = client
        .describe_connections()
        .filters(filter("endpoint-arn", &endpoints))
        .filters(filter(
            "replication-instance-arn",
            std::slice::from_ref(&instance),
        ))
        .send()
        .await
        .map_err(sdk(&DESCRIBE_CONNECTIONS));
    let connections = match found {
        Ok(out) => out.connections().to_vec(),
        // No test of these endpoints from this instance yet.
        Err(e) if e.kind == ApiErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e),
    };
    Ok(connections_json(
        &instance,
        &endpoints,
        &connections,
        &named,
    ))
}

/// What `describe_connections` answers: one result per endpoint, in the order given (an
/// endpoint with no test from the instance is `untested`), the tasks that use each one (from
/// `named`: `{EndpointArn, EndpointIdentifier, Tasks}` as `describe_instance_tasks` lists
/// them), and `Status`: `testing` while any test has no result, else `failed` when any
/// failed, else `successful`.
pub fn connections_json(
    instance: &str,
    endpoints: &[String],
    connections: &[Connection],
    named: &[serde_json::Map<String, Value>],
) -> Value {
    let mut results = Vec::new();
    let (mut summary, mut failed_summary) = (Vec::new(), Vec::new());
    let (mut failed_arns, mut failed_ids, mut failed_tasks) = (Vec::new(), Vec::new(), Vec::new());
    let mut any_pending = false;
    for arn in endpoints {
        let c = connections.iter().find(|c| {
            c.endpoint_arn() == Some(arn.as_str())
                && c.replication_instance_arn().is_none_or(|i| i == instance)
        });
        let status = c.and_then(|c| c.status()).unwrap_or("untested");
        let known = named
            .iter()
            .find(|n| n.get("EndpointArn").and_then(Value::as_str) == Some(arn.as_str()));
        let id = c
            .and_then(|c| c.endpoint_identifier())
            .or_else(|| known?.get("EndpointIdentifier")?.as_str())
            .unwrap_or(arn.as_str());
        let message = c
            .and_then(|c| c.last_failure_message())
            .filter(|_| status == "failed");
        let used_by: Vec<&str> = known
            .and_then(|n| n.get("Tasks"))
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let (mark, tail) = match status {
            "successful" => ("✓", String::new()),
            "failed" => (
                "✗",
                format!(" — {}", message.unwrap_or("no message from DMS")),
            ),
            _ => {
                any_pending = true;
                ("…", String::new())
            }
        };
        let users = if used_by.is_empty() {
            String::new()
        } else {
            format!(" ({})", used_by.join(", "))
        };
        let line = format!("{mark} {id}{users}: {status}{tail}");
        if status == "failed" {
            failed_arns.push(arn.clone());
            failed_ids.push(id.to_owned());
            for t in &used_by {
                if !failed_tasks.contains(t) {
                    failed_tasks.push(*t);
                }
            }
            failed_summary.push(line.clone());
        }
        summary.push(line);
        results.push(json!({
            "EndpointArn": arn,
            "EndpointIdentifier": id,
            "Status": status,
            "LastFailureMessage": message,
            "Tasks": used_by,
        }));
    }
    failed_tasks.sort_unstable();
    let status = if any_pending {
        "testing"
    } else if failed_arns.is_empty() {
        "successful"
    } else {
        "failed"
    };
    json!({
        "Status": status,
        "Connections": results,
        "FailedArns": failed_arns,
        "FailedIdentifiers": failed_ids,
        "FailedTasks": failed_tasks,
        "Summary": summary.join("\n"),
        "FailedSummary": failed_summary.join("\n"),
    })
}

/// A certificate of that identifier is there already (imported by an earlier try or run):
/// reused when it is the same chain, refused when it is another one; `null` when none is.
pub async fn import_certificate_seen(client: &Client, p: &Params<'_>) -> Result<Value, ApiError> {
    let id = p.string("CertificateIdentifier")?;
    let pem = p.string("CertificatePem")?;
    let existing = client
        .describe_certificates()
        .filters(filter("certificate-id", std::slice::from_ref(&id)))
        .send()
        .await
        .ok()
        .and_then(|o| o.certificates().first().cloned());
    let Some(c) = existing else {
        return Ok(Value::Null);
    };
    let bare = |t: &str| t.split_whitespace().collect::<String>();
    if c.certificate_pem().map(bare) != Some(bare(&pem)) {
        return Err(ApiError::new(
            ApiErrorKind::Invalid,
            IMPORT_CERTIFICATE.operation,
            "ResourceAlreadyExistsFault",
            format!("a different certificate `{id}` already exists"),
        ));
    }
    Ok(imported_json(&id, Some(&c), true))
}

/// TestConnection went through (see [`super::Reconcile`]): a test of this endpoint from this
/// instance is running.
pub async fn test_connection_seen(client: &Client, p: &Params<'_>) -> Result<Value, ApiError> {
    let found = describe_connection(client, p).await;
    Ok(match found {
        Ok(c) if c["Status"] == "testing" => json!({ "Status": "testing" }),
        Ok(_) => Value::Null,
        Err(e) if e.kind == crate::aws::ApiErrorKind::NotFound => Value::Null,
        Err(e) => return Err(e),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_support_table_offers_verify_full_first_where_supported() {
        assert_eq!(
            ssl_support("mysql", "source"),
            SslSupport::Modes(&["verify-full", "verify-ca"])
        );
        assert_eq!(
            ssl_support("postgres", "target"),
            SslSupport::Modes(&["verify-full", "verify-ca", "require"])
        );
        assert_eq!(
            ssl_support("oracle", "source"),
            SslSupport::Modes(&["verify-ca"])
        );
        assert_eq!(
            ssl_support("redshift", "target"),
            SslSupport::RedshiftTarget
        );
        assert_eq!(ssl_support("s3", "target"), SslSupport::NotCovered);
    }
}
