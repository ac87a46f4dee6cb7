//! Issue 11: ecsim against ECS's documented behaviour, one test per difference found.

use crate::common::*;

const A: &str = "us-east-1a";
const B: &str = "us-east-1b";

fn run_task(family: &str, count: u32, extra: &str) -> String {
    format!(
        "[[timeline]]\nat = \"0s\"\napi = \"RunTask\"\nrequest = {{ taskDefinition = \"{family}\", count = {count}{extra} }}\n"
    )
}

#[test]
fn a_member_of_regex_keeps_its_brackets_and_groups() {
    for expression in [
        "ec2InstanceId =~ i-0[a-c].*",
        "attribute:ecs.instance-type =~ (m5|c5)\\\\..* and ec2InstanceId =~ i-0[a-c].*",
    ] {
        let toml = format!(
            "{HEADER}{}{}{}{}",
            instance("i-0abc", A, 4096, 8192, ""),
            instance("i-0xyz", A, 4096, 8192, ""),
            task_def("t", 100, 100),
            run_task(
                "t",
                3,
                &format!(", placementConstraints = [{{ type = \"memberOf\", expression = \"{expression}\" }}]")
            ),
        );
        let (o, _) = run_toml(&toml);
        assert_eq!(placements(&o), ["i-0abc"; 3], "{expression}");
    }
}

#[test]
fn a_service_that_cannot_place_names_the_closest_instance_as_ecs_does() {
    let toml = format!(
        "{HEADER}{}{}[[services]]\nserviceName = \"web\"\ntaskDefinition = \"t\"\ndesiredCount = 2\n",
        instance("i-1", A, 1024, 8192, ""),
        task_def("t", 1000, 100),
    );
    let (_, rec) = run_toml(&toml);
    let events = service_events(&rec, "SERVICE_TASK_PLACEMENT_FAILURE");
    let message = events[0]["detail"]["message"].as_str().unwrap_or_default().to_string();
    assert!(
        message.starts_with("(service web) was unable to place a task because no container instance met all of its requirements. The closest matching (container-instance ")
            && message.ends_with(") has insufficient CPU units available."),
        "{events:?}"
    );
}

#[test]
fn a_fargate_task_definition_of_an_invalid_size_is_refused_at_registration() {
    let bad = "networkMode = \"awsvpc\"\ncpu = \"256\"\nmemory = \"4096\"\nrequiresCompatibilities = [\"FARGATE\"]";
    let e = refusal(&format!("{HEADER}{}", def("f", bad, "name = \"c\"\nimage = \"x\"")));
    assert_mentions(&e, &["memory", "requiresCompatibilities FARGATE", "512, 1024, 2048"]);
    let bridge = "cpu = \"256\"\nmemory = \"512\"\nrequiresCompatibilities = [\"FARGATE\"]";
    let e = refusal(&format!("{HEADER}{}", def("f", bridge, "name = \"c\"\nimage = \"x\"")));
    assert_mentions(&e, &["networkMode", "awsvpc"]);
    // The same size without FARGATE is an EC2 definition, and fine.
    let ec2 = "networkMode = \"awsvpc\"\ncpu = \"256\"\nmemory = \"4096\"";
    assert_eq!(
        refusal(&format!("{HEADER}{}", def("f", ec2, "name = \"c\"\nimage = \"x\""))),
        ""
    );
    // On the timeline, the RegisterTaskDefinition call is refused where it stands.
    let call = "[[timeline]]\nat = \"10s\"\napi = \"RegisterTaskDefinition\"\nrequest = { family = \"f\", networkMode = \"awsvpc\", cpu = \"256\", memory = \"4096\", requiresCompatibilities = [\"FARGATE\"], containerDefinitions = [{ name = \"c\", image = \"x\" }] }\n";
    assert_mentions(
        &refusal(&format!("{HEADER}{call}")),
        &["timeline[0].request.memory", "FARGATE"],
    );
}

/// Writes `json` to `name` in a new temporary folder.
fn json_file(name: &str, json: serde_json::Value) -> (tempfile::TempDir, String) {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join(name);
    std::fs::write(&f, json.to_string()).unwrap();
    let path = f.display().to_string();
    (tmp, path)
}

