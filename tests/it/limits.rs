//! ECS's limits on constraints, strategies and expressions, enforced with its words.

use ecsim::scenario::load::Format;
use ecsim::scenario::scenario_from_str;
use std::path::Path;

fn error_of(extra_task_def: &str, request: &str) -> String {
    let toml = format!(
        "name = \"l\"\nduration = \"1h\"\n[[instanceGroups]]\nname = \"g\"\ninstanceType = \"m5.large\"\ncount = 1\n[[taskDefinitions]]\nfamily = \"t\"\n{extra_task_def}\n[[taskDefinitions.containerDefinitions]]\nname = \"c\"\nimage = \"x\"\nmemory = 10\n[[timeline]]\nat = \"0s\"\napi = \"RunTask\"\nrequest = {{ taskDefinition = \"t\"{request} }}\n"
    );
    scenario_from_str(&toml, Format::Toml, "l.toml", Path::new("."))
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default()
}

#[test]
fn at_most_five_strategies() {
    let five = ["{ type = \"binpack\", field = \"memory\" }"; 5].join(", ");
    assert_eq!(error_of("", &format!(", placementStrategy = [{five}]")), "");
    let six = ["{ type = \"binpack\", field = \"memory\" }"; 6].join(", ");
    let e = error_of("", &format!(", placementStrategy = [{six}]"));
    assert!(
        e.contains("timeline[0].request.placementStrategy") && e.contains("maximum of 5"),
        "{e}"
    );
}

#[test]
fn at_most_ten_constraints_counting_the_task_definitions() {
    let c = |n: usize| vec!["{ type = \"memberOf\", expression = \"attribute:a !exists\" }"; n].join(", ");
    assert_eq!(
        error_of(
            &format!("placementConstraints = [{}]", c(4)),
            &format!(", placementConstraints = [{}]", c(6))
        ),
        ""
    );
    let e = error_of(
        &format!("placementConstraints = [{}]", c(4)),
        &format!(", placementConstraints = [{}]", c(7)),
    );
    assert!(
        e.contains("11 placement constraints") && e.contains("maximum of 10"),
        "{e}"
    );
}

#[test]
fn expressions_of_at_most_2000_characters() {
    let long = format!("attribute:a in [{}]", vec!["v"; 1000].join(","));
    assert!(long.len() > 2000);
    let e = error_of(
        "",
        &format!(", placementConstraints = [{{ type = \"memberOf\", expression = \"{long}\" }}]"),
    );
    assert!(e.contains("maximum length of 2000"), "{e}");
}
