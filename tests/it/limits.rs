//! ECS's limits on constraints, strategies and expressions, enforced with its words.

use crate::common::{assert_mentions, group, memory_def, refusal};

/// What loading refuses in a scenario with task definition `t` (plus `extra_task_def`)
/// and one RunTask of it (plus `request`'s members).
fn error_of(extra_task_def: &str, request: &str) -> String {
    refusal(&format!(
        "name = \"l\"\nduration = \"1h\"\n{}{}[[timeline]]\nat = \"0s\"\napi = \"RunTask\"\nrequest = {{ taskDefinition = \"t\"{request} }}\n",
        group("g", "m5.large", 1),
        memory_def("t", 10, extra_task_def)
    ))
}

#[test]
fn at_most_five_strategies() {
    let five = ["{ type = \"binpack\", field = \"memory\" }"; 5].join(", ");
    assert_eq!(error_of("", &format!(", placementStrategy = [{five}]")), "");
    let six = ["{ type = \"binpack\", field = \"memory\" }"; 6].join(", ");
    let e = error_of("", &format!(", placementStrategy = [{six}]"));
    assert_mentions(&e, &["timeline[0].request.placementStrategy", "maximum of 5"]);
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
    assert_mentions(&e, &["11 placement constraints", "maximum of 10"]);
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
