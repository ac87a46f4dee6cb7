//! Real task definitions from public repositories (../shared/realworld, SOURCE.md), as
//! their authors committed them: every file ECS accepts loads with no error and no
//! complaint about its null members, and a RunTask of it places its task.

use crate::common::{HEADER, run_toml, scenario, shared};
use serde_json::Value;

/// Files ECS itself refuses as they stand (SOURCE.md): empty images, protocol "http".
const REFUSED_BY_ECS: &[&str] = &[
    "cs3219-g33-task-definition.json",
    "nkdchck-mythical-misfits-task-definition.json",
];

/// EC2 (x86 and Graviton), a GPU instance, an external instance, Fargate over one subnet.
const CAPACITY: &str = r#"[[subnets]]
subnetId = "subnet-a"
availabilityZone = "us-east-1a"
[clusterCapacityProviders]
capacityProviders = ["FARGATE", "FARGATE_SPOT"]
defaultCapacityProviderStrategy = []
[[instanceGroups]]
name = "ec2"
instanceType = "m5.4xlarge"
count = 2
[[instanceGroups]]
name = "gpu"
instanceType = "g4dn.12xlarge"
count = 1
[[instanceGroups]]
name = "arm"
instanceType = "m6g.4xlarge"
count = 1
[[instanceGroups]]
name = "ext"
instanceType = "m5.xlarge"
count = 1
launchType = "EXTERNAL"
"#;

/// The scenario running one task of the task definition in `file` (its document `doc`).
fn one_task(file: &str, doc: &Value) -> String {
    let body = doc.get("taskDefinition").unwrap_or(doc);
    let family = body["family"].as_str().unwrap_or_default();
    let requires: Vec<&str> = body["requiresCompatibilities"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let launch_type = match requires.as_slice() {
        ["FARGATE"] => "FARGATE",
        ["EXTERNAL"] => "EXTERNAL",
        _ => "EC2",
    };
    let network = if body["networkMode"] == "awsvpc" {
        ", networkConfiguration = { awsvpcConfiguration = { subnets = [\"subnet-a\"] } }"
    } else {
        ""
    };
    format!(
        "{HEADER}{CAPACITY}[[taskDefinitions]]\nfile = '{file}'\n[[timeline]]\nat = \"0s\"\napi = \"RunTask\"\nrequest = {{ taskDefinition = \"{family}\", launchType = \"{launch_type}\"{network} }}\n"
    )
}

/// The paths of the members of `v` whose value is null (`a.b[0].c`).
fn null_members(v: &Value, path: &str, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                if x.is_null() {
                    out.push(p);
                } else {
                    null_members(x, &p, out);
                }
            }
        }
        Value::Array(items) => {
            for (i, x) in items.iter().enumerate() {
                null_members(x, &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn every_real_task_definition_ecs_accepts_runs_as_committed() {
    let Some(dir) = shared("realworld/task-definitions") else {
        return;
    };
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(files.len() >= 40, "{} files", files.len());
    let mut ran = 0;
    for f in files {
        let name = f.file_name().unwrap().to_str().unwrap().to_string();
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
        let toml = one_task(f.to_str().unwrap(), &doc);
        if REFUSED_BY_ECS.contains(&name.as_str()) {
            let e = crate::common::refusal(&toml);
            assert!(!e.is_empty(), "{name}: ECS refuses it, and so should ecsim");
            continue;
        }
        let sc = scenario(&toml);
        let mut nulls = Vec::new();
        null_members(&doc, "", &mut nulls);
        for w in &sc.warnings {
            let w = w.to_string();
            let leaf = |p: &String| p.rsplit('.').next().unwrap_or(p).to_string();
            assert!(
                !nulls
                    .iter()
                    .any(|p| w.contains(&format!("`{}`", leaf(p))) && w.contains(p.as_str())),
                "{name}: a warning about a null member: {w}"
            );
        }
        let (o, _) = run_toml(&toml);
        assert_eq!(o.summary.tasks_placed, 1, "{name}: {}", o.summary.headline());
        ran += 1;
    }
    assert!(ran >= 45, "{ran} ran");
}
