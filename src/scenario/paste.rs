//! Files a scenario names in `file =` entries: task definitions and services pasted as
//! the AWS CLI gives them (request bodies, Describe… output), response-only members
//! ignored with a warning.

use crate::ecs::api::CreateService;
use crate::ecs::task_definition::RegisterTaskDefinition;
use crate::error::{Error, Report};
use crate::scenario::load::{
    Format, check_request, check_task_definition, format_of, from_value, member, parse_value, read,
};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::path::Path;

/// Members of a DescribeTaskDefinition response that are not request members.
const TASK_DEFINITION_RESPONSE_MEMBERS: &[&str] = &[
    "taskDefinitionArn",
    "status",
    "requiresAttributes",
    "compatibilities",
    "registeredAt",
    "registeredBy",
    "deregisteredAt",
];

/// Reads a JSON file a scenario names in a `file =` entry (relative to the scenario's
/// folder `dir`): its name as problems will give it, and its document.
fn read_json_file(dir: &Path, rel: &str, what: &str) -> Result<(String, serde_json::Value), Error> {
    let full: std::path::PathBuf = dir.join(rel);
    let fname = full.display().to_string();
    let text = read(&full)?;
    if format_of(&full)? != Format::Json {
        return Err(Error::invalid(
            &fname,
            "",
            format!("a {what} file is AWS CLI JSON (.json)"),
        ));
    }
    let mut doc = parse_value(&text, Format::Json, &fname)?;
    drop_nulls(&mut doc);
    Ok((fname.clone(), doc))
}

/// Removes members whose value is `null` (console and describe exports write every
/// member, unset ones as null): to ECS they are absent.
fn drop_nulls(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            map.retain(|_, m| !m.is_null());
            map.values_mut().for_each(drop_nulls);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

/// [`from_value`] of the body at `path` in `file`: problems carry the whole path.
fn from_value_at<T: DeserializeOwned>(value: Value, file: &str, path: &str) -> Result<T, Error> {
    from_value(value, file, "").map_err(|e| match e {
        Error::Invalid(ps) => Error::Invalid(
            ps.into_iter()
                .map(|mut p| {
                    p.path = if p.path.is_empty() {
                        path.to_string()
                    } else {
                        member(path, &p.path)
                    };
                    p
                })
                .collect(),
        ),
        other => other,
    })
}

/// Removes the members of a Describe… response that are not request members from
/// `body` (at `path` in its file), with one warning naming them.
fn drop_response_members(body: &mut serde_json::Value, path: &str, members: &[&str], api: &str, r: &mut Report) {
    if let serde_json::Value::Object(map) = body {
        let dropped: Vec<&str> = members.iter().copied().filter(|k| map.remove(*k).is_some()).collect();
        if !dropped.is_empty() {
            r.warn(path, format!("{api} response members, ignored: {}", dropped.join(", ")));
        }
    }
}

/// Moves the problems of a referenced file's report into the scenario's `r`; an error
/// that is not about the file's content goes under the entry's `file` member.
fn merge_file_report<T>(result: Result<T, Error>, path: &str, r: &mut Report) -> Option<T> {
    match result {
        Ok(t) => Some(t),
        Err(Error::Invalid(ps)) => {
            r.errors.extend(ps);
            None
        }
        Err(other) => {
            r.error(format!("{path}.file"), other.to_string());
            None
        }
    }
}

/// Reads a task definition from a `file =` entry (AWS CLI JSON, a
/// `{"taskDefinition": {...}}` wrapper or a DescribeTaskDefinition response accepted);
/// problems are reported under `path`, or name the file.
pub fn load_task_definition_file(
    dir: &Path,
    rel: &str,
    entry: &RegisterTaskDefinition,
    path: &str,
    r: &mut Report,
) -> Option<RegisterTaskDefinition> {
    let inline = entry.family.is_empty()
        && entry.container_definitions.is_empty()
        && entry.cpu.is_none()
        && entry.memory.is_none();
    if !inline {
        r.error(
            format!("{path}.file"),
            "give either `file` or the task definition's members, not both",
        );
        return None;
    }
    let result = (|| -> Result<RegisterTaskDefinition, Error> {
        let (fname, mut value) = read_json_file(dir, rel, "task definition")?;
        let mut sub = Report::new(&fname);
        let (mut body_path, mut body) = (String::new(), value.clone());
        if let Some(inner) = value.get_mut("taskDefinition").map(serde_json::Value::take) {
            body_path = "taskDefinition".into();
            body = inner;
        }
        drop_response_members(
            &mut body,
            &body_path,
            TASK_DEFINITION_RESPONSE_MEMBERS,
            "DescribeTaskDefinition",
            &mut sub,
        );
        check_task_definition(&body, &body_path, &mut sub);
        let td: RegisterTaskDefinition = from_value_at(body, &fname, &body_path)?;
        r.warnings.extend(sub.warnings.clone());
        sub.finish()?;
        Ok(td)
    })();
    merge_file_report(result, path, r)
}

/// Members of a DescribeServices (or CreateService response) Service that are not
/// CreateService request members; `clusterArn` becomes `cluster` instead.
const SERVICE_RESPONSE_MEMBERS: &[&str] = &[
    "serviceArn",
    "status",
    "runningCount",
    "pendingCount",
    "deployments",
    "roleArn",
    "events",
    "createdAt",
    "createdBy",
    "taskSets",
    "platformFamily",
    "currentServiceDeployment",
    "currentServiceRevisions",
    "resourceManagementType",
];

/// Reads the services of a `[[services]] file =` entry: a CreateService body, a
/// `{"service": {...}}` response, or DescribeServices output (`{"services": [...]}`,
/// every service in it; `failures` ignored). Response-only members are ignored with a
/// warning; `clusterArn` names the service's cluster. Problems name the file. Gives
/// the file's name and each service with its path in the file.
pub fn load_service_file(
    dir: &Path,
    rel: &str,
    path: &str,
    r: &mut Report,
) -> Option<(String, Vec<(String, CreateService)>)> {
    let result = (|| -> Result<(String, Vec<(String, CreateService)>), Error> {
        let (fname, value) = read_json_file(dir, rel, "service")?;
        let mut sub = Report::new(&fname);
        let bodies: Vec<(String, serde_json::Value)> = match (value.get("services"), value.get("service")) {
            (Some(serde_json::Value::Array(list)), _) => list
                .iter()
                .enumerate()
                .map(|(i, b)| (format!("services[{i}]"), b.clone()))
                .collect(),
            (_, Some(one)) => vec![("service".to_string(), one.clone())],
            _ => vec![(String::new(), value.clone())],
        };
        if bodies.is_empty() {
            sub.error("services", "no services in the file");
        }
        let mut out = Vec::new();
        for (p, mut body) in bodies {
            if let serde_json::Value::Object(map) = &mut body {
                map.remove("failures");
                if let Some(arn) = map.remove("clusterArn")
                    && !map.contains_key("cluster")
                {
                    map.insert("cluster".into(), arn);
                }
            }
            drop_response_members(&mut body, &p, SERVICE_RESPONSE_MEMBERS, "DescribeServices", &mut sub);
            check_request("CreateService", &body, &p, &mut sub);
            let s: CreateService = from_value_at(body, &fname, &p)?;
            out.push((p, s));
        }
        r.warnings.extend(sub.warnings.clone());
        sub.finish()?;
        Ok((fname, out))
    })();
    merge_file_report(result, path, r)
}