#[test]
fn pasted_describe_output_keeps_its_revision_and_its_nulls_are_absent() {
    let described = serde_json::json!({ "taskDefinition": {
        "taskDefinitionArn": "arn:aws:ecs:us-east-1:123456789012:task-definition/web:7",
        "family": "web", "revision": 7, "status": "ACTIVE",
        "networkMode": null, "ipcMode": null, "pidMode": null, "proxyConfiguration": null,
        "containerDefinitions": [{ "name": "c", "image": "x", "memory": 128, "cpu": null,
                                   "portMappings": [], "healthCheck": null }]
    }});
    let (_tmp, f) = json_file("web.json", described);
    let service = |td: &str| {
        format!(
            "{HEADER}{}[[taskDefinitions]]\nfile = \"{f}\"\n[[services]]\nserviceName = \"s\"\ntaskDefinition = \"{td}\"\ndesiredCount = 2\n",
            instance("i-1", A, 4096, 8192, "")
        )
    };
    let sc = scenario(&service("web:7"));
    let warned: Vec<String> = sc.warnings.iter().map(|w| w.to_string()).collect();
    assert_eq!(warned.len(), 1, "{warned:#?}");
    assert_mentions(&warned[0], &["taskDefinitionArn, status"]);
    assert!(!warned[0].contains("revision"), "{warned:#?}");
    let (o, _) = run_toml(&service("web:7"));
    assert_eq!(o.summary.tasks_placed, 2);
    assert_mentions(&refusal(&service("web:3")), &["`web` has revisions 7, not 3"]);
}

#[test]
fn instance_attributes_take_the_api_list_form_too() {
    for attributes in [
        "attributes = { tier = \"gpu\" }",
        "attributes = [{ name = \"tier\", value = \"gpu\" }]",
    ] {
        let toml = format!(
            "{HEADER}{}{}{}{}",
            instance("i-gpu", A, 4096, 8192, attributes),
            instance("i-plain", B, 4096, 8192, ""),
            task_def("t", 100, 100),
            run_task(
                "t",
                2,
                ", placementConstraints = [{ type = \"memberOf\", expression = \"attribute:tier == gpu\" }]"
            ),
        );
        let (o, _) = run_toml(&toml);
        assert_eq!(placements(&o), ["i-gpu"; 2], "{attributes}");
    }
    let e = refusal(&format!(
        "{HEADER}{}",
        instance("i-1", A, 4096, 8192, "attributes = [{ value = \"x\" }]")
    ));
    assert_mentions(&e, &["attributes", "an attribute needs a name"]);
}

/// Two subnets in zones a and b, FARGATE and FARGATE_SPOT associated with the default
/// strategy `default`, and the Fargate task definition `api`.
fn fargate_cluster(default: &str) -> String {
    format!(
        "{HEADER}[[subnets]]\nsubnetId = \"subnet-a\"\navailabilityZone = \"{A}\"\n[[subnets]]\nsubnetId = \"subnet-b\"\navailabilityZone = \"{B}\"\n[clusterCapacityProviders]\ncapacityProviders = [\"FARGATE\", \"FARGATE_SPOT\"]\ndefaultCapacityProviderStrategy = {default}\n{}",
        fargate_def("api", 256, 512)
    )
}

/// A Fargate service `api` of `desired` tasks over both subnets, with extra members.
fn fargate_service(desired: u32, extra: &str) -> String {
    format!(
        "[[services]]\nserviceName = \"api\"\ntaskDefinition = \"api\"\ndesiredCount = {desired}\nnetworkConfiguration = {{ awsvpcConfiguration = {{ subnets = [\"subnet-a\", \"subnet-b\"] }} }}\n{extra}\n"
    )
}

#[test]
fn a_default_strategy_of_zero_weights_fails_only_the_requests_that_fall_back_on_it() {
    let zero = "[{ capacityProvider = \"FARGATE\", weight = 0 }, { capacityProvider = \"FARGATE_SPOT\", weight = 0 }]";
    let own = "capacityProviderStrategy = [{ capacityProvider = \"FARGATE\", weight = 1 }]";
    let (o, _) = run_toml(&(fargate_cluster(zero) + &fargate_service(2, own)));
    assert_eq!(o.summary.tasks_placed, 2);
    let e = refusal(&(fargate_cluster(zero) + &fargate_service(2, "")));
    assert_mentions(
        &e,
        &[
            "services[0]",
            "default capacity provider strategy",
            "weight greater than 0",
        ],
    );
    // A request's own strategy of zero weights is refused as before.
    let e = refusal(
        &(fargate_cluster("[]")
            + &fargate_service(
                2,
                "capacityProviderStrategy = [{ capacityProvider = \"FARGATE\" }, { capacityProvider = \"FARGATE_SPOT\" }]",
            )),
    );
    assert_mentions(&e, &["capacityProviderStrategy", "weight greater than 0"]);
}

