//! Errors at the boundaries: what a user did wrong, where (file, field path, line and
//! column when the format has them), and what is allowed.

use std::fmt;

/// One thing wrong (or worth a warning) in an input file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The file, as the user named it.
    pub file: String,
    /// The field path, e.g. `services[0].placementStrategy[1].field` (may be empty).
    pub path: String,
    /// 1-based line and column, when known.
    pub position: Option<(usize, usize)>,
    /// What is wrong and what is allowed.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some((line, col)) = self.position {
            write!(f, ":{line}:{col}")?;
        }
        if !self.path.is_empty() {
            write!(f, ": {}", self.path)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Problems gathered while checking one input file.
#[derive(Clone, Debug, Default)]
pub struct Report {
    file: String,
    /// Errors: the input is refused.
    pub errors: Vec<Problem>,
    /// Warnings: accepted, but the user should know.
    pub warnings: Vec<Problem>,
}

impl Report {
    /// An empty report about `file`.
    pub fn new(file: impl Into<String>) -> Self {
        Report {
            file: file.into(),
            errors: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// The file this report is about.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// Records an error at `path`.
    pub fn error(&mut self, path: impl fmt::Display, message: impl Into<String>) {
        let p = self.problem(path, message);
        self.errors.push(p);
    }

    /// Records a warning at `path` (once per path and message).
    pub fn warn(&mut self, path: impl fmt::Display, message: impl Into<String>) {
        let p = self.problem(path, message);
        if !self.warnings.contains(&p) {
            self.warnings.push(p);
        }
    }

    fn problem(&self, path: impl fmt::Display, message: impl Into<String>) -> Problem {
        Problem {
            file: self.file.clone(),
            // A body at the top of a file has an empty path: its members start with no dot.
            path: path.to_string().trim_start_matches('.').to_string(),
            position: None,
            message: message.into(),
        }
    }

    /// True when no error was recorded.
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }

    /// `Ok(warnings)` when clean, else the errors as an [`Error`].
    pub fn finish(self) -> Result<Vec<Problem>, Error> {
        if self.errors.is_empty() {
            Ok(self.warnings)
        } else {
            Err(Error::Invalid(self.errors))
        }
    }
}

/// Everything that can stop ecsim before or after a run. A run itself never fails:
/// "no instance fits" is an outcome, not an error.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read.
    #[error("{file}: cannot read: {reason}")]
    Read {
        /// The file.
        file: String,
        /// Why.
        reason: String,
    },
    /// An input file is malformed or impossible.
    #[error("{}", list_problems(.0))]
    Invalid(Vec<Problem>),
    /// Writing outputs failed.
    #[error("{path}: cannot write: {reason}")]
    Write {
        /// The file or folder.
        path: String,
        /// Why.
        reason: String,
    },
}

fn list_problems(problems: &[Problem]) -> String {
    const SHOWN: usize = 20;
    let mut lines: Vec<String> = problems.iter().take(SHOWN).map(ToString::to_string).collect();
    if problems.len() > SHOWN {
        lines.push(format!("… and {} more", problems.len() - SHOWN));
    }
    lines.join("\n")
}

impl Error {
    /// A single problem as an error.
    pub fn invalid(file: &str, path: impl fmt::Display, message: impl Into<String>) -> Self {
        let mut r = Report::new(file);
        r.error(path, message);
        Error::Invalid(r.errors)
    }

    /// The problems, if this is an input error.
    pub fn problems(&self) -> &[Problem] {
        match self {
            Error::Invalid(p) => p,
            _ => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_print_file_position_path_and_message() {
        let p = Problem {
            file: "s.toml".into(),
            path: "services[0].desiredCount".into(),
            position: Some((12, 5)),
            message: "must be ≥ 0".into(),
        };
        assert_eq!(p.to_string(), "s.toml:12:5: services[0].desiredCount: must be ≥ 0");
        let mut r = Report::new("x.json");
        r.warn("a", "w");
        r.warn("a", "w");
        assert_eq!(r.warnings.len(), 1);
        r.error("b", "bad");
        let e = r.finish().unwrap_err();
        assert_eq!(e.to_string(), "x.json: b: bad");
    }
}
