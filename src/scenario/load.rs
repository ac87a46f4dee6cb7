//! Reading TOML and JSON with errors that name the file, the field path, the line
//! and column, and what is allowed; and the check that separates members ECS accepts
//! but ecsim ignores (a warning) from members ECS does not know (an error).

use crate::ecs::api::{
    CreateCluster, CreateService, DeleteService, DeploymentCircuitBreaker, DeploymentConfiguration,
    DeregisterContainerInstance, RegisterContainerInstance, RunTask, StopTask, UpdateContainerInstancesState,
    UpdateService, ecs_members,
};
use crate::ecs::task_definition::{ContainerDefinition, PortMapping, RegisterTaskDefinition};
use crate::error::{Error, Problem, Report};
use serde::de::{self, DeserializeOwned, Visitor};
use serde_json::Value;
use std::path::Path;

/// A file format, chosen by extension.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Format {
    /// `.toml`
    Toml,
    /// `.json`
    Json,
}

/// The format of `path`, from its extension.
pub fn format_of(path: &Path) -> Result<Format, Error> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("toml") => Ok(Format::Toml),
        Some("json") => Ok(Format::Json),
        _ => Err(Error::invalid(
            &path.display().to_string(),
            "",
            "unknown file type: use a .toml or .json file",
        )),
    }
}

/// Reads a file to a string.
pub fn read(path: &Path) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|e| Error::Read {
        file: path.display().to_string(),
        reason: match e.kind() {
            std::io::ErrorKind::NotFound => "no such file".into(),
            _ => e.to_string(),
        },
    })
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// Makes serde's type words readable.
fn friendly(message: &str) -> String {
    message
        .replace("expected u16", "expected a whole number 0–65535")
        .replace("expected u32", "expected a whole number ≥ 0")
        .replace("expected u64", "expected a whole number ≥ 0")
        .replace("expected i64", "expected a whole number")
        .replace("expected f64", "expected a number")
        .replace("expected a borrowed string", "expected a string")
}

fn path_string(p: &serde_path_to_error::Path) -> String {
    let s = p.to_string();
    if s == "." { String::new() } else { s }
}

/// Parses `text` into `T`, with file, field path, line and column on error.
pub fn parse_typed<T: DeserializeOwned>(text: &str, format: Format, file: &str) -> Result<T, Error> {
    match format {
        Format::Toml => {
            let de = toml::Deserializer::parse(text)
                .map_err(|e| problem(file, "", e.span().map(|s| line_col(text, s.start)), e.message()))?;
            serde_path_to_error::deserialize(de).map_err(|e| {
                let path = path_string(e.path());
                let inner = e.into_inner();
                problem(
                    file,
                    &path,
                    inner.span().map(|s| line_col(text, s.start)),
                    inner.message(),
                )
            })
        }
        Format::Json => {
            let mut de = serde_json::Deserializer::from_str(text);
            let v: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
                let path = path_string(e.path());
                let inner = e.into_inner();
                json_problem(file, &path, &inner)
            })?;
            de.end().map_err(|e| json_problem(file, "", &e))?;
            Ok(v)
        }
    }
}

fn json_problem(file: &str, path: &str, e: &serde_json::Error) -> Error {
    let msg = e.to_string();
    let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
    let pos = (e.line() > 0).then(|| (e.line(), e.column()));
    problem(file, path, pos, &msg)
}

fn problem(file: &str, path: &str, position: Option<(usize, usize)>, message: &str) -> Error {
    Error::Invalid(vec![Problem {
        file: file.to_string(),
        path: path.to_string(),
        position,
        message: friendly(message),
    }])
}

/// Parses `text` into a generic JSON value (for sweeps and member checks).
pub fn parse_value(text: &str, format: Format, file: &str) -> Result<Value, Error> {
    parse_typed(text, format, file)
}

/// Deserializes `T` from a value (a sweep variant), naming the field path on error.
pub fn from_value<T: DeserializeOwned>(value: Value, file: &str, context: &str) -> Result<T, Error> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = path_string(e.path());
        Error::Invalid(vec![Problem {
            file: file.to_string(),
            path,
            position: None,
            message: format!("{context}{}", friendly(&e.into_inner().to_string())),
        }])
    })
}

/// The field names serde reads for a struct `T` (introspected from its derive).
pub fn fields_of<T: DeserializeOwned>() -> &'static [&'static str] {
    struct Probe<'a>(&'a mut &'static [&'static str]);
    impl<'de> de::Deserializer<'de> for Probe<'_> {
        type Error = de::value::Error;
        fn deserialize_any<V: Visitor<'de>>(self, _v: V) -> Result<V::Value, Self::Error> {
            Err(de::Error::custom("probe"))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _name: &'static str,
            fields: &'static [&'static str],
            _v: V,
        ) -> Result<V::Value, Self::Error> {
            *self.0 = fields;
            Err(de::Error::custom("probe"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
            option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
        }
    }
    let mut fields: &'static [&'static str] = &[];
    let _ = T::deserialize(Probe(&mut fields));
    fields
}

