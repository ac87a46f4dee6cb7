//! AWS output pasted as it comes: `aws ecs describe-services` output, a create-service
//! response and a CreateService body all work as `[[services]] file =`.

use crate::common::{assert_mentions, group, memory_def, refusal, run_toml};

/// A cluster `prod` of two m5.large and the task definition `web`, with a services
/// entry reading `file` (from tests/data).
fn scenario(file: &str) -> String {
    format!(
        "name = \"paste\"\nduration = \"1h\"\n[[clusters]]\nclusterName = \"prod\"\n{}userData = \"ECS_CLUSTER=prod\"\n{}[[services]]\nfile = \"{file}\"\n",
        group("g", "m5.large", 2),
        memory_def("web", 128, "")
    )
}

fn data(name: &str) -> String {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
        .display()
        .to_string()
}

#[test]
fn describe_services_output_runs_as_its_services() {
    let (o, _) = run_toml(&scenario(&data("describe-services.json")));
    // web: 3 tasks in cluster prod (from clusterArn), spread over zones as it says.
    assert_eq!(o.services.len(), 1);
    assert_eq!(o.services[0].name, "web");
    assert_eq!(o.summary.tasks_placed, 3);
    assert_eq!(o.cluster_name(o.tasks[0].cluster), "prod");
}

#[test]
fn the_response_members_are_ignored_with_one_warning_each_service() {
    let sc = crate::common::scenario(&scenario(&data("describe-services.json")));
    let warned: Vec<String> = sc.warnings.iter().map(|w| w.to_string()).collect();
    let response: Vec<&String> = warned.iter().filter(|w| w.contains("response members")).collect();
    assert_eq!(response.len(), 1, "{warned:#?}");
    assert_mentions(
        response[0],
        &["describe-services.json", "services[0]", "serviceArn", "runningCount"],
    );
}

#[test]
fn a_create_service_response_and_a_body_work_too() {
    let tmp = tempfile::tempdir().unwrap();
    let described: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(data("describe-services.json")).unwrap()).unwrap();
    let one = &described["services"][0];
    for (name, doc) in [
        ("response.json", serde_json::json!({ "service": one })),
        ("body.json", one.clone()),
    ] {
        let f = tmp.path().join(name);
        std::fs::write(&f, doc.to_string()).unwrap();
        let (o, _) = run_toml(&scenario(f.to_str().unwrap()));
        assert_eq!(o.summary.tasks_placed, 3, "{name}");
    }
}

#[test]
fn a_mistake_in_the_file_names_the_file_and_its_path() {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("bad.json");
    std::fs::write(
        &f,
        r#"{"services": [{"serviceName": "web", "cluster": "prod", "taskDefinition": "nope", "desiredCount": 1}]}"#,
    )
    .unwrap();
    let e = refusal(&scenario(f.to_str().unwrap()));
    assert_mentions(&e, &["bad.json: services[0].taskDefinition", "nope"]);
    let e = refusal(&scenario(f.to_str().unwrap()).replace("file = ", "serviceName = \"x\"\nfile = "));
    assert_mentions(&e, &["services[0].file", "either `file` or the service's members"]);
}

#[test]
fn the_real_world_service_files_load_as_they_are() {
    let Some(dir) = crate::common::shared("realworld/services") else {
        return;
    };
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(files.len() >= 10);
    for f in files {
        // Each is read and checked: no panic, and no complaint about the file's form —
        // only what ECS itself would refuse (a missing name, unknown task definition).
        let e = refusal(&scenario(f.to_str().unwrap()));
        assert!(!e.contains("unknown CreateService member"), "{}: {e}", f.display());
        assert!(!e.contains("invalid type"), "{}: {e}", f.display());
    }
}
