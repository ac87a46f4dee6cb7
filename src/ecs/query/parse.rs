//! The parser of the cluster query language, and the version and time literals it
//! compares.

use super::*;

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

/// Parses an expression, naming the column of the first problem.
pub(super) fn expression(text: &str) -> Result<Expr, QueryError> {
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

/// A recursive-descent parser over an expression's text.
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
        self.parse_chain(("||", "or"), Self::parse_and, Expr::Or)
    }

    fn parse_and(&mut self) -> Result<Expr, QueryError> {
        self.parse_chain(("&&", "and"), Self::parse_unary, Expr::And)
    }

    /// `operand (op operand)*`, left-associative: `op` is a symbol or a keyword.
    fn parse_chain(
        &mut self,
        (symbol, keyword): (&str, &str),
        operand: fn(&mut Self) -> Result<Expr, QueryError>,
        join: fn(Box<Expr>, Box<Expr>) -> Expr,
    ) -> Result<Expr, QueryError> {
        let mut left = operand(self)?;
        loop {
            self.skip_ws();
            if self.eat(symbol) || self.eat_keyword(keyword, &['(']) {
                let right = operand(self)?;
                left = join(Box::new(left), Box::new(right));
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
            Op::Matches | Op::NotMatches => vec![self.parse_pattern()?],
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

    /// A regular expression: quoted, or unquoted up to whitespace or a `)` that closes
    /// an enclosing group of the expression. Brackets, groups, `{m,n}` and escapes inside
    /// the pattern are its own (`i-0[a-c].*`, `(m5|c5)\..*`).
    fn parse_pattern(&mut self) -> Result<String, QueryError> {
        self.skip_ws();
        let r = self.rest();
        if r.starts_with(['\'', '"']) {
            return self.parse_value();
        }
        let (mut depth, mut in_class, mut escaped) = (0usize, false, false);
        let mut len = r.len();
        for (i, c) in r.char_indices() {
            if escaped {
                escaped = false;
                continue;
            }
            match c {
                '\\' => escaped = true,
                '[' if !in_class => in_class = true,
                ']' if in_class => in_class = false,
                '(' if !in_class => depth += 1,
                ')' if !in_class && depth == 0 => {
                    len = i;
                    break;
                }
                ')' if !in_class => depth -= 1,
                c if c.is_whitespace() && !in_class && depth == 0 => {
                    len = i;
                    break;
                }
                _ => {}
            }
        }
        if len == 0 {
            return Err(self.error("expected a regular expression"));
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
