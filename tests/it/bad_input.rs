//! Bad input never panics: each malformed file gets a short error naming the file
//! and the field path, a non-zero exit, and no output folder.

use crate::determinism::ecsim;

const GOOD: &str = r#"name = "bad"
duration = "1h"
[[instanceGroups]]
name = "g"
instanceType = "m5.large"
count = 2
[[taskDefinitions]]
family = "t"
  [[taskDefinitions.containerDefinitions]]
  name = "c"
  image = "x"
  memory = 100
[[services]]
serviceName = "s"
taskDefinition = "t"
desiredCount = 2
placementStrategy = [{ type = "binpack", field = "memory" }]
"#;

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

#[test]
fn the_good_file_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("good.toml");
    std::fs::write(&file, GOOD).unwrap();
    let out = ecsim(&[
        "run",
        file.to_str().unwrap(),
        "--out",
        tmp.path().join("out").to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn an_unknown_field_is_named_with_its_line() {
    let e = fails("s.toml", &GOOD.replace("count = 2", "count = 2\ncolour = \"red\""));
    assert!(
        e.contains("s.toml:7:1: instanceGroups[0].colour: unknown field `colour`"),
        "{e}"
    );
    assert!(e.contains("instanceType"), "lists what is allowed: {e}");
}

#[test]
fn a_wrong_type_is_named() {
    let e = fails("s.toml", &GOOD.replace("desiredCount = 2", "desiredCount = \"two\""));
    assert!(e.contains("services[0].desiredCount"), "{e}");
    assert!(
        e.contains("s.toml:16:16:") && e.contains("expected a whole number"),
        "{e}"
    );
}

#[test]
fn a_negative_count_is_named() {
    let e = fails("s.toml", &GOOD.replace("count = 2", "count = -2"));
    assert!(
        e.contains("instanceGroups[0].count") && e.contains("whole number ≥ 0"),
        "{e}"
    );
    let e = fails("s.toml", &GOOD.replace("desiredCount = 2", "desiredCount = -1"));
    assert!(e.contains("services[0].desiredCount") && e.contains("≥ 0"), "{e}");
}

#[test]
fn an_unknown_instance_type_lists_the_catalogue() {
    let e = fails("s.toml", &GOOD.replace("m5.large", "m5.huge"));
    assert!(
        e.contains("instanceGroups[0].instanceType")
            && e.contains("unknown instance type `m5.huge`")
            && e.contains("m5.{"),
        "{e}"
    );
}

#[test]
fn an_unknown_strategy_type_lists_the_types() {
    let e = fails("s.toml", &GOOD.replace("type = \"binpack\"", "type = \"pack\""));
    assert!(
        e.contains("services[0].placementStrategy[0]") && e.contains("binpack") && e.contains("spread"),
        "{e}"
    );
}

#[test]
fn a_bad_expression_points_at_its_column() {
    let e = fails(
        "s.toml",
        &GOOD.replace(
            "desiredCount = 2",
            "desiredCount = 2\nplacementConstraints = [{ type = \"memberOf\", expression = \"attribute:x is y\" }]",
        ),
    );
    assert!(
        e.contains("services[0].placementConstraints[0].expression") && e.contains("column 13"),
        "{e}"
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
    assert!(e.contains("s.json:2:") && e.contains("instanceGroups[0].count"), "{e}");
}

#[test]
fn a_reference_to_an_unregistered_task_definition_is_named() {
    let e = fails(
        "s.toml",
        &GOOD.replace("taskDefinition = \"t\"", "taskDefinition = \"nope\""),
    );
    assert!(
        e.contains("services[0].taskDefinition") && e.contains("registered families: t"),
        "{e}"
    );
}

#[test]
fn sections_of_later_work_are_refused_clearly() {
    let e = fails(
        "s.toml",
        &GOOD.replace(
            "placementStrategy = [{ type = \"binpack\", field = \"memory\" }]",
            "placementStrategy = [{ type = \"binpack\", field = \"memory\" }]\n[[workloads]]\nname = \"w\"\nrunTask = { taskDefinition = \"t\" }\narrival = { process = \"fixed\", interval = \"1m\" }\ntaskDuration = \"1m\"\ntrace = { format = \"alibaba\", path = \"x.csv\" }",
        ),
    );
    assert!(
        e.contains("workloads[0].trace") && e.contains("not supported yet"),
        "{e}"
    );
}

#[test]
fn a_request_naming_a_missing_cluster_is_refused() {
    let e = fails(
        "s.toml",
        &GOOD.replace("desiredCount = 2", "desiredCount = 2\ncluster = \"prod\""),
    );
    assert!(
        e.contains("services[0].cluster") && e.contains("cluster `prod` does not exist"),
        "{e}"
    );
}

#[test]
fn an_unknown_ecs_member_is_an_error_but_an_unmodelled_one_a_warning() {
    let e = fails(
        "s.toml",
        &GOOD.replace("image = \"x\"", "image = \"x\"\nimagee = \"y\""),
    );
    assert!(
        e.contains("taskDefinitions[0].containerDefinitions[0].imagee")
            && e.contains("unknown ContainerDefinition member"),
        "{e}"
    );
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("w.toml");
    std::fs::write(&file, GOOD.replace("image = \"x\"", "image = \"x\"\nenvironment = []")).unwrap();
    let out = ecsim(&["validate", file.to_str().unwrap()]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning:") && stderr.contains("environment") && stderr.contains("not modelled"),
        "{stderr}"
    );
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
        let e = fails("s.toml", &format!("{GOOD}{extra}"));
        assert!(e.contains(path) && e.contains(message), "{path}: {e}");
    }
    let bad_agent = GOOD.replace(
        "count = 2",
        "count = 2\nuserData = \"ECS_IMAGE_PULL_BEHAVIOR=sometimes\"\niamActions = [\"ecs Poll\"]",
    );
    let e = fails("s.toml", &bad_agent);
    assert!(
        e.contains("ECS_IMAGE_PULL_BEHAVIOR=`sometimes`") && e.contains("iamActions[0]"),
        "{e}"
    );
}
