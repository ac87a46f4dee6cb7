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

use regex::Regex;
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
        let mut p = Parser { src: text, pos: 0 };
        p.skip_ws();
        if p.at_end() {
            return Err(p.error("expected an expression such as `attribute:ecs.instance-type == m5.large`"));
        }
        let e = p.parse_or()?;
        p.skip_ws();
        if !p.at_end() {
            return Err(p.error("expected `and`, `or` or the end of the expression"));
        }
        Ok(e)
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
                self.eval_ord(|arg| match arg {
                    Arg::Versions(vs) => vs.iter().map(|x| v.cmp(x)).collect(),
                    _ => vec![],
                })
            }
            Subject::RegisteredAt => {
                let at = t.registered_at_ms();
                self.eval_ord(|arg| match arg {
                    Arg::Times(ts) => ts.iter().map(|x| at.cmp(x)).collect(),
                    _ => vec![],
                })
            }
            Subject::RunningTasksCount => {
                let n = t.running_tasks_count() as i64;
                self.eval_ord(|arg| match arg {
                    Arg::Numbers(ns) => ns.iter().map(|x| n.cmp(x)).collect(),
                    _ => vec![],
                })
            }
            Subject::AgentConnected => {
                let c = t.agent_connected();
                self.eval_ord(|arg| match arg {
                    Arg::Bools(bs) => bs.iter().map(|x| c.cmp(x)).collect(),
                    _ => vec![],
                })
            }
        }
    }

    /// Ordered subjects always have a value; `exists` is then true.
    fn eval_ord(&self, cmp: impl Fn(&Arg) -> Vec<std::cmp::Ordering>) -> bool {
        match self.op {
            Op::Exists => true,
            Op::NotExists => false,
            Op::In => cmp(&self.arg).iter().any(|o| o.is_eq()),
            Op::NotIn => !cmp(&self.arg).iter().any(|o| o.is_eq()),
            op => cmp(&self.arg).first().is_some_and(|o| ordering_holds(op, *o)),
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

/// Parses `1.14.5` (an optional leading `v` is ignored).
pub fn parse_version(s: &str) -> Option<Vec<u64>> {
    let s = s.trim().trim_start_matches('v');
    s.split('.').map(|p| p.parse::<u64>().ok()).collect()
}

/// Parses `2018-02-13` or an RFC 3339 time into Unix milliseconds.
pub fn parse_time(s: &str) -> Option<i64> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp_millis());
    }
    let d = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    Some(d.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis())
}

/// Rejects the Java regular-expression constructs Rust's regex crate lacks, so that
/// such a pattern is an error rather than a silent mismatch.
pub fn check_java_regex(pattern: &str) -> Result<(), String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut i = 0;
    let mut in_class = false;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '\\' {
            match next {
                Some(d @ '1'..='9') if !in_class => {
                    return Err(format!(
                        "back-reference `\\{d}` is not supported (Rust's regex crate has no back-references)"
                    ));
                }
                Some('k') if chars.get(i + 2) == Some(&'<') => {
                    return Err("named back-reference `\\k<…>` is not supported".into());
                }
                Some('Q') => {
                    return Err("quoting with `\\Q…\\E` is not supported: escape each character instead".into());
                }
                Some('G') => return Err("`\\G` is not supported".into()),
                Some('Z') => return Err("`\\Z` is not supported: use `$`".into()),
                _ => {}
            }
            i += 2;
            continue;
        }
        if in_class {
            if c == ']' {
                in_class = false;
            }
            i += 1;
            continue;
        }
        match c {
            '[' => in_class = true,
            '(' if next == Some('?') => {
                let rest: String = chars[i + 2..].iter().take(3).collect();
                if rest.starts_with('=') || rest.starts_with('!') || rest.starts_with("<=") || rest.starts_with("<!") {
                    return Err("look-around `(?=`, `(?!`, `(?<=`, `(?<!` is not supported (Rust's regex crate has no look-around)".into());
                }
                if rest.starts_with('>') {
                    return Err("atomic group `(?>…)` is not supported".into());
                }
            }
            '*' | '+' | '?' | '}' if next == Some('+') => {
                return Err(format!("possessive quantifier `{c}+` is not supported"));
            }
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

struct Parser<'a> {
    src: &'a str,
    pos: usize,
}

const VALUE_STOP: &[char] = &[',', ']', ')', '('];

impl<'a> Parser<'a> {
    fn error(&self, message: impl Into<String>) -> QueryError {
        self.error_at(self.pos, message)
    }

