//! Placement constraints, compiled: `distinctInstance`, and `memberOf` with a parsed
//! cluster-query-language expression.

use crate::ecs::cluster::{Cluster, GroupId, InstanceId};
use crate::ecs::query::{Expr, QueryError, Target};
use crate::ecs::strategy::{MAX_EXPRESSION_LEN, PlacementConstraint};
use std::sync::Arc;

/// A constraint ready to evaluate.
#[derive(Clone, Debug)]
pub enum Constraint {
    /// No two tasks of the group on one instance.
    DistinctInstance,
    /// Only instances where the expression holds.
    MemberOf {
        /// The parsed expression.
        expr: Arc<Expr>,
        /// Its text.
        text: String,
        /// An attribute the task definition requires (its `runtimePlatform`), not a
        /// memberOf the user wrote: fails with `ATTRIBUTE`.
        required: bool,
    },
}

impl Constraint {
    /// Compiles an API constraint; the error says where the expression is wrong.
    pub fn compile(c: &PlacementConstraint) -> Result<Constraint, String> {
        match c {
            PlacementConstraint::DistinctInstance {} => Ok(Constraint::DistinctInstance),
            PlacementConstraint::MemberOf { expression } => {
                if expression.chars().count() > MAX_EXPRESSION_LEN {
                    return Err(format!(
                        "the expression has {} characters: a memberOf expression can have a maximum length of {MAX_EXPRESSION_LEN} characters",
                        expression.chars().count()
                    ));
                }
                let expr = Expr::parse(expression).map_err(|QueryError { column, message }| {
                    format!("invalid expression at column {column}: {message}")
                })?;
                Ok(Constraint::MemberOf {
                    expr: Arc::new(expr),
                    text: expression.clone(),
                    required: false,
                })
            }
        }
    }

    /// The attribute `name` = `value` a task definition requires (ECS's
    /// `requiresAttributes`, from its `runtimePlatform`).
    pub fn requires_attribute(name: &str, value: &str) -> Constraint {
        let text = format!("attribute:{name} == {value}");
        let expr = Expr::parse(&text).expect("an attribute equality parses");
        Constraint::MemberOf {
            expr: Arc::new(expr),
            text,
            required: true,
        }
    }

    /// An attribute the task definition's `runtimePlatform` requires, not a constraint
    /// the user wrote (it counts toward no limit).
    pub fn is_required(&self) -> bool {
        matches!(self, Constraint::MemberOf { required: true, .. })
    }

    /// True when the result for an instance never changes while it is registered.
    pub fn is_static(&self) -> bool {
        match self {
            Constraint::DistinctInstance => false,
            Constraint::MemberOf { expr, .. } => expr.is_static(),
        }
    }

    /// Whether instance `id` satisfies the constraint for a task of `group`.
    pub fn holds(&self, cluster: &Cluster, id: InstanceId, group: GroupId) -> bool {
        match self {
            Constraint::DistinctInstance => cluster.group_count_on(group, id) == 0,
            Constraint::MemberOf { expr, .. } => expr.eval(&InstanceTarget {
                cluster,
                id,
                without: None,
            }),
        }
    }

    /// Whether instance `id` satisfies the constraint for a task of `group` with the
    /// group's own tasks there left out: whether the instance is one a DAEMON service
    /// of `group` covers (its own task never makes its instance ineligible — SIM
    /// CHOICE: ECS does not say how a daemon's constraints read its own tasks).
    pub fn holds_without_own(&self, cluster: &Cluster, id: InstanceId, group: GroupId) -> bool {
        match self {
            Constraint::DistinctInstance => true,
            Constraint::MemberOf { expr, .. } => expr.eval(&InstanceTarget {
                cluster,
                id,
                without: Some(group),
            }),
        }
    }

    /// Why the constraint fails on `id` (the failing clause), for explanations.
    pub fn why_not(&self, cluster: &Cluster, id: InstanceId, group: GroupId) -> Option<String> {
        match self {
            Constraint::DistinctInstance => (cluster.group_count_on(group, id) > 0).then(|| {
                format!(
                    "distinctInstance: a task of {} already runs here",
                    cluster.group_name(group)
                )
            }),
            Constraint::MemberOf { expr, .. } => expr
                .failing_clause(&InstanceTarget {
                    cluster,
                    id,
                    without: None,
                })
                .map(|c| format!("memberOf: `{c}` is false")),
        }
    }

    /// The RunTask failure reason when this constraint removes the last candidates.
    pub fn reason(&self) -> crate::ecs::failure::Failure {
        match self {
            Constraint::DistinctInstance => crate::ecs::failure::Failure::DistinctInstance,
            Constraint::MemberOf { required: true, .. } => crate::ecs::failure::Failure::Attribute,
            Constraint::MemberOf { .. } => crate::ecs::failure::Failure::MemberOf,
        }
    }

    /// A short label, e.g. `distinctInstance` or `memberOf(attribute:x == y)`.
    pub fn label(&self) -> String {
        match self {
            Constraint::DistinctInstance => "distinctInstance".into(),
            Constraint::MemberOf {
                text, required: true, ..
            } => format!("requiresAttributes({text})"),
            Constraint::MemberOf { text, .. } => format!("memberOf({text})"),
        }
    }
}

/// A container instance seen through the query language.
pub struct InstanceTarget<'a> {
    /// The cluster.
    pub cluster: &'a Cluster,
    /// The instance.
    pub id: InstanceId,
    /// A task group whose tasks are left out of `task:group` and `runningTasksCount`.
    pub without: Option<GroupId>,
}

impl Target for InstanceTarget<'_> {
    fn attribute(&self, name: &str) -> Option<&str> {
        self.cluster.attribute_str(self.id, name)
    }
    fn ec2_instance_id(&self) -> &str {
        &self.cluster.instance(self.id).spec.ec2_instance_id
    }
    fn agent_version(&self) -> &str {
        &self.cluster.instance(self.id).spec.agent_version
    }
    fn agent_connected(&self) -> bool {
        self.cluster.agent_connected(self.id)
    }
    fn registered_at_ms(&self) -> i64 {
        self.cluster.instance(self.id).spec.registered_at_unix_ms
    }
    fn running_tasks_count(&self) -> u32 {
        let own = self.without.map_or(0, |g| self.cluster.group_count_on(g, self.id));
        self.cluster.running_tasks(self.id) - own
    }
    fn any_group(&self, f: &mut dyn FnMut(&str) -> bool) -> bool {
        self.cluster
            .groups_on(self.id)
            .iter()
            .filter(|(g, _)| Some(*g) != self.without)
            .any(|(g, _)| f(self.cluster.group_name(*g)))
    }
}
