//! The raw runbook model: exactly what the YAML may contain, read with serde
//! (`deny_unknown_fields`, externally tagged steps) so every error keeps its location.
//! [`super::plan`] turns it into an executable plan.

use super::text::Text;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;
use serde_saphyr::Spanned;
use std::collections::BTreeMap;

/// A remediation runbook for one Security Hub control.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRunbook {
    /// The Security Hub control id, e.g. `Redshift.7`.
    #[schemars(with = "String")]
    pub control: Spanned<String>,
    /// The control's title.
    pub title: Text,
    /// The control's severity label (LOW, MEDIUM, HIGH, CRITICAL).
    pub severity: String,
    /// The Security Hub resource type the control checks, e.g. `AwsRedshiftCluster`.
    pub resource_type: String,
    /// Where the resource's own name is read once a step has described it, e.g.
    /// `steps.endpoint.EndpointIdentifier` (a DMS ARN does not contain it). Answers files may
    /// then key the resource by that name too.
    #[serde(default)]
    pub resource_name: Option<String>,
    /// What a run may do to resources other than the one it fixes, so that runs of one
    /// session do not collide: `steps.` paths (no braces) to the ARNs it may delete, and to
    /// the ARNs it may change, move or restart. Every ARN found under a path counts.
    #[serde(default)]
    pub footprint: Option<RawFootprint>,
    /// The steps, walked in order unless a step says `next` or a branch matches.
    #[schemars(with = "Vec<RawStep>")]
    pub steps: Vec<Spanned<RawStep>>,
}

/// What a run may delete or change besides its own resource.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawFootprint {
    /// Paths to the ARNs the run may delete (its own resource included, if so).
    #[serde(default)]
    pub deletes: Vec<String>,
    /// Paths to the ARNs the run may change, move or restart.
    #[serde(default)]
    pub changes: Vec<String>,
}

/// One step; the key names its kind.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum RawStep {
    /// Ask the operator (or the answers file) a question.
    Prompt(RawPrompt),
    /// Call an AWS API operation (see `hubfix schema` for the catalog of calls).
    Action(RawAction),
    /// Poll a describe call until the resource is ready again, with live status.
    Wait(RawWait),
    /// Check a condition, optionally on a fresh describe; fails the step when false.
    Assert(RawAssert),
    /// Show a text.
    Note(RawNote),
    /// Mark the finding SUPPRESSED with a signed-off note and a review date.
    Suppress(RawSuppress),
    /// Mark the finding RESOLVED with a note saying what was changed.
    Resolve(RawFindingUpdate),
    /// Stop the run with an outcome.
    End(RawEnd),
}

/// A conditional jump taken after a step ran.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawBranch {
    /// Condition over the run context.
    #[schemars(with = "String")]
    pub when: Spanned<String>,
    /// The step to go to when the condition holds.
    #[schemars(with = "String")]
    pub next: Spanned<String>,
}

/// What happens when a step fails.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum RawOnFailure {
    /// Stop the run (exit 1). The default.
    Abort,
    /// Record the failure and go on with the next step.
    Continue,
    /// Go to another step.
    Goto(#[schemars(with = "String")] Spanned<String>),
}

macro_rules! step_struct {
    ($(#[$meta:meta])* $name:ident { $($(#[$fmeta:meta])* $field:ident : $ty:ty,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Deserialize, JsonSchema)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            /// Unique, stable id (answers files and journals use it).
            #[schemars(with = "String")]
            pub id: Spanned<String>,
            /// Run the step only when this condition holds; otherwise go on to the next.
            #[serde(default)]
            #[schemars(with = "Option<String>")]
            pub when: Option<Spanned<String>>,
            /// The step to go to afterwards (default: the next one in the file).
            #[serde(default)]
            #[schemars(with = "Option<String>")]
            pub next: Option<Spanned<String>>,
            /// Jumps checked in order after the step ran; the first that holds wins.
            #[serde(default)]
            pub branches: Vec<RawBranch>,
            /// What to do when the step fails (default: abort).
            #[serde(default)]
            pub on_failure: Option<RawOnFailure>,
            /// Longest time the step may take, e.g. `90s`, `30m`, `1h`: more than 0, at most
            /// `24h`.
            #[serde(default)]
            #[schemars(with = "Option<String>")]
            pub timeout: Option<Spanned<String>>,
            $($(#[$fmeta])* pub $field: $ty,)*
        }
    };
}

/// One option of a `select` prompt.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawOption {
    /// The value recorded as the answer.
    pub value: String,
    /// What the operator sees.
    pub label: Text,
}

/// The kinds of prompt.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RawPromptKind {
    Confirm,
    Select,
    Input,
    Secret,
}

