//! Bad input never panics: each malformed file gets a short error naming the file
//! and the field path, a non-zero exit, and no output folder.

use crate::common::{assert_mentions, ecsim, ecsim_ok, group, memory_def};

/// A valid scenario the tests below break one way each (line numbers matter: count is
/// on line 6, desiredCount on line 16).
fn good() -> String {
    format!(
        "name = \"bad\"\nduration = \"1h\"\n{}{}[[services]]\nserviceName = \"s\"\ntaskDefinition = \"t\"\ndesiredCount = 2\nplacementStrategy = [{{ type = \"binpack\", field = \"memory\" }}]\n",
        group("g", "m5.large", 2),
        memory_def("t", 100, "")
    )
}

/// Runs `ecsim run` on `text` (written as `name`); returns stderr, checking failure
/// and that no output folder appeared.
fn fails(name: &str, text: &str) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join(name);
    std::fs::write(&file, text).unwrap();
    let out_dir = tmp.path().join("out");
    let out = ecsim(&["run", file.to_str().unwrap(), "--out", out_dir.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!out.status.success(), "expected failure for {name}");
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!out_dir.exists(), "an output folder was left behind");
    assert!(stderr.contains(name), "error does not name the file: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

/// Runs [`good`] with `from` replaced by `to`; asserts the refusal mentions each of `needles`.
fn refused(from: &str, to: &str, needles: &[&str]) {
    assert_mentions(&fails("s.toml", &good().replace(from, to)), needles);
}

#[test]
fn the_good_file_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("good.toml");
    std::fs::write(&file, good()).unwrap();
    ecsim_ok("run", file.to_str().unwrap(), &tmp.path().join("out"), &[]);
}

#[test]
fn an_unknown_field_is_named_with_its_line() {
    // The message lists what is allowed.
    refused(
        "count = 2",
        "count = 2\ncolour = \"red\"",
        &[
            "s.toml:7:1: instanceGroups[0].colour: unknown field `colour`",
            "instanceType",
        ],
    );
}

#[test]
fn a_wrong_type_is_named() {
    refused(
        "desiredCount = 2",
        "desiredCount = \"two\"",
        &["services[0].desiredCount", "s.toml:16:16:", "expected a whole number"],
    );
}

#[test]
fn a_negative_count_is_named() {
    refused(
        "count = 2",
        "count = -2",
        &["instanceGroups[0].count", "whole number ≥ 0"],
    );
    refused(
        "desiredCount = 2",
        "desiredCount = -1",
        &["services[0].desiredCount", "≥ 0"],
    );
}

#[test]
fn an_unknown_instance_type_lists_the_catalogue() {
    refused(
        "m5.large",
        "m5.huge",
        &[
            "instanceGroups[0].instanceType",
            "unknown instance type `m5.huge`",
            "m5.{",
        ],
    );
}

#[test]
fn an_unknown_strategy_type_lists_the_types() {
    refused(
        "type = \"binpack\"",
        "type = \"pack\"",
        &["services[0].placementStrategy[0]", "binpack", "spread"],
    );
}

#[test]
fn a_bad_expression_points_at_its_column() {
    refused(
        "desiredCount = 2",
        "desiredCount = 2\nplacementConstraints = [{ type = \"memberOf\", expression = \"attribute:x is y\" }]",
        &["services[0].placementConstraints[0].expression", "column 13"],
    );
}

#[test]
fn a_missing_file_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("out");
    let out = ecsim(&["run", "no/such/file.toml", "--out", out_dir.to_str().unwrap()]);
    let e = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(e.contains("no/such/file.toml: cannot read: no such file"), "{e}");
    assert!(!out_dir.exists());
}

#[test]
fn json_errors_carry_line_and_column_too() {
    let e = fails(
        "s.json",
        "{\"name\": \"x\", \"duration\": \"1h\",\n \"instanceGroups\": [{\"name\": \"g\", \"instanceType\": \"m5.large\", \"count\": true}]}",
    );
    assert_mentions(&e, &["s.json:2:", "instanceGroups[0].count"]);
}

#[test]
fn a_reference_to_an_unregistered_task_definition_is_named() {
    refused(
        "taskDefinition = \"t\"",
        "taskDefinition = \"nope\"",
        &["services[0].taskDefinition", "registered families: t"],
    );
}

#[test]
fn a_request_naming_a_missing_cluster_is_refused() {
    refused(
        "desiredCount = 2",
        "desiredCount = 2\ncluster = \"prod\"",
        &["services[0].cluster", "cluster `prod` does not exist"],
    );
}

