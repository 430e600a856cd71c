//! What the runs of one session do to resources besides the one each fixes, so that they do
//! not collide. A runbook says where, in what its run has read, are the ARNs it may delete
//! and the ARNs it may change, move or restart (`footprint:`); once a run's questions are
//! answered its footprint is known. Then:
//! - a question of a later run does not offer a resource an earlier run will delete (a DMS.9
//!   connection test from the DMS instance DMS.1 is about to delete);
//! - runs whose footprints share a resource go one after another, the ones that delete last:
//!   a run that deletes and recreates resources changes the identifiers every other run read.

use super::context::Target;
use crate::findings::resource_name;
use crate::runbook::Plan;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

/// The resources one run may delete, and every resource it may touch (its own included).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Footprint {
    pub deletes: BTreeSet<String>,
    pub touches: BTreeSet<String>,
}

fn arns_under(value: &Value, into: &mut BTreeSet<String>) {
    match value {
        Value::String(s) if s.starts_with("arn:") => {
            into.insert(s.clone());
        }
        Value::Array(items) => items.iter().for_each(|v| arns_under(v, into)),
        Value::Object(map) => map.values().for_each(|v| arns_under(v, into)),
        _ => {}
    }
}

impl Footprint {
    /// The footprint of a run of `plan` on `target`, from what it has read (`context`).
    pub fn of(plan: &Plan, target: &Target, context: &Value) -> Footprint {
        let mut deletes = BTreeSet::new();
        for path in &plan.footprint.deletes {
            if let Some(found) = path.lookup(context) {
                arns_under(found, &mut deletes);
            }
        }
        let mut touches = deletes.clone();
        touches.insert(target.resource.clone());
        for path in &plan.footprint.changes {
            if let Some(found) = path.lookup(context) {
                arns_under(found, &mut touches);
            }
        }
        Footprint { deletes, touches }
    }

    /// The resources both runs touch, by name.
    pub fn shared_with(&self, other: &Footprint) -> Vec<String> {
        self.touches
            .intersection(&other.touches)
            .map(|arn| resource_name(arn).to_owned())
            .collect()
    }
}

/// The resources runs of this session will delete, and which run ("DMS.1 demo-public-dms").
#[derive(Debug, Clone, Default)]
pub struct Deleting(Arc<Mutex<BTreeMap<String, String>>>);

impl Deleting {
    pub fn add(&self, footprint: &Footprint, by: &str) {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        for arn in &footprint.deletes {
            map.entry(arn.clone()).or_insert_with(|| by.to_owned());
        }
    }

    /// The run that will delete this resource, if one will.
    pub fn by(&self, arn: &str) -> Option<String> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(arn)
            .cloned()
    }
}

/// The order runs go in, and for each (in that order) the earlier runs it waits for: the
/// runs that delete go after the others, and a run waits for every earlier run it shares a
/// resource with. Runs that share nothing wait for nothing.
pub fn order(footprints: &[Footprint]) -> (Vec<usize>, Vec<Vec<usize>>) {
    let mut order: Vec<usize> = (0..footprints.len()).collect();
    order.sort_by_key(|&i| !footprints[i].deletes.is_empty());
    let waits = order
        .iter()
        .enumerate()
        .map(|(position, &i)| {
            order[..position]
                .iter()
                .enumerate()
                .filter(|(_, j)| !footprints[i].shared_with(&footprints[**j]).is_empty())
                .map(|(earlier, _)| earlier)
                .collect()
        })
        .collect();
    (order, waits)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn footprint(deletes: &[&str], touches: &[&str]) -> Footprint {
        let deletes: BTreeSet<String> = deletes.iter().map(|s| s.to_string()).collect();
        let mut all = deletes.clone();
        all.extend(touches.iter().map(|s| s.to_string()));
        Footprint {
            deletes,
            touches: all,
        }
    }

    #[test]
    fn runs_that_share_a_resource_go_one_after_another_the_deleting_one_last() {
        let dms1 = footprint(&["arn:aws:dms:r:1:rep:I"], &["arn:aws:dms:r:1:task:T"]);
        let dms9 = footprint(
            &[],
            &["arn:aws:dms:r:1:endpoint:E", "arn:aws:dms:r:1:task:T"],
        );
        let other = footprint(&[], &["arn:aws:redshift:r:1:cluster:c"]);
        let (order, waits) = order(&[dms1.clone(), dms9.clone(), other]);
        // DMS.9 first, the cluster beside it, DMS.1 after DMS.9.
        assert_eq!(order, [1, 2, 0]);
        assert_eq!(waits, [vec![], vec![], vec![0]]);
        assert_eq!(dms1.shared_with(&dms9), ["T"]);
    }

    #[test]
    fn every_arn_under_a_path_counts() {
        let mut found = BTreeSet::new();
        arns_under(
            &serde_json::json!({"Arns": ["arn:a", "x"], "Tasks": [{"Source": "arn:b", "n": 1}]}),
            &mut found,
        );
        assert_eq!(found.into_iter().collect::<Vec<_>>(), ["arn:a", "arn:b"]);
    }
}
