//! Ports and network interfaces, as ECS documents them (ecs-semantics.md §3).

use crate::common::*;

/// One c5.large (trunked or not) and two RunTask calls of `first` and `second` tiny
/// awsvpc tasks.
fn c5_large_runs(trunking: bool, first: u32, second: u32) -> (ecsim::sim::Outcome, ecsim::sim::journal::Collect) {
    run_toml(&format!(
        "{HEADER}{}awsvpcTrunking = {trunking}\n{}{}{}",
        group("c5", "c5.large", 1),
        def(
            "v",
            "networkMode = \"awsvpc\"",
            "name = \"c\"\nimage = \"x\"\ncpu = 10\nmemory = 10"
        ),
        run_task("v", first),
        run_task("v", second)
    ))
}

fn run_task(family: &str, count: u32) -> String {
    format!(
        "[[timeline]]\nat = \"0s\"\napi = \"RunTask\"\nrequest = {{ taskDefinition = \"{family}\", count = {count} }}\n"
    )
}

#[test]
fn a_c5_large_runs_two_awsvpc_tasks_without_trunking() {
    let (o, rec) = c5_large_runs(false, 5, 5);
    assert_eq!(o.summary.tasks_placed, 2);
    assert_eq!(failure_reasons(&rec), vec!["RESOURCE:ENI"; 8]);
    assert_eq!(o.summary.get("placementFailures[RESOURCE:ENI]").as_deref(), Some("8"));
}

#[test]
fn a_trunked_c5_large_runs_ten() {
    let (o, rec) = c5_large_runs(true, 10, 2);
    assert_eq!(o.summary.tasks_placed, 10);
    assert_eq!(failure_reasons(&rec), vec!["RESOURCE:ENI"; 2]);
    let trunk = o
        .cluster
        .attribute_str(ecsim::ecs::cluster::InstanceId(0), "ecs.awsvpc-trunk-id")
        .unwrap();
    assert!(trunk.starts_with("eni-"), "{trunk}");
}

#[test]
fn trunking_an_unsupported_type_is_an_error() {
    let toml = format!(
        "{HEADER}[[instanceGroups]]\nname = \"t\"\ninstanceType = \"t3.large\"\ncount = 1\nawsvpcTrunking = true\n"
    );
    let e = refusal(&toml);
    assert_mentions(&e, &["instanceGroups[0].awsvpcTrunking", "t3.large does not support"]);
}

fn port_def(family: &str, mappings: &str, mode: &str) -> String {
    format!(
        "[[taskDefinitions]]\nfamily = \"{family}\"\nnetworkMode = \"{mode}\"\n[[taskDefinitions.containerDefinitions]]\nname = \"c\"\nimage = \"x\"\ncpu = 10\nmemory = 10\nportMappings = [{mappings}]\n"
    )
}

#[test]
fn static_host_ports_conflict_and_dynamic_ones_do_not() {
    let toml = format!(
        "{HEADER}{}{}{}{}{}",
        instance("i1", "us-east-1a", 4096, 8000, ""),
        port_def("static", "{ containerPort = 80, hostPort = 8080 }", "bridge"),
        port_def(
            "dynamic",
            "{ containerPort = 80 }, { containerPort = 443, hostPort = 0 }",
            "bridge"
        ),
        run_task("static", 3),
        run_task("dynamic", 10),
    );
    let (o, rec) = run_toml(&toml);
    assert_eq!(o.summary.tasks_placed, 11);
    assert_eq!(failure_reasons(&rec), vec!["RESOURCE:PORTS"; 2]);
    assert_eq!(o.cluster.instance(ecsim::ecs::cluster::InstanceId(0)).dynamic_ports, 20);
}

#[test]
fn host_mode_runs_one_copy_per_instance() {
    let toml = format!(
        "{HEADER}{}{}{}{}",
        instance("i1", "us-east-1a", 4096, 8000, ""),
        instance("i2", "us-east-1a", 4096, 8000, ""),
        port_def("h", "{ containerPort = 9000 }", "host"),
        run_task("h", 3),
    );
    let (o, rec) = run_toml(&toml);
    assert_eq!(live_per_instance(&o), vec![("i1".into(), 1), ("i2".into(), 1)]);
    assert_eq!(failure_reasons(&rec), vec!["RESOURCE:PORTS"]);
}

#[test]
fn the_agents_reserved_ports_are_taken() {
    let toml = format!(
        "{HEADER}{}{}{}{}{}",
        instance(
            "i1",
            "us-east-1a",
            4096,
            8000,
            "userData = \"ECS_RESERVED_PORTS=[22, 2375, 2376, 51678, 51679, 9100]\""
        ),
        port_def("ssh", "{ containerPort = 22, hostPort = 22 }", "bridge"),
        port_def("node", "{ containerPort = 9100, hostPort = 9100 }", "bridge"),
        run_task("ssh", 1),
        run_task("node", 1),
    );
    let (_, rec) = run_toml(&toml);
    assert_eq!(failure_reasons(&rec), vec!["RESOURCE:PORTS"; 2]);
}

#[test]
fn at_most_100_reserved_ports() {
    // 5 default reserved ports + 95 static ports = 100: fits; one more does not.
    let ports = |from: u16, n: u16| {
        (from..from + n)
            .map(|p| format!("{{ containerPort = {p}, hostPort = {p} }}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let toml = format!(
        "{HEADER}{}{}{}{}{}",
        instance("i1", "us-east-1a", 4096, 8000, ""),
        port_def("many", &ports(10000, 95), "bridge"),
        port_def("one", &ports(20000, 1), "bridge"),
        run_task("many", 1),
        run_task("one", 1),
    );
    let (o, rec) = run_toml(&toml);
    assert_eq!(o.summary.tasks_placed, 1);
    assert_eq!(failure_reasons(&rec), vec!["RESOURCE:PORTS"]);
}