step_struct!(
    /// A question to the operator.
    RawPrompt {
        /// confirm (yes/no), select (one of `options`), input (text), secret (never shown).
        kind: RawPromptKind,
        /// The question.
        text: Text,
        /// Choices of a select prompt.
        #[serde(default)]
        options: Vec<RawOption>,
        /// Choices read from the context when the prompt is asked, offered before `options`:
        /// a path to a list of texts or of `{value, label}` objects (e.g. a call's output).
        #[serde(default)]
        options_from: Option<String>,
        /// For an input prompt: a check the answer must pass before the run goes on, by
        /// name (`note_text`, `pem_certificate_file`).
        #[serde(default)]
        validate: Option<String>,
        /// Default answer offered on a terminal (never used for answers files); a text
        /// default may hold `{{ templates }}`.
        #[serde(default)]
        default: Option<Value>,
        /// For a secret: the rules its value must meet, checked before any call.
        #[serde(default)]
        rules: Option<super::secret_rules::RawSecretRules>,
        /// For a secret with rules: offer to generate a random value of this length (16 to
        /// 128, within the rules) and save it to a new file readable only by its owner (mode
        /// 0600).
        #[serde(default)]
        generate: Option<usize>,
    }
);

step_struct!(
    /// An AWS API call.
    RawAction {
        /// The call, `service.operation` from the action catalog.
        #[schemars(with = "String")]
        call: Spanned<String>,
        /// Parameters, with `{{ templates }}`.
        #[serde(default)]
        params: BTreeMap<String, Value>,
        /// For a mutating call: the confirm prompt whose yes allows it.
        #[serde(default)]
        #[schemars(with = "Option<String>")]
        approved_by: Option<Spanned<String>>,
        /// What the call is for, shown to the operator.
        #[serde(default)]
        text: Option<Text>,
        /// Send the call once per item of this list (a path, e.g. `steps.tasks.RunningArns`):
        /// one AWS request each, each shown and journaled. `{{ item }}` is the item, and the
        /// step's output is a list of `{input: item, output: the call's output}`.
        #[serde(default)]
        #[schemars(with = "Option<String>")]
        for_each: Option<Spanned<String>>,
        /// With `for_each`: only the items for which this condition holds (`item.*`).
        #[serde(default, rename = "where")]
        #[schemars(with = "Option<String>")]
        where_: Option<Spanned<String>>,
    }
);

step_struct!(
    /// Poll a describe call until the resource is ready.
    RawWait {
        /// The describe call to poll.
        #[schemars(with = "String")]
        call: Spanned<String>,
        /// Its parameters.
        #[serde(default)]
        params: BTreeMap<String, Value>,
        /// Path of the status field in the call's output, e.g. `ClusterStatus`.
        status: String,
        /// Statuses that mean ready.
        #[serde(default)]
        ready: Vec<String>,
        /// Statuses that mean the change failed.
        #[serde(default)]
        failed: Vec<String>,
        /// Path of the pending-changes field; non-empty means a change is still applying.
        #[serde(default)]
        pending: Option<String>,
        /// Extra condition on `output` that must also hold before the wait is over.
        #[serde(default)]
        #[schemars(with = "Option<String>")]
        until: Option<Spanned<String>>,
        /// Waiting for a deletion: the wait is over when the call answers that the resource
        /// does not exist (any other status only means it is not gone yet).
        #[serde(default)]
        gone_is_ready: bool,
        /// What is being waited for.
        text: Text,
    }
);

step_struct!(
    /// Verify a condition.
    RawAssert {
        /// Optional describe call whose result is `output` in the condition.
        #[serde(default)]
        #[schemars(with = "Option<String>")]
        call: Option<Spanned<String>>,
        /// Its parameters.
        #[serde(default)]
        params: BTreeMap<String, Value>,
        /// The condition that must hold.
        #[schemars(with = "String")]
        that: Spanned<String>,
        /// What is verified.
        text: Text,
    }
);

step_struct!(
    /// A text for the operator.
    RawNote {
        text: Text,
    }
);

step_struct!(
    /// Suppress the run's finding: an exception signed off until a review date.
    RawSuppress {
        /// The confirm prompt whose yes allows the suppression.
        #[schemars(with = "String")]
        approved_by: Spanned<String>,
        /// The note (at most 512 characters after rendering; approver, date and review date
        /// are added).
        note: Text,
        /// The review date offered by default, in days from the day of the suppression (1
        /// to 1095): the operator may give another date, never one in the past.
        #[schemars(with = "u32", range(min = 1, max = 1095))]
        review_days: Spanned<i64>,
    }
);

step_struct!(
    /// A Security Hub workflow update of the run's finding.
    RawFindingUpdate {
        /// The confirm prompt whose yes allows the update.
        #[schemars(with = "String")]
        approved_by: Spanned<String>,
        /// The note (at most 512 characters after rendering; approver and date are added).
        note: Text,
    }
);

/// How a run ends.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RawOutcome {
    /// The resource already passes the control (exit 0).
    Compliant,
    /// The stakeholder signed off; the finding was suppressed (exit 0).
    Suppressed,
    /// The resource was fixed and verified (exit 0).
    Fixed,
    /// Stopped by the operator's answer; tells what to do next (exit 3).
    Stopped,
    /// The control cannot be fixed here (exit 1).
    Failed,
}

step_struct!(
    /// The end of a run.
    RawEnd {
        outcome: RawOutcome,
        text: Text,
        /// For a `failed` end: the step `hubfix resume` goes on from, run again whole even
        /// if it ran before (e.g. a test to repeat once the cause is fixed). Without it a
        /// failed end is final.
        #[serde(default)]
        #[schemars(with = "Option<String>")]
        resume_at: Option<Spanned<String>>,
    }
);
