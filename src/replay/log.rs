//! Reading a log for replay, in the forms users have one: JSON lines (ecsim's own
//! events.jsonl), a CloudTrail file (`{"Records": [...]}`), one CloudTrail record as the
//! console shows it (a pretty-printed object), any of these gzipped (`.gz`, as
//! CloudTrail delivers them), or a folder of such files (a CloudTrail S3 prefix, read
//! in name order, subfolders included).

use crate::error::{Error, Problem};
use serde_json::Value;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The forms a log may take, for error messages.
pub const FORMATS: &str = "JSON lines (ecsim's events.jsonl), a CloudTrail file ({\"Records\": [...]}), \
one CloudTrail record (a JSON object), any of these gzipped (.gz), or a folder of them";

/// One record of a log, with where it came from.
#[derive(Clone, Debug)]
pub struct Entry {
    /// The file it was read from.
    pub file: String,
    /// Its line (JSON lines), or its position in the file's records, from 1.
    pub line: usize,
    /// The record.
    pub value: Value,
}

/// An error at `line` of `file`.
pub fn problem(file: &str, line: usize, message: String) -> Error {
    Error::Invalid(vec![Problem {
        file: file.to_string(),
        path: String::new(),
        position: Some((line, 1)),
        message,
    }])
}

/// Reads the log at `path`: a file or a folder of files.
pub fn read(path: &Path) -> Result<Vec<Entry>, Error> {
    let name = path.display().to_string();
    if path.is_dir() {
        let mut files = Vec::new();
        collect(path, &mut files).map_err(|e| Error::Read {
            file: name.clone(),
            reason: e.to_string(),
        })?;
        files.sort();
        let mut out = Vec::new();
        for f in &files {
            out.extend(read_file(f)?);
        }
        if out.is_empty() {
            return Err(problem(
                &name,
                1,
                format!("a folder with no log files in it: expected {FORMATS}"),
            ));
        }
        return Ok(out);
    }
    read_file(path)
}

/// The files below `dir` that may hold records (.json, .jsonl, .gz).
fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for e in std::fs::read_dir(dir)? {
        let p = e?.path();
        if p.is_dir() {
            collect(&p, out)?;
        } else if p.extension().is_some_and(|x| x == "json" || x == "jsonl" || x == "gz") {
            out.push(p);
        }
    }
    Ok(())
}

/// Reads one file, unzipping a `.gz`.
fn read_file(path: &Path) -> Result<Vec<Entry>, Error> {
    let name = path.display().to_string();
    let cannot = |reason: String| Error::Read {
        file: name.clone(),
        reason,
    };
    let bytes = std::fs::read(path).map_err(|e| {
        cannot(match e.kind() {
            std::io::ErrorKind::NotFound => "no such file or folder".into(),
            _ => e.to_string(),
        })
    })?;
    let bytes = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&bytes[..])
            .read_to_end(&mut out)
            .map_err(|e| cannot(format!("not a readable gzip file: {e}")))?;
        out
    } else {
        bytes
    };
    let text = String::from_utf8(bytes).map_err(|_| problem(&name, 1, format!("not text: expected {FORMATS}")))?;
    parse(&text, &name)
}

/// The records of one log text.
pub fn parse(text: &str, file: &str) -> Result<Vec<Entry>, Error> {
    let entry = |line: usize, value: Value| Entry {
        file: file.to_string(),
        line,
        value,
    };
    if text.trim_start().starts_with('{')
        && let Ok(doc) = serde_json::from_str::<Value>(text)
    {
        if let Some(rs) = doc.get("Records").and_then(Value::as_array) {
            return Ok(rs.iter().cloned().enumerate().map(|(i, v)| entry(i + 1, v)).collect());
        }
        if is_record(&doc) {
            return Ok(vec![entry(1, doc)]);
        }
        return Err(problem(
            file,
            1,
            format!("a JSON object that is neither a CloudTrail record nor a CloudTrail file: expected {FORMATS}"),
        ));
    }
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let v: Value = serde_json::from_str(line)
            .map_err(|e| problem(file, n + 1, format!("not a JSON record ({e}): expected {FORMATS}")))?;
        if !v.is_object() {
            return Err(problem(file, n + 1, "a record is a JSON object".into()));
        }
        out.push(entry(n + 1, v));
    }
    if out.is_empty() {
        return Err(problem(file, 1, format!("no records: expected {FORMATS}")));
    }
    Ok(out)
}

/// Whether a JSON object is one record: a CloudTrail call or an EventBridge event.
fn is_record(v: &Value) -> bool {
    v.get("eventName").is_some() || v.get("detail-type").is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_gives_its_records() {
        let lines =
            "{\"eventName\":\"RunTask\",\"eventTime\":\"2026-01-01T00:00:00Z\"}\n\n{\"eventName\":\"StopTask\"}\n";
        assert_eq!(parse(lines, "l.jsonl").unwrap().len(), 2);
        let trail = "{\"Records\": [{\"eventName\": \"RunTask\"}, {\"eventName\": \"StopTask\"}]}";
        assert_eq!(parse(trail, "t.json").unwrap().len(), 2);
        let pretty = "{\n  \"eventName\": \"CreateCluster\",\n  \"eventTime\": \"2026-01-01T00:00:00Z\"\n}\n";
        let one = parse(pretty, "r.json").unwrap();
        assert_eq!((one.len(), one[0].line), (1, 1));
    }

    #[test]
    fn a_wrong_form_says_which_forms_are_accepted() {
        for text in ["{\"services\": []}", "not json at all", ""] {
            let e = parse(text, "x.json").unwrap_err().to_string();
            assert!(e.contains("x.json") && e.contains("CloudTrail file"), "{e}");
        }
    }
}