/// Checks the members of one ECS request body (a JSON object) at `path`.
fn check_body(value: &Value, path: &str, api: &str, modelled: &[&str], accepted: &[&str], report: &mut Report) {
    let Value::Object(map) = value else { return };
    for key in map.keys() {
        if modelled.contains(&key.as_str()) {
            continue;
        }
        if accepted.contains(&key.as_str()) {
            report.warn(
                member(path, key),
                format!("{api} member `{key}` is accepted by ECS but not modelled by ecsim: ignored"),
            );
        } else {
            report.error(
                member(path, key),
                format!(
                    "unknown {api} member `{key}`: ecsim reads {}; other members ECS accepts are ignored with a warning",
                    modelled.join(", ")
                ),
            );
        }
    }
}

fn each<'a>(value: &'a Value, key: &str) -> impl Iterator<Item = (usize, &'a Value)> {
    value
        .get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
}

/// Checks a RegisterTaskDefinition body and its containers.
pub fn check_task_definition(td: &Value, path: &str, report: &mut Report) {
    check_body(
        td,
        path,
        "RegisterTaskDefinition",
        fields_of::<RegisterTaskDefinition>(),
        ecs_members::REGISTER_TASK_DEFINITION,
        report,
    );
    for (j, c) in each(td, "containerDefinitions") {
        let cp = member(path, &format!("containerDefinitions[{j}]"));
        check_body(
            c,
            &cp,
            "ContainerDefinition",
            fields_of::<ContainerDefinition>(),
            ecs_members::CONTAINER_DEFINITION,
            report,
        );
        for (k, pm) in each(c, "portMappings") {
            check_body(
                pm,
                &format!("{cp}.portMappings[{k}]"),
                "PortMapping",
                fields_of::<PortMapping>(),
                ecs_members::PORT_MAPPING,
                report,
            );
        }
    }
}