#[test]
fn fargate_and_fargate_spot_each_spread_over_the_zones() {
    let both = "capacityProviderStrategy = [{ capacityProvider = \"FARGATE\", weight = 1 }, { capacityProvider = \"FARGATE_SPOT\", weight = 1 }]";
    let (o, _) = run_toml(&(fargate_cluster("[]") + &fargate_service(4, both)));
    let mut per = std::collections::BTreeMap::new();
    for t in &o.tasks {
        let zone = o
            .cluster
            .symbols
            .resolve(t.zone.expect("a Fargate task has a zone"))
            .to_string();
        *per.entry((o.provider_name(t.pool).to_string(), zone)).or_insert(0) += 1;
    }
    let want: std::collections::BTreeMap<(String, String), i32> = [
        (("FARGATE".to_string(), A.to_string()), 1),
        (("FARGATE".to_string(), B.to_string()), 1),
        (("FARGATE_SPOT".to_string(), A.to_string()), 1),
        (("FARGATE_SPOT".to_string(), B.to_string()), 1),
    ]
    .into();
    assert_eq!(per, want);
}

#[test]
fn a_task_eni_shortage_counts_as_resource_eni_for_services_too() {
    // m5.xlarge: 4 network interfaces, one the instance's own → 3 awsvpc tasks.
    let toml = format!(
        "{HEADER}[[subnets]]\nsubnetId = \"subnet-a\"\navailabilityZone = \"{A}\"\n{}{}[[services]]\nserviceName = \"api\"\ntaskDefinition = \"api\"\ndesiredCount = 5\nnetworkConfiguration = {{ awsvpcConfiguration = {{ subnets = [\"subnet-a\"] }} }}\n",
        group("g", "m5.xlarge", 1),
        def(
            "api",
            "networkMode = \"awsvpc\"",
            "name = \"c\"\nimage = \"x\"\ncpu = 10\nmemory = 10"
        ),
    );
    let (o, _) = run_toml(&toml);
    assert_eq!(o.summary.tasks_placed, 3);
    let eni = o.summary.get("servicePlacementFailures[RESOURCE:ENI]").unwrap();
    assert!(eni.parse::<u64>().unwrap() >= 1, "{eni}");
    assert_eq!(
        o.summary.service_placement_failures.total(),
        eni.parse::<u64>().unwrap()
    );
    assert!(
        o.summary.headline().contains("placement failures: RESOURCE:ENI"),
        "{}",
        o.summary.headline()
    );
}

#[test]
fn auto_scaling_groups_take_awsvpc_trunking() {
    // Trunked m5.xlarge hold 10 awsvpc tasks (the catalogue's trunkTasks), not 3.
    let toml = format!(
        "{HEADER}[[subnets]]\nsubnetId = \"subnet-a\"\navailabilityZone = \"{A}\"\n[[autoScalingGroups]]\nname = \"asg\"\ninstanceType = \"m5.xlarge\"\nminSize = 1\nmaxSize = 1\ndesiredCapacity = 1\nawsvpcTrunking = true\nlaunchLatency = \"0s\"\n{}[[services]]\nserviceName = \"api\"\ntaskDefinition = \"api\"\ndesiredCount = 8\nnetworkConfiguration = {{ awsvpcConfiguration = {{ subnets = [\"subnet-a\"] }} }}\n",
        def(
            "api",
            "networkMode = \"awsvpc\"",
            "name = \"c\"\nimage = \"x\"\ncpu = 10\nmemory = 10"
        ),
    );
    let (o, _) = run_toml(&toml);
    assert_eq!(o.summary.tasks_placed, 8);
    assert!(
        o.cluster
            .attribute_pairs(o.tasks[0].instance.unwrap())
            .iter()
            .any(|(k, _)| *k == "ecs.awsvpc-trunk-id")
    );
}

#[test]
fn instances_csv_says_when_billing_started_and_ended_and_how_each_instance_was_bought() {
    let register = "[[timeline]]\nat = \"10m\"\napi = \"RegisterContainerInstance\"\nrequest = { instanceIdentityDocument = '{\"instanceId\": \"i-late\", \"instanceType\": \"m5.xlarge\", \"availabilityZone\": \"us-east-1a\"}' }\n";
    let spot = "[[autoScalingGroups]]\nname = \"spot\"\ninstanceType = \"m5.large\"\nminSize = 1\nmaxSize = 1\ndesiredCapacity = 1\nspot = true\nlaunchLatency = \"30s\"\n";
    let toml = format!("{HEADER}{}{spot}{register}", group("g", "m5.xlarge", 1));
    let (o, _) = run_toml(&toml);
    let rows = ecsim::output::instance_rows(&o);
    let row = |id: &str| {
        rows.iter()
            .find(|r| r.ec2_instance_id == id)
            .unwrap_or_else(|| panic!("{id}"))
    };
    let late = row("i-late");
    assert_eq!(
        (late.registered_at.as_str(), late.launched_at.as_str()),
        ("600.000", "600.000")
    );
    assert_eq!(late.billing_ended_at, "3600.000");
    assert_eq!(late.purchase_option, "on-demand");
    // Its cost follows from the file: hourly × billed hours.
    let hours = (3600.0 - 600.0) / 3600.0;
    let hourly: f64 = late.hourly_usd.parse().unwrap();
    assert_eq!(late.cost_usd, format!("{:.4}", hourly * hours));
    let s = rows.iter().find(|r| r.instance_group == "spot").unwrap();
    assert_eq!(s.purchase_option, "spot");
    assert_eq!(s.launched_at, "0.000");
    assert_eq!(row("g-1").purchase_option, "on-demand");
}