    fn error_at(&self, pos: usize, message: impl Into<String>) -> QueryError {
        QueryError {
            column: self.src[..pos].chars().count() + 1,
            message: message.into(),
        }
    }

    fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    fn at_end(&self) -> bool {
        self.pos >= self.src.len()
    }

    fn skip_ws(&mut self) {
        let trimmed = self.rest().trim_start();
        self.pos = self.src.len() - trimmed.len();
    }

    fn eat(&mut self, s: &str) -> bool {
        if self.rest().starts_with(s) {
            self.pos += s.len();
            true
        } else {
            false
        }
    }

    /// Eats a keyword (case-insensitive) followed by a delimiter.
    fn eat_keyword(&mut self, kw: &str, delimiters: &[char]) -> bool {
        let r = self.rest();
        if r.len() >= kw.len() && r[..kw.len()].eq_ignore_ascii_case(kw) {
            let after = r[kw.len()..].chars().next();
            if after.is_none_or(|c| c.is_whitespace() || delimiters.contains(&c)) {
                self.pos += kw.len();
                return true;
            }
        }
        false
    }

    fn parse_or(&mut self) -> Result<Expr, QueryError> {
        let mut left = self.parse_and()?;
        loop {
            self.skip_ws();
            if self.eat("||") || self.eat_keyword("or", &['(']) {
                let right = self.parse_and()?;
                left = Expr::Or(Box::new(left), Box::new(right));
            } else {
                return Ok(left);
            }
        }
    }

    fn parse_and(&mut self) -> Result<Expr, QueryError> {
        let mut left = self.parse_unary()?;
        loop {
            self.skip_ws();
            if self.eat("&&") || self.eat_keyword("and", &['(']) {
                let right = self.parse_unary()?;
                left = Expr::And(Box::new(left), Box::new(right));
            } else {
                return Ok(left);
            }
        }
    }

    fn parse_unary(&mut self) -> Result<Expr, QueryError> {
        self.skip_ws();
        if self.at_end() {
            return Err(self.error("expected a predicate, `not` or `(`"));
        }
        if self.eat_keyword("not", &['(']) || (self.rest().starts_with('!') && self.eat("!")) {
            return Ok(Expr::Not(Box::new(self.parse_unary()?)));
        }
        if self.eat("(") {
            let inner = self.parse_or()?;
            self.skip_ws();
            if !self.eat(")") {
                return Err(self.error("expected `)`"));
            }
            return Ok(inner);
        }
        self.parse_predicate().map(Expr::Pred)
    }

    fn parse_predicate(&mut self) -> Result<Predicate, QueryError> {
        let start = self.pos;
        let word_len = self
            .rest()
            .find(|c: char| c.is_whitespace() || "=!<>()[],".contains(c))
            .unwrap_or(self.rest().len());
        let word = &self.rest()[..word_len];
        let subject = match word {
            "agentConnected" => Subject::AgentConnected,
            "agentVersion" => Subject::AgentVersion,
            "ec2InstanceId" => Subject::Ec2InstanceId,
            "registeredAt" => Subject::RegisteredAt,
            "runningTasksCount" => Subject::RunningTasksCount,
            "task:group" => Subject::TaskGroup,
            w if w.starts_with("attribute:") && w.len() > "attribute:".len() => {
                Subject::Attribute(w["attribute:".len()..].to_string())
            }
            w => {
                return Err(self.error(format!(
                    "expected a subject (agentConnected, agentVersion, attribute:<name>, ec2InstanceId, registeredAt, runningTasksCount, task:group), found `{w}`"
                )));
            }
        };
        self.pos += word_len;
        self.skip_ws();
        let op_pos = self.pos;
        let op = self.parse_operator()?;
        let arg_pos = {
            self.skip_ws();
            self.pos
        };
        let values = match op {
            Op::Exists | Op::NotExists => Vec::new(),
            Op::In | Op::NotIn => self.parse_list()?,
            _ => vec![self.parse_value()?],
        };
        let text = self.src[start..self.pos].trim().to_string();
        let arg = self.typed_arg(&subject, op, values, op_pos, arg_pos)?;
        Ok(Predicate { subject, op, arg, text })
    }

    fn parse_operator(&mut self) -> Result<Op, QueryError> {
        for (sym, op) in OPERATORS {
            if sym.starts_with('!') && sym.len() > 2 {
                if self.eat_keyword(sym, &['[', ')']) {
                    return Ok(*op);
                }
            } else if self.eat(sym) {
                return Ok(*op);
            }
        }
        for (word, op) in OPERATOR_WORDS {
            if self.eat_keyword(word, &['[', ')', '\'', '"']) {
                return Ok(*op);
            }
        }
        Err(self.error(
            "expected an operator: ==, !=, >, >=, <, <=, exists, !exists, in, !in, =~, !~ (or equals, not_equals, greater_than, greater_than_equal, less_than, less_than_equal, not_exists, not_in, matches, not_matches)",
        ))
    }

