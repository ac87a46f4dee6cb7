//! The cluster query language of `memberOf` constraints (ecs-semantics.md §2):
//! `subject operator [argument]` predicates joined by `and`/`&&`, `or`/`||`,
//! negated by `not`/`!`, grouped with parentheses.
//!
//! SIM CHOICES (AWS does not say):
//! - `=~` must match the whole value, like Java's `String.matches`.
//! - `!=`, `not_in`, `!~` hold when the attribute is absent.
//! - `>`, `<`, … compare numerically when both sides are numbers, else as strings;
//!   `agentVersion` compares dotted version numbers, `registeredAt` dates.
//! - `task:group == g` holds when a task of group `g` runs on the instance;
//!   `task:group != g` when none does; `exists` when any task runs there.

mod parse;
mod regex;
#[cfg(test)]
mod tests;

pub use parse::{parse_time, parse_version};
pub use regex::check_java_regex;

use ::regex::Regex;
use std::fmt;

/// What a predicate looks at.
#[derive(Clone, Debug, PartialEq)]
pub enum Subject {
    /// `agentConnected`.
    AgentConnected,
    /// `agentVersion`.
    AgentVersion,
    /// `attribute:<name>`.
    Attribute(String),
    /// `ec2InstanceId`.
    Ec2InstanceId,
    /// `registeredAt`.
    RegisteredAt,
    /// `runningTasksCount`.
    RunningTasksCount,
    /// `task:group`.
    TaskGroup,
}

impl Subject {
    /// True when the subject's value can change while the instance is registered.
    pub fn is_dynamic(&self) -> bool {
        matches!(
            self,
            Subject::AgentConnected | Subject::RunningTasksCount | Subject::TaskGroup
        )
    }
}

/// A comparison operator.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// `==`, `equals`.
    Eq,
    /// `!=`, `not_equals`.
    Ne,
    /// `>`, `greater_than`.
    Gt,
    /// `>=`, `greater_than_equal`.
    Ge,
    /// `<`, `less_than`.
    Lt,
    /// `<=`, `less_than_equal`.
    Le,
    /// `exists`.
    Exists,
    /// `!exists`, `not_exists`.
    NotExists,
    /// `in`.
    In,
    /// `!in`, `not_in`.
    NotIn,
    /// `=~`, `matches`.
    Matches,
    /// `!~`, `not_matches`.
    NotMatches,
}

const OPERATORS: &[(&str, Op)] = &[
    ("!exists", Op::NotExists),
    ("!in", Op::NotIn),
    ("==", Op::Eq),
    ("!=", Op::Ne),
    (">=", Op::Ge),
    ("<=", Op::Le),
    ("=~", Op::Matches),
    ("!~", Op::NotMatches),
    (">", Op::Gt),
    ("<", Op::Lt),
];

const OPERATOR_WORDS: &[(&str, Op)] = &[
    ("equals", Op::Eq),
    ("not_equals", Op::Ne),
    ("greater_than_equal", Op::Ge),
    ("greater_than", Op::Gt),
    ("less_than_equal", Op::Le),
    ("less_than", Op::Lt),
    ("exists", Op::Exists),
    ("not_exists", Op::NotExists),
    ("in", Op::In),
    ("not_in", Op::NotIn),
    ("matches", Op::Matches),
    ("not_matches", Op::NotMatches),
];

/// The value a predicate compares with, parsed for its subject.
#[derive(Clone, Debug)]
pub enum Arg {
    /// No argument (`exists`, `!exists`).
    None,
    /// Strings (attributes, ids, groups); one element unless `in`/`not_in`.
    Strings(Vec<String>),
    /// Whole numbers (`runningTasksCount`).
    Numbers(Vec<i64>),
    /// Dotted versions (`agentVersion`).
    Versions(Vec<Vec<u64>>),
    /// Unix milliseconds (`registeredAt`).
    Times(Vec<i64>),
    /// `true`/`false` (`agentConnected`).
    Bools(Vec<bool>),
    /// A compiled regular expression (`=~`, `!~`).
    Pattern(Regex),
}

