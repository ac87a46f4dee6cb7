//! Registered task definitions: revisions by family, and the references RunTask and
//! CreateService accept (`family`, `family:revision`, or a task-definition ARN).

use crate::ecs::task_definition::TaskDefinition;
use std::collections::BTreeMap;

/// Index of a registered task definition revision.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TaskDefId(pub u32);

/// All registered revisions.
#[derive(Clone, Debug, Default)]
pub struct TaskDefinitions {
    defs: Vec<TaskDefinition>,
    by_family: BTreeMap<String, Vec<TaskDefId>>,
}

impl TaskDefinitions {
    /// The next revision number of `family`: one above its latest.
    pub fn next_revision(&self, family: &str) -> u32 {
        self.by_family
            .get(family)
            .and_then(|revs| revs.last())
            .map_or(0, |id| self.get(*id).revision)
            + 1
    }

    /// Adds a revision (its number at least [`next_revision`](Self::next_revision):
    /// a pasted `describe-task-definition` output keeps its own).
    pub fn add(&mut self, td: TaskDefinition) -> TaskDefId {
        debug_assert!(td.revision >= self.next_revision(&td.family));
        let id = TaskDefId(self.defs.len() as u32);
        self.by_family.entry(td.family.clone()).or_default().push(id);
        self.defs.push(td);
        id
    }

    /// A revision.
    pub fn get(&self, id: TaskDefId) -> &TaskDefinition {
        &self.defs[id.0 as usize]
    }

    /// Resolves `family`, `family:revision` or an ARN ending in `task-definition/family:revision`.
    pub fn resolve(&self, reference: &str) -> Result<TaskDefId, String> {
        let name = reference.rsplit_once("task-definition/").map_or(reference, |(_, n)| n);
        let (family, revision) = match name.rsplit_once(':') {
            Some((f, r)) => match r.parse::<u32>() {
                Ok(r) => (f, Some(r)),
                Err(_) => {
                    return Err(format!(
                        "`{reference}` is not a task definition reference: use family, family:revision or an ARN"
                    ));
                }
            },
            None => (name, None),
        };
        let Some(revs) = self.by_family.get(family) else {
            let known: Vec<&str> = self.by_family.keys().map(String::as_str).collect();
            return Err(format!(
                "task definition `{reference}` is not registered (registered families: {})",
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            ));
        };
        match revision {
            None => Ok(*revs.last().expect("a family has a revision")),
            Some(r) => revs
                .binary_search_by_key(&r, |id| self.get(*id).revision)
                .map(|i| revs[i])
                .map_err(|_| {
                    let known: Vec<u32> = revs.iter().map(|id| self.get(*id).revision).collect();
                    let (first, last) = (known[0], known[known.len() - 1]);
                    let listed = if (last - first) as usize + 1 == known.len() && first != last {
                        format!("{first}–{last}")
                    } else {
                        known.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")
                    };
                    format!("`{family}` has revisions {listed}, not {r}")
                }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ecs::task_definition::{RegisterTaskDefinition, register};
    use crate::error::Report;

    fn td(family: &str, rev: u32) -> TaskDefinition {
        let body: RegisterTaskDefinition = serde_json::from_value(serde_json::json!({
            "family": family, "containerDefinitions": [{"name": "a", "image": "x", "memory": 64}]
        }))
        .unwrap();
        register(&body, rev, "td", &mut Report::new("t")).unwrap()
    }

    #[test]
    fn references_resolve_like_ecs() {
        let mut r = TaskDefinitions::default();
        let a1 = r.add(td("web", 1));
        let a2 = r.add(td("web", 2));
        assert_eq!(r.resolve("web"), Ok(a2));
        assert_eq!(r.resolve("web:1"), Ok(a1));
        assert_eq!(
            r.resolve("arn:aws:ecs:us-east-1:123456789012:task-definition/web:2"),
            Ok(a2)
        );
        assert!(r.resolve("web:3").unwrap_err().contains("revisions 1–2"));
        assert!(r.resolve("api").unwrap_err().contains("registered families: web"));
        assert!(r.resolve("web:x").is_err());
        assert_eq!(r.next_revision("web"), 3);
        let a9 = r.add(td("web", 9));
        assert_eq!(r.resolve("web:9"), Ok(a9));
        assert_eq!(r.resolve("web"), Ok(a9));
        assert!(r.resolve("web:5").unwrap_err().contains("revisions 1, 2, 9"));
        assert_eq!(r.next_revision("web"), 10);
    }
}
