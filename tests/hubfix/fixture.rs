//! What every engine test needs, whatever the service: an API double, a Security Hub double,
//! a recording reporter and a state directory, and a way to run and resume a shipped runbook.

use crate::double::{FakeHub, finding};
use hubfix::actions::Api;
use hubfix::engine::{
    Engine, Event, Journal, PollPolicy, PreviewReport, RecordingReporter, RunOptions, RunReport,
    ScriptedPrompter, Target,
};
use hubfix::findings::Finding;
use hubfix::runbook::{Catalog, Lang, Plan};
use std::path::Path;
use std::time::Duration;

pub fn plan(control: &str) -> Plan {
    let catalog =
        Catalog::load(None, &hubfix::actions::Catalog).expect("the shipped runbooks load");
    catalog.get(control).expect("a shipped runbook").clone()
}

/// What every engine test runs with: English, approved by Taro Yamada, default polling.
pub fn options(state: &Path) -> RunOptions {
    RunOptions {
        lang: Lang::En,
        approver: Some("Taro Yamada".into()),
        poll: PollPolicy::default(),
        state_dir: state.to_path_buf(),
        default_wait_timeout: Duration::from_secs(3600),
        caller: None,
        applying: None,
        deleting: Default::default(),
        session: "s-20261207T0000Z-test".into(),
    }
}

pub struct Fixture<A> {
    pub aws: A,
    pub hub: FakeHub,
    pub reporter: RecordingReporter,
    pub state: tempfile::TempDir,
    pub options: RunOptions,
    pub control: String,
    pub finding: Finding,
}

impl<A: Api> Fixture<A> {
    /// A run of `control` on the resource `finding` names, approved by Taro Yamada.
    pub fn new(aws: A, control: &str, mut finding_of: Finding) -> Self {
        let state = tempfile::tempdir().unwrap();
        finding_of.control = control.into();
        let options = options(state.path());
        Fixture {
            aws,
            hub: FakeHub {
                findings: vec![finding_of.clone()],
                ..Default::default()
            },
            reporter: RecordingReporter::default(),
            state,
            options,
            control: control.into(),
            finding: finding_of,
        }
    }

    pub fn target(&self) -> Target {
        Target {
            control: self.control.clone(),
            resource: self.finding.resource_id.clone(),
            region: Some(self.finding.region.clone()),
            finding: Some(self.finding.clone()),
            also: Vec::new(),
            role: None,
        }
    }

    fn engine(&self) -> Engine<'_> {
        Engine {
            api: &self.aws,
            hub: &self.hub,
            reporter: &self.reporter,
            options: &self.options,
        }
    }

    pub async fn run(&self, prompter: &mut ScriptedPrompter) -> RunReport {
        self.engine()
            .run(&plan(&self.control), &self.target(), prompter)
            .await
            .unwrap()
    }

    /// Walks the plan as `plan --out` does: nothing sent, the plan's answers and state kept.
    pub async fn save_plan(&self, prompter: &mut ScriptedPrompter) -> PreviewReport {
        self.engine()
            .preview_walk(&plan(&self.control), &self.target(), prompter, true)
            .await
    }

    pub async fn resume(&self, run_id: &str, prompter: &mut ScriptedPrompter) -> RunReport {
        let journal = Journal::path_for(self.state.path(), run_id);
        self.engine()
            .resume(&plan(&self.control), &journal, prompter)
            .await
            .unwrap()
    }

    pub fn journal(&self, run_id: &str) -> Vec<Event> {
        Journal::read(&Journal::path_for(self.state.path(), run_id))
            .unwrap()
            .into_iter()
            .map(|r| r.event)
            .collect()
    }

    /// The raw journal text, for checks that something is (or is not) written anywhere in it.
    pub fn journal_text(&self, run_id: &str) -> String {
        std::fs::read_to_string(Journal::path_for(self.state.path(), run_id)).unwrap()
    }

    pub fn said(&self) -> String {
        self.reporter.text()
    }
}

/// A finding of `control` on the resource `arn` of type `resource_type`.
pub fn finding_on(control: &str, resource_type: &str, arn: &str) -> Finding {
    let mut f = finding(control, "x");
    f.resource_type = resource_type.into();
    f.resource_id = arn.into();
    f
}