/// One `subject operator [argument]`.
#[derive(Clone, Debug)]
pub struct Predicate {
    /// What is looked at.
    pub subject: Subject,
    /// How it is compared.
    pub op: Op,
    /// With what.
    pub arg: Arg,
    /// The predicate's text, for explanations.
    pub text: String,
}

/// A parsed expression.
#[derive(Clone, Debug)]
pub enum Expr {
    /// Both hold.
    And(Box<Expr>, Box<Expr>),
    /// Either holds.
    Or(Box<Expr>, Box<Expr>),
    /// The inner expression does not hold.
    Not(Box<Expr>),
    /// A predicate.
    Pred(Predicate),
}

/// A parse error: where in the expression (1-based column) and what was expected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryError {
    /// 1-based column in the expression.
    pub column: usize,
    /// What went wrong.
    pub message: String,
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column {}: {}", self.column, self.message)
    }
}

/// What a predicate can ask of a container instance.
pub trait Target {
    /// `attribute:<name>`.
    fn attribute(&self, name: &str) -> Option<&str>;
    /// `ec2InstanceId`.
    fn ec2_instance_id(&self) -> &str;
    /// `agentVersion`.
    fn agent_version(&self) -> &str;
    /// `agentConnected`.
    fn agent_connected(&self) -> bool;
    /// `registeredAt`, Unix milliseconds.
    fn registered_at_ms(&self) -> i64;
    /// `runningTasksCount`.
    fn running_tasks_count(&self) -> u32;
    /// Whether any task running on the instance has a group satisfying `f`.
    fn any_group(&self, f: &mut dyn FnMut(&str) -> bool) -> bool;
}

impl Expr {
    /// Parses an expression.
    pub fn parse(text: &str) -> Result<Expr, QueryError> {
        parse::expression(text)
    }

    /// True when the expression only reads values that never change while an instance
    /// is registered (attributes, ids, versions, registration time).
    pub fn is_static(&self) -> bool {
        match self {
            Expr::And(a, b) | Expr::Or(a, b) => a.is_static() && b.is_static(),
            Expr::Not(a) => a.is_static(),
            Expr::Pred(p) => !p.subject.is_dynamic(),
        }
    }

    /// Evaluates the expression on one instance.
    pub fn eval(&self, t: &dyn Target) -> bool {
        match self {
            Expr::And(a, b) => a.eval(t) && b.eval(t),
            Expr::Or(a, b) => a.eval(t) || b.eval(t),
            Expr::Not(a) => !a.eval(t),
            Expr::Pred(p) => p.eval(t),
        }
    }

    /// The first predicate (in reading order) that makes the expression false, for
    /// explanations; `None` when the expression holds.
    pub fn failing_clause(&self, t: &dyn Target) -> Option<String> {
        if self.eval(t) {
            return None;
        }
        Some(match self {
            Expr::And(a, b) => a.failing_clause(t).or_else(|| b.failing_clause(t)).unwrap_or_default(),
            Expr::Or(..) | Expr::Not(_) => self.to_string(),
            Expr::Pred(p) => p.text.clone(),
        })
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::And(a, b) => write!(f, "({a} and {b})"),
            Expr::Or(a, b) => write!(f, "({a} or {b})"),
            Expr::Not(a) => write!(f, "not({a})"),
            Expr::Pred(p) => f.write_str(&p.text),
        }
    }
}

fn compare_strings(a: &str, b: &str) -> std::cmp::Ordering {
    match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => x.partial_cmp(&y).unwrap_or(std::cmp::Ordering::Equal),
        _ => a.cmp(b),
    }
}

fn ordering_holds(op: Op, ord: std::cmp::Ordering) -> bool {
    use std::cmp::Ordering::*;
    match op {
        Op::Eq | Op::In => ord == Equal,
        Op::Ne | Op::NotIn => ord != Equal,
        Op::Gt => ord == Greater,
        Op::Ge => ord != Less,
        Op::Lt => ord == Less,
        Op::Le => ord != Greater,
        _ => false,
    }
}