#[test]
fn an_unknown_ecs_member_is_an_error_but_an_unmodelled_one_a_warning() {
    refused(
        "image = \"x\"",
        "image = \"x\"\nimagee = \"y\"",
        &[
            "taskDefinitions[0].containerDefinitions[0].imagee",
            "unknown ContainerDefinition member",
        ],
    );
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("w.toml");
    std::fs::write(
        &file,
        good().replace("image = \"x\"", "image = \"x\"\nenvironment = []"),
    )
    .unwrap();
    let out = ecsim(&["validate", file.to_str().unwrap()]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_mentions(&stderr, &["warning:", "environment", "not modelled"]);
}

#[test]
fn services_over_time_inputs_are_checked_with_their_paths() {
    let cases: [(&str, &str, &str); 11] = [
        (
            "[[clusters]]\nclusterName = \"default\"\ncolour = 1\n",
            "clusters[0].colour",
            "unknown CreateCluster member",
        ),
        (
            "[[services]]\nserviceName = \"r\"\ntaskDefinition = \"t\"\ndesiredCount = 1\ndeploymentConfiguration = { deploymentCircuitBreaker = { enable = true, rollbak = true } }\n",
            "services[1].deploymentConfiguration.deploymentCircuitBreaker.rollbak",
            "unknown DeploymentCircuitBreaker member",
        ),
        (
            "[[timeline]]\nat = \"1m\"\napi = \"UpdateService\"\nrequest = { service = \"nope\", desiredCount = 1 }\n",
            "timeline[0].request.service",
            "does not exist at that time",
        ),
        (
            "[[faults]]\nat = \"1m\"\ntype = \"azOutage\"\navailabilityZone = \"us-east-1a\"\n",
            "faults[0].duration",
            "type azOutage needs a duration",
        ),
        (
            "[[faults]]\nat = \"1m\"\ntype = \"instanceFailure\"\nec2InstanceId = \"i-unknown\"\n",
            "faults[0].ec2InstanceId",
            "names an instance",
        ),
        (
            "[[timeline]]\nat = \"1m\"\napi = \"RegisterContainerInstance\"\nrequest = { instanceIdentityDocument = \"{}\" }\n",
            "timeline[0].request.instanceIdentityDocument",
            "instanceId, instanceType and availabilityZone",
        ),
        (
            "[[timeline]]\nat = \"1m\"\napi = \"UpdateContainerInstancesState\"\nrequest = { containerInstances = [\"g-1\"] }\n",
            "timeline[0].request.status",
            "ACTIVE or DRAINING",
        ),
        (
            "[[timeline]]\nat = \"1m\"\napi = \"DescribeServices\"\nrequest = {}\n",
            "timeline[0].api",
            "unknown variant",
        ),
        (
            "[[services]]\nserviceName = \"d\"\ntaskDefinition = \"t\"\nschedulingStrategy = \"DAEMON\"\nplacementStrategy = [{ type = \"random\" }]\n",
            "services[1].placementStrategy",
            "not supported with the DAEMON",
        ),
        (
            "[[services]]\nserviceName = \"r\"\ntaskDefinition = \"t\"\ndesiredCount = 1\ndeploymentConfiguration = { minimumHealthyPercent = 150 }\n",
            "services[1].deploymentConfiguration.minimumHealthyPercent",
            "0–100",
        ),
        (
            "[[timeline]]\nat = \"1m\"\napi = \"DeleteService\"\nrequest = { service = \"s\", cluster = \"other\" }\n",
            "timeline[0].request.cluster",
            "cluster `other` does not exist",
        ),
    ];
    for (extra, path, message) in cases {
        assert_mentions(&fails("s.toml", &format!("{}{extra}", good())), &[path, message]);
    }
    refused(
        "count = 2",
        "count = 2\nuserData = \"ECS_IMAGE_PULL_BEHAVIOR=sometimes\"\niamActions = [\"ecs Poll\"]",
        &["ECS_IMAGE_PULL_BEHAVIOR=`sometimes`", "iamActions[0]"],
    );
}

#[test]
fn a_problem_inside_a_referenced_json_file_names_that_file() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("td.json"),
        r#"{"family": "t", "containerDefinitions": [{"name": "c", "image": "x", "memory": 64, "colour": 1}]}"#,
    )
    .unwrap();
    let file = tmp.path().join("s.toml");
    std::fs::write(
        &file,
        good().replacen(
            "[[taskDefinitions]]\nfamily = \"t\"",
            "[[taskDefinitions]]\nfile = \"td.json\"\n[[taskDefinitions]]\nfamily = \"u\"",
            1,
        ),
    )
    .unwrap();
    let out = ecsim(&["validate", file.to_str().unwrap()]);
    let e = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert_mentions(
        &e,
        &["td.json: containerDefinitions[0].colour: unknown ContainerDefinition member"],
    );
}

#[test]
fn a_missing_service_name_is_called_missing() {
    refused(
        "serviceName = \"s\"\n",
        "",
        &["services[0].serviceName: missing: CreateService needs a serviceName"],
    );
}
