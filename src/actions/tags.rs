//! What a resource's tags tell a runbook beyond themselves: the CloudFormation stack that
//! manages it. AWS tags every resource a stack creates with `aws:cloudformation:stack-name`,
//! and the stack's next update sets the resource back to its template, so a runbook warns
//! before changing such a resource and names the stack.

use serde_json::Value;

/// The tag AWS puts on every resource a CloudFormation stack creates.
pub const STACK_TAG: &str = "aws:cloudformation:stack-name";

/// The name of the stack that manages the resource with these `(key, value)` tags, or
/// `null` when no stack does.
pub fn cloudformation_stack<'a>(
    tags: impl IntoIterator<Item = (Option<&'a str>, Option<&'a str>)>,
) -> Value {
    tags.into_iter()
        .find(|(key, _)| *key == Some(STACK_TAG))
        .and_then(|(_, value)| value.filter(|v| !v.is_empty()))
        .map_or(Value::Null, |v| Value::String(v.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_stack_only_from_its_own_tag() {
        let tags = [
            (Some("owner"), Some("data")),
            (Some(STACK_TAG), Some("etl-prod")),
        ];
        assert_eq!(cloudformation_stack(tags), "etl-prod");
        let others = [
            (Some("aws:cloudformation:logical-id"), Some("Cluster")),
            (Some("stack-name"), Some("x")),
        ];
        assert_eq!(cloudformation_stack(others), Value::Null);
        assert_eq!(
            cloudformation_stack([(Some(STACK_TAG), Some(""))]),
            Value::Null
        );
    }
}