impl Predicate {
    fn eval(&self, t: &dyn Target) -> bool {
        match &self.subject {
            Subject::TaskGroup => self.eval_groups(t),
            Subject::Attribute(name) => self.eval_str(t.attribute(name)),
            Subject::Ec2InstanceId => self.eval_str(Some(t.ec2_instance_id())),
            Subject::AgentVersion => {
                let v = parse_version(t.agent_version()).unwrap_or_default();
                self.eval_ord(&v, |arg| match arg {
                    Arg::Versions(vs) => Some(vs.as_slice()),
                    _ => None,
                })
            }
            Subject::RegisteredAt => self.eval_ord(&t.registered_at_ms(), |arg| match arg {
                Arg::Times(ts) => Some(ts.as_slice()),
                _ => None,
            }),
            Subject::RunningTasksCount => self.eval_ord(&(t.running_tasks_count() as i64), |arg| match arg {
                Arg::Numbers(ns) => Some(ns.as_slice()),
                _ => None,
            }),
            Subject::AgentConnected => self.eval_ord(&t.agent_connected(), |arg| match arg {
                Arg::Bools(bs) => Some(bs.as_slice()),
                _ => None,
            }),
        }
    }

    /// Ordered subjects always have a value (`exists` is then true): `value` against
    /// the argument's values of its kind (`values` picks them; none of another kind).
    fn eval_ord<T: Ord>(&self, value: &T, values: impl Fn(&Arg) -> Option<&[T]>) -> bool {
        let args = values(&self.arg).unwrap_or(&[]);
        match self.op {
            Op::Exists => true,
            Op::NotExists => false,
            Op::In => args.contains(value),
            Op::NotIn => !args.contains(value),
            op => args.first().is_some_and(|x| ordering_holds(op, value.cmp(x))),
        }
    }

    fn eval_str(&self, value: Option<&str>) -> bool {
        let Some(v) = value else {
            return matches!(self.op, Op::Ne | Op::NotExists | Op::NotIn | Op::NotMatches);
        };
        match (&self.op, &self.arg) {
            (Op::Exists, _) => true,
            (Op::NotExists, _) => false,
            (Op::Matches, Arg::Pattern(re)) => re.is_match(v),
            (Op::NotMatches, Arg::Pattern(re)) => !re.is_match(v),
            (Op::In, Arg::Strings(xs)) => xs.iter().any(|x| x == v),
            (Op::NotIn, Arg::Strings(xs)) => !xs.iter().any(|x| x == v),
            (op, Arg::Strings(xs)) => xs.first().is_some_and(|x| ordering_holds(*op, compare_strings(v, x))),
            _ => false,
        }
    }

    fn eval_groups(&self, t: &dyn Target) -> bool {
        match (&self.op, &self.arg) {
            (Op::Exists, _) => t.any_group(&mut |_| true),
            (Op::NotExists, _) => !t.any_group(&mut |_| true),
            (Op::Eq, Arg::Strings(xs)) | (Op::In, Arg::Strings(xs)) => t.any_group(&mut |g| xs.iter().any(|x| x == g)),
            (Op::Ne, Arg::Strings(xs)) | (Op::NotIn, Arg::Strings(xs)) => {
                !t.any_group(&mut |g| xs.iter().any(|x| x == g))
            }
            (Op::Matches, Arg::Pattern(re)) => t.any_group(&mut |g| re.is_match(g)),
            (Op::NotMatches, Arg::Pattern(re)) => !t.any_group(&mut |g| re.is_match(g)),
            (op, Arg::Strings(xs)) => {
                t.any_group(&mut |g| xs.first().is_some_and(|x| ordering_holds(*op, compare_strings(g, x))))
            }
            _ => false,
        }
    }
}