/// The path of `key` inside the body at `path` (the body itself when `path` is empty).
pub(crate) fn member(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// Checks a service's `deploymentConfiguration` and its circuit breaker.
fn check_deployment_configuration(body: &Value, path: &str, report: &mut Report) {
    let Some(dc) = body.get("deploymentConfiguration") else {
        return;
    };
    let dp = member(path, "deploymentConfiguration");
    check_body(
        dc,
        &dp,
        "DeploymentConfiguration",
        fields_of::<DeploymentConfiguration>(),
        ecs_members::DEPLOYMENT_CONFIGURATION,
        report,
    );
    if let Some(b) = dc.get("deploymentCircuitBreaker") {
        check_body(
            b,
            &format!("{dp}.deploymentCircuitBreaker"),
            "DeploymentCircuitBreaker",
            fields_of::<DeploymentCircuitBreaker>(),
            ecs_members::DEPLOYMENT_CIRCUIT_BREAKER,
            report,
        );
    }
}

/// Checks a timeline request body for API `api`.
pub(crate) fn check_request(api: &str, body: &Value, path: &str, report: &mut Report) {
    if api == "CreateService" || api == "UpdateService" {
        check_deployment_configuration(body, path, report);
    }
    match api {
        "RunTask" => check_body(body, path, api, fields_of::<RunTask>(), ecs_members::RUN_TASK, report),
        "StopTask" => check_body(body, path, api, fields_of::<StopTask>(), ecs_members::STOP_TASK, report),
        "CreateService" => check_body(
            body,
            path,
            api,
            fields_of::<CreateService>(),
            ecs_members::CREATE_SERVICE,
            report,
        ),
        "UpdateService" => check_body(
            body,
            path,
            api,
            fields_of::<UpdateService>(),
            ecs_members::UPDATE_SERVICE,
            report,
        ),
        "RegisterTaskDefinition" => check_task_definition(body, path, report),
        "DeleteService" => check_body(
            body,
            path,
            api,
            fields_of::<DeleteService>(),
            ecs_members::DELETE_SERVICE,
            report,
        ),
        "UpdateContainerInstancesState" => check_body(
            body,
            path,
            api,
            fields_of::<UpdateContainerInstancesState>(),
            ecs_members::UPDATE_CONTAINER_INSTANCES_STATE,
            report,
        ),
        "RegisterContainerInstance" => check_body(
            body,
            path,
            api,
            fields_of::<RegisterContainerInstance>(),
            ecs_members::REGISTER_CONTAINER_INSTANCE,
            report,
        ),
        "DeregisterContainerInstance" => check_body(
            body,
            path,
            api,
            fields_of::<DeregisterContainerInstance>(),
            ecs_members::DEREGISTER_CONTAINER_INSTANCE,
            report,
        ),
        "CreateCapacityProvider" => check_body(
            body,
            path,
            api,
            fields_of::<crate::ecs::provider::CreateCapacityProvider>(),
            ecs_members::CREATE_CAPACITY_PROVIDER,
            report,
        ),
        "PutClusterCapacityProviders" => check_body(
            body,
            path,
            api,
            fields_of::<crate::ecs::provider::PutClusterCapacityProviders>(),
            ecs_members::PUT_CLUSTER_CAPACITY_PROVIDERS,
            report,
        ),
        "CreateCluster" => check_body(
            body,
            path,
            api,
            fields_of::<CreateCluster>(),
            ecs_members::CREATE_CLUSTER,
            report,
        ),
        _ => {}
    }
}

/// Checks every ECS request body in a scenario document.
pub fn check_ecs_members(doc: &Value, report: &mut Report) {
    for (i, td) in each(doc, "taskDefinitions") {
        check_task_definition(td, &format!("taskDefinitions[{i}]"), report);
    }
    for (i, s) in each(doc, "services") {
        check_request("CreateService", s, &format!("services[{i}]"), report);
    }
    for (i, c) in each(doc, "clusters") {
        check_request("CreateCluster", c, &format!("clusters[{i}]"), report);
    }
    for (i, c) in each(doc, "capacityProviders") {
        check_request("CreateCapacityProvider", c, &format!("capacityProviders[{i}]"), report);
    }
    if let Some(c) = doc.get("clusterCapacityProviders") {
        check_request("PutClusterCapacityProviders", c, "clusterCapacityProviders", report);
    }
    for (i, w) in each(doc, "workloads") {
        if let Some(rt) = w.get("runTask") {
            check_request("RunTask", rt, &format!("workloads[{i}].runTask"), report);
        }
    }
    for (i, t) in each(doc, "timeline") {
        if let (Some(api), Some(body)) = (t.get("api").and_then(Value::as_str), t.get("request")) {
            check_request(api, body, &format!("timeline[{i}].request"), report);
        }
    }
}

/// Names that become folder names: letters, digits, `.`, `_`, `-`.
pub fn check_name(name: &str, path: &str, r: &mut Report) {
    let ok = !name.is_empty()
        && name.len() <= 128
        && name != "."
        && name != ".."
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    if !ok {
        r.error(
            path,
            format!("`{name}` is not a valid name: 1–128 letters, digits, `.`, `_` or `-`"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    #[allow(dead_code)]
    struct Doc {
        name: String,
        items: Vec<Item>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    #[allow(dead_code)]
    struct Item {
        count: u32,
    }

    #[test]
    fn toml_errors_carry_path_line_and_column() {
        let text = "name = \"x\"\n[[items]]\ncount = 1\n[[items]]\ncount = -3\n";
        let e = parse_typed::<Doc>(text, Format::Toml, "s.toml").unwrap_err();
        let p = &e.problems()[0];
        assert_eq!(p.path, "items[1].count");
        assert_eq!(p.position.map(|x| x.0), Some(5));
        assert!(p.message.contains("whole number"), "{}", p.message);
        let e = parse_typed::<Doc>("name = \"x\"\nitems = []\ncolour = 1\n", Format::Toml, "s.toml").unwrap_err();
        let p = &e.problems()[0];
        assert!(
            p.message.contains("unknown field `colour`") && p.message.contains("name"),
            "{}",
            p.message
        );
        assert_eq!(p.position.map(|x| x.0), Some(3));
        let e = parse_typed::<Doc>("name = \n", Format::Toml, "s.toml").unwrap_err();
        assert_eq!(e.problems()[0].position.map(|x| x.0), Some(1));
    }

    #[test]
    fn json_errors_carry_path_line_and_column() {
        let text = "{\"name\": \"x\",\n \"items\": [{\"count\": \"many\"}]}";
        let e = parse_typed::<Doc>(text, Format::Json, "s.json").unwrap_err();
        let p = &e.problems()[0];
        assert_eq!(p.path, "items[0].count");
        assert_eq!(p.position.map(|x| x.0), Some(2));
        assert!(!p.message.contains(" at line "), "{}", p.message);
        assert!(parse_typed::<Doc>("{\"name\":\"x\",\"items\":[]} trailing", Format::Json, "s.json").is_err());
    }

    #[test]
    fn fields_are_introspected() {
        let f = fields_of::<RunTask>();
        assert!(f.contains(&"taskDefinition") && f.contains(&"placementStrategy"));
    }

    #[test]
    fn ecs_members_warn_or_fail() {
        let doc: Value = serde_json::json!({
            "taskDefinitions": [{"family": "w", "volumes": [], "colour": 1,
                "containerDefinitions": [{"name": "a", "environment": [], "portMappings": [{"containerPort": 1, "appProtocol": "http"}]}]}],
            "timeline": [{"api": "RunTask", "request": {"taskDefinition": "w", "overrides": {}, "bogus": 1}}]
        });
        let mut r = Report::new("s.json");
        check_ecs_members(&doc, &mut r);
        let errs: Vec<&str> = r.errors.iter().map(|p| p.path.as_str()).collect();
        let warns: Vec<&str> = r.warnings.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(errs, vec!["taskDefinitions[0].colour", "timeline[0].request.bogus"]);
        assert_eq!(
            warns,
            vec![
                "taskDefinitions[0].volumes",
                "taskDefinitions[0].containerDefinitions[0].environment",
                "taskDefinitions[0].containerDefinitions[0].portMappings[0].appProtocol",
                "timeline[0].request.overrides"
            ]
        );
    }
}