/// A managed-scaling provider `cp` over Auto Scaling group `asg` of m5.large (2048 CPU
/// units), `initial` instances at first, with `scaling` members, and whole-instance
/// task definition `b`.
fn managed_asg(initial: u32, scaling: &str) -> String {
    format!(
        "{HEADER}[[autoScalingGroups]]\nname = \"asg\"\ninstanceType = \"m5.large\"\nminSize = 0\nmaxSize = 10\ndesiredCapacity = {initial}\nlaunchLatency = \"90s\"\n[[capacityProviders]]\nname = \"cp\"\nautoScalingGroupProvider = {{ autoScalingGroupArn = \"asg\", managedScaling = {{ status = \"ENABLED\", targetCapacity = 100{scaling} }} }}\n[clusterCapacityProviders]\ncapacityProviders = [\"cp\"]\ndefaultCapacityProviderStrategy = [{{ capacityProvider = \"cp\", weight = 1 }}]\n{}",
        task_def("b", 2048, 100)
    )
}

#[test]
fn warm_up_blocks_scale_out_from_launch() {
    let service = "[[services]]\nserviceName = \"s\"\ntaskDefinition = \"b\"\ndesiredCount = 3\n";
    let (o, _) = run_toml(&(managed_asg(0, ", maximumScalingStepSize = 2") + service));
    let desired = column(&o, "desiredCapacity[asg]");
    let at = |secs: u64| desired.iter().find(|(t, _)| *t == secs).unwrap().1.clone();
    // The first tick (60 s) launches 2 (the step); the third instance waits until the
    // two are 300 s past their launch, at 360 s.
    assert_eq!(at(60), "2");
    for t in [120, 180, 240, 300] {
        assert_eq!(at(t), "2", "at {t}s");
    }
    assert_eq!(at(360), "3");
    let mut launched: Vec<u64> = ecsim::output::instance_rows(&o)
        .iter()
        .map(|r| r.launched_at.parse::<f64>().unwrap() as u64)
        .collect();
    launched.sort();
    assert_eq!(launched, [60, 60, 360]);
    assert_eq!(o.summary.tasks_started, 3);
}

#[test]
fn daemon_tasks_do_not_keep_an_instance_busy() {
    let services = format!(
        "{}[[services]]\nserviceName = \"logs\"\ntaskDefinition = \"d\"\nschedulingStrategy = \"DAEMON\"\nlaunchType = \"EC2\"\n[[services]]\nserviceName = \"web\"\ntaskDefinition = \"w\"\ndesiredCount = 2\nplacementConstraints = [{{ type = \"distinctInstance\" }}]\n",
        task_def("d", 64, 64) + &task_def("w", 512, 256)
    );
    let toml = managed_asg(3, "").replace(
        "managedScaling",
        "managedTerminationProtection = \"ENABLED\", managedScaling",
    ) + &services;
    let (o, _) = run_toml(&toml);
    let reservation = column(&o, "capacityProviderReservation[cp]");
    let at = |secs: u64| reservation.iter().find(|(t, _)| *t == secs).unwrap().1.clone();
    assert_eq!(at(120), "66.67");
    let desired = column(&o, "desiredCapacity[asg]");
    let d = |secs: u64| desired.iter().find(|(t, _)| *t == secs).unwrap().1.clone();
    assert_eq!(d(14 * 60), "3");
    assert_eq!(d(16 * 60), "2");
    // The instance that went is the one running only the daemon's task.
    let rows = ecsim::output::instance_rows(&o);
    let gone: Vec<_> = rows.iter().filter(|r| !r.deregistered_at.is_empty()).collect();
    assert_eq!(gone.len(), 1);
    let web = ecsim::sim::ids::ServiceId(1);
    let web_hosts: Vec<String> = o
        .tasks
        .iter()
        .filter(|t| t.origin == ecsim::sim::task::Origin::Service(web))
        .map(|t| o.cluster.instance(t.instance.unwrap()).spec.ec2_instance_id.clone())
        .collect();
    assert_eq!(web_hosts.len(), 2);
    assert!(!web_hosts.contains(&gone[0].ec2_instance_id), "{web_hosts:?}");
}