    fn parse_list(&mut self) -> Result<Vec<String>, QueryError> {
        if !self.eat("[") {
            return Err(self.error("expected a list such as [a, b]"));
        }
        let mut out = Vec::new();
        loop {
            self.skip_ws();
            out.push(self.parse_value()?);
            self.skip_ws();
            if self.eat("]") {
                return Ok(out);
            }
            if !self.eat(",") {
                return Err(self.error("expected `,` or `]`"));
            }
        }
    }

    fn parse_value(&mut self) -> Result<String, QueryError> {
        self.skip_ws();
        let r = self.rest();
        if let Some(q) = r.chars().next().filter(|c| *c == '\'' || *c == '"') {
            let open = self.pos;
            let Some(end) = r[1..].find(q) else {
                return Err(self.error_at(open, format!("unterminated {q}…{q} string")));
            };
            let v = r[1..1 + end].to_string();
            self.pos += end + 2;
            return Ok(v);
        }
        let len = r
            .find(|c: char| c.is_whitespace() || VALUE_STOP.contains(&c))
            .unwrap_or(r.len());
        if len == 0 {
            return Err(self.error("expected a value"));
        }
        self.pos += len;
        Ok(r[..len].to_string())
    }

    fn typed_arg(
        &self,
        subject: &Subject,
        op: Op,
        values: Vec<String>,
        op_pos: usize,
        arg_pos: usize,
    ) -> Result<Arg, QueryError> {
        if matches!(op, Op::Exists | Op::NotExists) {
            return Ok(Arg::None);
        }
        if matches!(op, Op::Matches | Op::NotMatches) {
            if !matches!(
                subject,
                Subject::Attribute(_) | Subject::Ec2InstanceId | Subject::TaskGroup | Subject::AgentVersion
            ) {
                return Err(self.error_at(
                    op_pos,
                    "=~ and !~ apply to attributes, ec2InstanceId, agentVersion and task:group",
                ));
            }
            let pattern = &values[0];
            check_java_regex(pattern).map_err(|m| self.error_at(arg_pos, m))?;
            let re = Regex::new(&format!("^(?:{pattern})$"))
                .map_err(|e| self.error_at(arg_pos, format!("invalid regular expression: {e}")))?;
            return Ok(Arg::Pattern(re));
        }
        let ordered = matches!(op, Op::Gt | Op::Ge | Op::Lt | Op::Le);
        let conv = |what: &str, ok: bool| -> Result<(), QueryError> {
            if ok {
                Ok(())
            } else {
                Err(self.error_at(arg_pos, format!("expected {what}")))
            }
        };
        Ok(match subject {
            Subject::Attribute(_) | Subject::Ec2InstanceId | Subject::TaskGroup => Arg::Strings(values),
            Subject::RunningTasksCount => {
                let ns: Vec<i64> = values.iter().filter_map(|v| v.parse().ok()).collect();
                conv("a whole number for runningTasksCount", ns.len() == values.len())?;
                Arg::Numbers(ns)
            }
            Subject::AgentVersion => {
                let vs: Vec<Vec<u64>> = values.iter().filter_map(|v| parse_version(v)).collect();
                conv("a version such as 1.14.5 for agentVersion", vs.len() == values.len())?;
                Arg::Versions(vs)
            }
            Subject::RegisteredAt => {
                let ts: Vec<i64> = values.iter().filter_map(|v| parse_time(v)).collect();
                conv(
                    "a date such as 2018-02-13 (or an RFC 3339 time) for registeredAt",
                    ts.len() == values.len(),
                )?;
                Arg::Times(ts)
            }
            Subject::AgentConnected => {
                if ordered {
                    return Err(self.error_at(op_pos, "agentConnected takes ==, !=, in or not_in"));
                }
                let bs: Vec<bool> = values
                    .iter()
                    .filter_map(|v| v.to_ascii_lowercase().parse().ok())
                    .collect();
                conv("true or false for agentConnected", bs.len() == values.len())?;
                Arg::Bools(bs)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Inst {
        attrs: Vec<(&'static str, &'static str)>,
        id: &'static str,
        version: &'static str,
        connected: bool,
        registered: i64,
        running: u32,
        groups: Vec<&'static str>,
    }

    impl Target for Inst {
        fn attribute(&self, name: &str) -> Option<&str> {
            self.attrs.iter().find(|(k, _)| *k == name).map(|(_, v)| *v)
        }
        fn ec2_instance_id(&self) -> &str {
            self.id
        }
        fn agent_version(&self) -> &str {
            self.version
        }
        fn agent_connected(&self) -> bool {
            self.connected
        }
        fn registered_at_ms(&self) -> i64 {
            self.registered
        }
        fn running_tasks_count(&self) -> u32 {
            self.running
        }
        fn any_group(&self, f: &mut dyn FnMut(&str) -> bool) -> bool {
            self.groups.iter().any(|g| f(g))
        }
    }

    fn fleet() -> Vec<Inst> {
        let day = |d: &str| parse_time(d).unwrap();
        vec![
            Inst {
                attrs: vec![
                    ("ecs.instance-type", "t2.small"),
                    ("ecs.availability-zone", "us-east-1a"),
                    ("tier", "web"),
                ],
                id: "i-abcd1234",
                version: "1.14.4",
                connected: true,
                registered: day("2018-02-01"),
                running: 1,
                groups: vec!["service:production"],
            },
            Inst {
                attrs: vec![
                    ("ecs.instance-type", "g2.2xlarge"),
                    ("ecs.availability-zone", "us-east-1b"),
                    ("cores", "16"),
                ],
                id: "i-wxyx7890",
                version: "1.20.0",
                connected: true,
                registered: day("2018-03-01"),
                running: 0,
                groups: vec![],
            },
            Inst {
                attrs: vec![
                    ("ecs.instance-type", "g2.8xlarge"),
                    ("ecs.availability-zone", "us-east-1d"),
                    ("cores", "4"),
                ],
                id: "i-0000",
                version: "1.14.5",
                connected: false,
                registered: day("2018-02-13"),
                running: 3,
                groups: vec!["database", "family:batch"],
            },
        ]
    }

    /// Which of the three instances match (as a bit string "101").
    fn matches(expr: &str) -> String {
        let e = Expr::parse(expr).unwrap_or_else(|err| panic!("{expr}: {err}"));
        fleet().iter().map(|i| if e.eval(i) { '1' } else { '0' }).collect()
    }

    #[test]
    fn documented_examples() {
        assert_eq!(matches("attribute:ecs.instance-type == t2.small"), "100");
        assert_eq!(
            matches("attribute:ecs.availability-zone in [us-east-1a, us-east-1b]"),
            "110"
        );
        assert_eq!(
            matches("attribute:ecs.instance-type =~ g2.* and attribute:ecs.availability-zone != us-east-1d"),
            "010"
        );
        assert_eq!(matches("task:group == service:production"), "100");
        assert_eq!(matches("not(task:group == database)"), "110");
        assert_eq!(matches("runningTasksCount == 1"), "100");
        assert_eq!(matches("agentVersion < 1.14.5"), "100");
        assert_eq!(matches("registeredAt < 2018-02-13"), "100");
        assert_eq!(matches("ec2InstanceId in ['i-abcd1234', 'i-wxyx7890']"), "110");
    }

    #[test]
    fn every_operator_and_alias() {
        let cases = [
            ("attribute:tier == web", "100"),
            ("attribute:tier equals web", "100"),
            ("attribute:tier != web", "011"),
            ("attribute:tier not_equals web", "011"),
            ("attribute:cores > 8", "010"),
            ("attribute:cores greater_than 8", "010"),
            ("attribute:cores >= 4", "011"),
            ("attribute:cores greater_than_equal 16", "010"),
            ("attribute:cores < 16", "001"),
            ("attribute:cores less_than 5", "001"),
            ("attribute:cores <= 16", "011"),
            ("attribute:cores less_than_equal 4", "001"),
            ("attribute:tier exists", "100"),
            ("attribute:tier !exists", "011"),
            ("attribute:tier not_exists", "011"),
            ("attribute:ecs.availability-zone in [\"us-east-1a\", us-east-1d]", "101"),
            ("attribute:ecs.availability-zone !in [us-east-1a]", "011"),
            ("attribute:ecs.availability-zone not_in [us-east-1a, us-east-1b]", "001"),
            ("attribute:ecs.instance-type =~ g2\\..*", "011"),
            ("attribute:ecs.instance-type matches 't2.*'", "100"),
            ("attribute:ecs.instance-type !~ g2.*", "100"),
            ("attribute:ecs.instance-type not_matches g2.8xlarge", "110"),
            ("agentConnected == false", "001"),
            ("agentConnected != false", "110"),
            ("runningTasksCount > 0", "101"),
            ("registeredAt >= 2018-02-13", "011"),
            ("agentVersion >= 1.14.5", "011"),
            ("task:group exists", "101"),
            ("task:group !exists", "010"),
            ("task:group in [database, service:production]", "101"),
            ("task:group != database", "110"),
            ("task:group =~ family:.*", "001"),
            ("ec2InstanceId == i-0000", "001"),
        ];
        for (expr, want) in cases {
            assert_eq!(matches(expr), want, "{expr}");
        }
    }

    #[test]
    fn precedence_and_grouping() {
        // and binds tighter than or.
        assert_eq!(
            matches("attribute:tier == web or attribute:cores == 16 and agentConnected == false"),
            "100"
        );
        assert_eq!(
            matches("(attribute:tier == web or attribute:cores == 16) and agentConnected == true"),
            "110"
        );
        assert_eq!(
            matches("attribute:tier == web || attribute:cores == 4 && runningTasksCount == 3"),
            "101"
        );
        assert_eq!(matches("!(attribute:tier exists) and not attribute:cores == 4"), "010");
        assert_eq!(matches("not not attribute:tier == web"), "100");
        assert_eq!(matches("NOT(attribute:tier == web) AND runningTasksCount == 0"), "010");
    }

    #[test]
    fn errors_point_at_the_column() {
        let err = |e: &str| Expr::parse(e).unwrap_err();
        let e = err("attribute:tier === web");
        assert!(
            e.column >= 17 && e.message.contains("expected a value") || e.message.contains("expected"),
            "{e}"
        );
        let e = err("attribute:tier is web");
        assert_eq!(e.column, 16);
        assert!(e.message.contains("expected an operator"), "{e}");
        let e = err("color == red");
        assert_eq!(e.column, 1);
        assert!(e.message.contains("expected a subject"), "{e}");
        let e = err("(attribute:tier == web");
        assert!(e.message.contains("expected `)`"), "{e}");
        let e = err("attribute:tier == web and");
        assert!(e.message.contains("expected a predicate"), "{e}");
        let e = err("attribute:tier in web");
        assert!(e.message.contains("expected a list"), "{e}");
        let e = err("attribute:tier in [a, b");
        assert!(e.message.contains("expected `,` or `]`"), "{e}");
        let e = err("runningTasksCount > many");
        assert_eq!(e.column, 21);
        assert!(e.message.contains("whole number"), "{e}");
        let e = err("registeredAt < yesterday");
        assert!(e.message.contains("date"), "{e}");
        let e = err("agentVersion < one");
        assert!(e.message.contains("version"), "{e}");
        let e = err("agentConnected == maybe");
        assert!(e.message.contains("true or false"), "{e}");
        let e = err("attribute:x =~ 'unterminated");
        assert!(e.message.contains("unterminated"), "{e}");
        let e = err("attribute:x == a b");
        assert!(e.message.contains("expected `and`, `or`"), "{e}");
        assert!(err("").message.contains("expected an expression"));
    }

    #[test]
    fn java_only_regex_constructs_are_errors() {
        for (pattern, what) in [
            ("(?=m5).*", "look-around"),
            ("(?!t2).*", "look-around"),
            ("(?<=a)b", "look-around"),
            ("(a)\\1", "back-reference"),
            ("a*+", "possessive"),
            ("(?>a)", "atomic"),
            ("\\Qm5.large\\E", "\\Q"),
        ] {
            let e = Expr::parse(&format!("attribute:x =~ '{pattern}'")).unwrap_err();
            assert!(e.message.contains(what), "{pattern}: {e}");
        }
        assert!(Expr::parse("attribute:x =~ '[(?=]'").is_ok());
        let e = Expr::parse("attribute:x =~ 'a{2'").unwrap_err();
        assert!(e.message.contains("invalid regular expression"), "{e}");
    }

    #[test]
    fn static_and_dynamic_expressions() {
        assert!(
            Expr::parse("attribute:a == b and ec2InstanceId != x")
                .unwrap()
                .is_static()
        );
        assert!(
            !Expr::parse("attribute:a == b and runningTasksCount == 0")
                .unwrap()
                .is_static()
        );
        assert!(!Expr::parse("not(task:group == db)").unwrap().is_static());
    }

    #[test]
    fn failing_clause_names_the_predicate() {
        let e = Expr::parse("attribute:tier == web and runningTasksCount == 0").unwrap();
        let f = fleet();
        assert_eq!(e.failing_clause(&f[0]).as_deref(), Some("runningTasksCount == 0"));
        assert_eq!(e.failing_clause(&f[1]).as_deref(), Some("attribute:tier == web"));
    }
}