#[test]
fn a_run_task_client_token_conflicts_with_the_first_tasks_and_is_scoped_per_cluster() {
    let call = |at: &str, cluster: &str, count: u32| {
        format!(
            "[[timeline]]\nat = \"{at}\"\napi = \"RunTask\"\nrequest = {{ cluster = \"{cluster}\", taskDefinition = \"t\", count = {count}, clientToken = \"tok-1\" }}\n"
        )
    };
    let toml = format!(
        "{HEADER}[[clusters]]\nclusterName = \"prod\"\n[[clusters]]\nclusterName = \"test\"\n{}userData = \"ECS_CLUSTER=prod\"\n{}userData = \"ECS_CLUSTER=test\"\n{}{}{}{}",
        group("p", "m5.xlarge", 1),
        group("q", "m5.xlarge", 1),
        task_def("t", 100, 100),
        call("0s", "prod", 2),
        call("1m", "prod", 3),
        call("2m", "test", 2),
    );
    let (o, rec) = run_toml(&toml);
    // The first and the other cluster's call start tasks; the second conflicts.
    assert_eq!(o.summary.tasks_placed, 4);
    let calls: Vec<&serde_json::Value> = rec.events.iter().filter(|e| e["eventName"] == "RunTask").collect();
    assert_eq!(calls.len(), 3);
    let first: Vec<&serde_json::Value> = calls[0]["responseElements"]["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| &t["taskArn"])
        .collect();
    assert_eq!(calls[1]["errorCode"], "ConflictException", "{}", calls[1]);
    let ids: Vec<&serde_json::Value> = calls[1]["responseElements"]["resourceIds"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    assert_eq!(ids, first);
    assert!(calls[2].get("errorCode").is_none(), "{}", calls[2]);
    assert_eq!(calls[2]["responseElements"]["tasks"].as_array().unwrap().len(), 2);
}

#[test]
fn gpu_tasks_reserve_whole_gpus_on_gpu_instances_only() {
    let gpu_def = def(
        "train",
        "",
        "name = \"c\"\nimage = \"x\"\ncpu = 1024\nmemory = 1024\nresourceRequirements = [{ type = \"GPU\", value = \"2\" }]",
    );
    let toml = format!(
        "{HEADER}{}{}{gpu_def}{}",
        group("plain", "m5.4xlarge", 2),
        group("gpu", "p3.8xlarge", 1),
        run_task("train", 3, "")
    );
    let (o, rec) = run_toml(&toml);
    // p3.8xlarge has 4 GPUs: two tasks of 2; the third finds no GPUs anywhere.
    assert_eq!(placements(&o), ["gpu-1", "gpu-1"]);
    assert_eq!(failure_reasons(&rec), ["RESOURCE:GPU"]);
    assert_eq!(o.summary.get("placementFailures[RESOURCE:GPU]").as_deref(), Some("1"));
    // GPUs are refused on Fargate, and a GPU count must be whole.
    let bad = def(
        "f",
        "networkMode = \"awsvpc\"\ncpu = \"1024\"\nmemory = \"2048\"\nrequiresCompatibilities = [\"FARGATE\"]",
        "name = \"c\"\nimage = \"x\"\nresourceRequirements = [{ type = \"GPU\", value = \"1\" }]",
    );
    assert_mentions(&refusal(&format!("{HEADER}{bad}")), &["not supported on Fargate"]);
    let half = def(
        "h",
        "",
        "name = \"c\"\nimage = \"x\"\nmemory = 64\nresourceRequirements = [{ type = \"GPU\", value = \"0.5\" }]",
    );
    assert_mentions(
        &refusal(&format!("{HEADER}{half}")),
        &["resourceRequirements[0].value", "whole number of GPUs"],
    );
}

#[test]
fn an_arm64_task_lands_only_on_graviton_instances_and_fargate_prices_it_as_arm() {
    let arm = |family: &str| {
        def(
            family,
            "runtimePlatform = { cpuArchitecture = \"ARM64\", operatingSystemFamily = \"LINUX\" }",
            "name = \"c\"\nimage = \"x\"\ncpu = 256\nmemory = 256",
        )
    };
    let (o, _) = run_toml(&format!(
        "{HEADER}{}{}{}{}",
        group("x86", "m5.xlarge", 2),
        group("arm", "m6g.xlarge", 1),
        arm("a"),
        run_task("a", 4, "")
    ));
    assert_eq!(placements(&o), ["arm-1"; 4]);
    let (_, rec) = run_toml(&format!(
        "{HEADER}{}{}{}",
        group("x86", "m5.xlarge", 2),
        arm("a"),
        run_task("a", 1, "")
    ));
    assert_eq!(failure_reasons(&rec), ["ATTRIBUTE"]);
    let windows = def(
        "w",
        "runtimePlatform = { operatingSystemFamily = \"WINDOWS_SERVER_2022_CORE\" }",
        "name = \"c\"\nimage = \"x\"\nmemory = 64",
    );
    let (_, rec) = run_toml(&format!(
        "{HEADER}{}{windows}{}",
        group("x86", "m5.xlarge", 1),
        run_task("w", 1, "")
    ));
    assert_eq!(failure_reasons(&rec), ["ATTRIBUTE"]);
    let e = refusal(&format!(
        "{HEADER}{}",
        def(
            "b",
            "runtimePlatform = { cpuArchitecture = \"arm\" }",
            "name = \"c\"\nimage = \"x\"\nmemory = 64"
        )
    ));
    assert_mentions(&e, &["runtimePlatform.cpuArchitecture", "X86_64 or ARM64"]);

    // Fargate: the same task costs the ARM price; FARGATE_SPOT refuses ARM64.
    let fargate = |platform: &str, provider: &str| {
        let body = def(
            "api2",
            &format!(
                "networkMode = \"awsvpc\"\ncpu = \"1024\"\nmemory = \"2048\"\nrequiresCompatibilities = [\"FARGATE\"]{platform}"
            ),
            "name = \"c\"\nimage = \"x\"",
        );
        fargate_cluster("[]")
            + &body
            + &fargate_service(
                1,
                &format!("capacityProviderStrategy = [{{ capacityProvider = \"{provider}\", weight = 1 }}]"),
            )
            .replace("taskDefinition = \"api\"", "taskDefinition = \"api2\"")
    };
    let arm_platform = "\nruntimePlatform = { cpuArchitecture = \"ARM64\" }";
    let cost = |toml: String| run_toml(&toml).0.summary.cost_usd;
    let (x86, arm) = (cost(fargate("", "FARGATE")), cost(fargate(arm_platform, "FARGATE")));
    let want = (0.03238 + 2.0 * 0.00356) / (0.04048 + 2.0 * 0.004445);
    assert!((arm / x86 - want).abs() < 1e-9, "{arm} / {x86} vs {want}");
    assert_mentions(
        &refusal(&fargate(arm_platform, "FARGATE_SPOT")),
        &["ARM64", "FARGATE_SPOT"],
    );
}

#[test]
fn call_records_carry_the_response_elements_ecs_returns() {
    let register = "[[timeline]]\nat = \"10s\"\napi = \"RegisterTaskDefinition\"\nrequest = { family = \"t\", cpu = \"256\", memory = \"512\", containerDefinitions = [{ name = \"c\", image = \"x\" }] }\n";
    let run = "[[timeline]]\nat = \"20s\"\napi = \"RunTask\"\nrequest = { taskDefinition = \"t:2\", count = 10 }\n";
    let toml = format!(
        "{HEADER}{}{}{register}{run}",
        instance("i-1", A, 1024, 8192, ""),
        task_def("t", 100, 100)
    );
    let (_, rec) = run_toml(&toml);
    let regs: Vec<&serde_json::Value> = rec
        .events
        .iter()
        .filter(|e| e["eventName"] == "RegisterTaskDefinition")
        .collect();
    let td = &regs[1]["responseElements"]["taskDefinition"];
    assert_eq!(td["family"], "t");
    assert_eq!(td["revision"], 2);
    assert_eq!(td["cpu"], "256");
    assert_eq!(td["memory"], "512");
    assert_eq!(td["status"], "ACTIVE");
    assert_eq!(td["containerDefinitions"][0]["name"], "c");
    assert!(
        td["taskDefinitionArn"]
            .as_str()
            .unwrap()
            .ends_with(":task-definition/t:2"),
        "{td}"
    );
    let run = rec.events.iter().find(|e| e["eventName"] == "RunTask").unwrap();
    // 1024 CPU units hold 4 tasks of 256; the other 6 are failures.
    assert_eq!(run["responseElements"]["tasks"].as_array().unwrap().len(), 4);
    let failures = run["responseElements"]["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 6);
    assert_eq!(failures[0]["reason"], "RESOURCE:CPU");
    assert!(
        failures[0]["arn"].as_str().unwrap().contains(":container-instance/"),
        "{}",
        failures[0]
    );
}

#[test]
fn a_draining_instance_keeps_its_running_task_until_the_replacement_is_healthy() {
    let drain = "[[timeline]]\nat = \"20s\"\napi = \"UpdateContainerInstancesState\"\nrequest = { containerInstances = [\"i-1\"], status = \"DRAINING\" }\n";
    let toml = format!(
        "{HEADER}{}{}{}[[services]]\nserviceName = \"web\"\ntaskDefinition = \"t\"\ndesiredCount = 2\nplacementConstraints = [{{ type = \"distinctInstance\" }}]\ndeploymentConfiguration = {{ minimumHealthyPercent = 100, maximumPercent = 200 }}\n{drain}",
        instance("i-1", A, 4096, 8192, ""),
        instance("i-2", B, 4096, 8192, ""),
        task_def("t", 256, 256) + &instance("i-3", B, 4096, 8192, ""),
    );
    let (o, _) = run_toml(&toml);
    let on = |id: &str| {
        o.tasks
            .iter()
            .filter(|t| {
                t.instance
                    .is_some_and(|i| o.cluster.instance(i).spec.ec2_instance_id == id)
            })
            .collect::<Vec<_>>()
    };
    let drained = on("i-1");
    assert_eq!(drained.len(), 1);
    let stopped = drained[0].stopped_at.get().expect("the drained task stops").millis();
    let replacement = o
        .tasks
        .iter()
        .find(|t| t.created_at.millis() >= 20_000)
        .expect("a replacement");
    let healthy_at = replacement.started_at.get().unwrap().millis() + 40_000;
    assert!(
        stopped >= healthy_at,
        "stopped at {stopped} ms, replacement healthy at {healthy_at} ms"
    );
}

#[test]
fn lowering_desired_count_holds_waiting_new_tasks_to_the_new_maximum() {
    let calls = "[[timeline]]\nat = \"5m\"\napi = \"UpdateService\"\nrequest = { service = \"web\", forceNewDeployment = true }\n[[timeline]]\nat = \"10m\"\napi = \"UpdateService\"\nrequest = { service = \"web\", desiredCount = 2 }\n";
    let toml = format!(
        "{HEADER}{}{}[[services]]\nserviceName = \"web\"\ntaskDefinition = \"t\"\ndesiredCount = 4\ndeploymentConfiguration = {{ minimumHealthyPercent = 100, maximumPercent = 150 }}\n{calls}",
        instance("i-1", A, 1024, 8192, ""),
        task_def("t", 256, 256),
    );
    let (o, _) = run_toml(&toml);
    let alive_at = |ms: u64| {
        o.tasks
            .iter()
            .filter(|t| t.created_at.millis() <= ms && t.stopped_at.get().is_none_or(|s| s.millis() > ms))
            .count()
    };
    // floor(2 × 150 %) = 3 from the change on, at every task event.
    let mut moments: Vec<u64> = o
        .tasks
        .iter()
        .flat_map(|t| [Some(t.created_at), t.stopped_at.get()].into_iter().flatten())
        .map(|t| t.millis())
        .filter(|&ms| ms >= 600_000)
        .collect();
    moments.sort();
    assert!(!moments.is_empty());
    for ms in moments {
        assert!(alive_at(ms) <= 3, "{} tasks at {ms} ms", alive_at(ms));
    }
    // And the service gets to 2 tasks of the new deployment.
    assert_eq!(alive_at(3_600_000 - 1), 2);
}

#[test]
fn zone_rebalancing_respects_constraints_and_waits_for_health() {
    let scale =
        "[[timeline]]\nat = \"5m\"\napi = \"UpdateService\"\nrequest = { service = \"web\", desiredCount = 4 }\n";
    let toml = format!(
        "{HEADER}{}{}{}{}{}[[services]]\nserviceName = \"web\"\ntaskDefinition = \"t\"\ndesiredCount = 1\navailabilityZoneRebalancing = \"ENABLED\"\nplacementConstraints = [{{ type = \"distinctInstance\" }}]\n{scale}",
        instance("a-1", A, 4096, 8192, ""),
        instance("b-1", B, 4096, 8192, ""),
        instance("b-2", B, 4096, 8192, ""),
        instance("b-3", B, 4096, 8192, ""),
        task_def("t", 256, 256),
    );
    let (o, rec) = run_toml(&toml);
    // One task per instance (1 in a, 3 in b) is as balanced as distinctInstance allows:
    // nothing is stopped to move, and nothing waits.
    assert!(
        o.tasks.iter().all(|t| t.stopped_at.get().is_none()),
        "a task was stopped"
    );
    assert_eq!(o.summary.tasks_waiting_at_end, 0);
    assert_eq!(o.tasks.len(), 4);
    assert!(service_events(&rec, "SERVICE_REBALANCING_STARTED").is_empty());
    // Steady state comes once the new tasks are healthy (40 s after RUNNING).
    let last_healthy = o
        .tasks
        .iter()
        .map(|t| t.started_at.get().unwrap().millis() + 40_000)
        .max()
        .unwrap();
    let steady: Vec<f64> = service_events(&rec, "SERVICE_STEADY_STATE")
        .iter()
        .map(|e| e["simTime"].as_str().unwrap().parse().unwrap())
        .collect();
    let after_scale = steady.iter().filter(|t| **t >= 300.0).copied().collect::<Vec<_>>();
    assert_eq!(after_scale.len(), 1, "{steady:?}");
    assert!(
        after_scale[0] * 1000.0 >= last_healthy as f64,
        "{after_scale:?} vs {last_healthy}"
    );
}

#[test]
fn a_blue_green_deployment_runs_both_sets_at_full_size_then_bakes() {
    let update = "[[timeline]]\nat = \"10m\"\napi = \"UpdateService\"\nrequest = { service = \"web\", taskDefinition = \"t:2\" }\n";
    let toml = format!(
        "{HEADER}{}{}{}{}[[services]]\nserviceName = \"web\"\ntaskDefinition = \"t:1\"\ndesiredCount = 4\ndeploymentConfiguration = {{ strategy = \"BLUE_GREEN\", bakeTimeInMinutes = 5, maximumPercent = 100, minimumHealthyPercent = 100 }}\n{update}",
        instance("i-1", A, 4096, 8192, ""),
        instance("i-2", B, 4096, 8192, ""),
        task_def("t", 512, 256),
        task_def("t", 512, 256),
    );
    let (o, rec) = run_toml(&toml);
    let green: Vec<_> = o.tasks.iter().filter(|t| t.created_at.millis() >= 600_000).collect();
    let blue: Vec<_> = o.tasks.iter().filter(|t| t.created_at.millis() < 600_000).collect();
    assert_eq!((blue.len(), green.len()), (4, 4));
    // The green set starts at once at full size (maximumPercent does not apply).
    assert!(green.iter().all(|t| t.created_at.millis() == 600_000));
    let green_healthy = green
        .iter()
        .map(|t| t.started_at.get().unwrap().millis() + 40_000)
        .max()
        .unwrap();
    // Both sets run together until the bake time has passed; then blue stops.
    for t in &blue {
        assert_eq!(t.stopped_at.get().unwrap().millis(), green_healthy + 300_000);
    }
    assert!(service_events(&rec, "SERVICE_DEPLOYMENT_BLOCKED").is_empty());
    let completed: Vec<_> = rec
        .events
        .iter()
        .filter(|e| e["detail"]["eventName"] == "SERVICE_DEPLOYMENT_COMPLETED")
        .collect();
    // The first deployment's, then the blue/green one's.
    assert_eq!(completed.len(), 2);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 48, .. proptest::prelude::ProptestConfig::default() })]

    /// Items 15–17 at random: a deployment that may wait for room, a desired count
    /// lowered during it, an instance drained: maximumPercent holds at every event, and a
    /// task moved off the drained instance stops only above minimumHealthyPercent.
    #[test]
    fn the_upper_bound_holds_when_the_desired_count_falls_mid_deployment(
        desired in 2u32..8,
        spare in 0u32..6,
        max_percent in proptest::sample::select(vec![100u32, 125, 150, 200]),
        lower in 1u32..8,
        after in 1u64..120,
        min_percent in proptest::sample::select(vec![50u32, 100]),
        drain in proptest::bool::ANY,
    ) {
        let lower = lower.min(desired - 1);
        let mut calls = format!(
            "[[timeline]]\nat = \"5m\"\napi = \"UpdateService\"\nrequest = {{ service = \"web\", forceNewDeployment = true }}\n[[timeline]]\nat = \"{}s\"\napi = \"UpdateService\"\nrequest = {{ service = \"web\", desiredCount = {lower} }}\n",
            300 + after
        );
        if drain {
            calls += "[[timeline]]\nat = \"6m\"\napi = \"UpdateContainerInstancesState\"\nrequest = { containerInstances = [\"i-2\"], status = \"DRAINING\" }\n";
        }
        // i-1 holds `desired + spare` tasks of 256 CPU units; a drained i-2 two more.
        let second = if drain { instance("i-2", B, 512, 8192, "") } else { String::new() };
        let toml = format!(
            "{HEADER}{}{second}{}[[services]]\nserviceName = \"web\"\ntaskDefinition = \"t\"\ndesiredCount = {desired}\ndeploymentConfiguration = {{ minimumHealthyPercent = {min_percent}, maximumPercent = {max_percent} }}\n{calls}",
            instance("i-1", A, 256 * (desired + spare), 8192, ""),
            task_def("t", 256, 256),
        );
        let (_, rec) = run_toml(&toml);
        if let Some(e) = over_maximum(&rec, "web", desired, max_percent)
            .or_else(|| under_minimum(&rec, "web", desired, min_percent))
        {
            return Err(proptest::test_runner::TestCaseError::fail(e));
        }
    }
}
