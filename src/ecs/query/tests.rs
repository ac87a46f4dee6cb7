//! Tests of the cluster query language.

use super::*;

struct Inst {
    attrs: Vec<(&'static str, &'static str)>,
    id: &'static str,
    version: &'static str,
    connected: bool,
    registered: i64,
    running: u32,
    groups: Vec<&'static str>,
}

impl Target for Inst {
    fn attribute(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| *k == name).map(|(_, v)| *v)
    }
    fn ec2_instance_id(&self) -> &str {
        self.id
    }
    fn agent_version(&self) -> &str {
        self.version
    }
    fn agent_connected(&self) -> bool {
        self.connected
    }
    fn registered_at_ms(&self) -> i64 {
        self.registered
    }
    fn running_tasks_count(&self) -> u32 {
        self.running
    }
    fn any_group(&self, f: &mut dyn FnMut(&str) -> bool) -> bool {
        self.groups.iter().any(|g| f(g))
    }
}

fn fleet() -> Vec<Inst> {
    let day = |d: &str| parse_time(d).unwrap();
    vec![
        Inst {
            attrs: vec![
                ("ecs.instance-type", "t2.small"),
                ("ecs.availability-zone", "us-east-1a"),
                ("tier", "web"),
            ],
            id: "i-abcd1234",
            version: "1.14.4",
            connected: true,
            registered: day("2018-02-01"),
            running: 1,
            groups: vec!["service:production"],
        },
        Inst {
            attrs: vec![
                ("ecs.instance-type", "g2.2xlarge"),
                ("ecs.availability-zone", "us-east-1b"),
                ("cores", "16"),
            ],
            id: "i-wxyx7890",
            version: "1.20.0",
            connected: true,
            registered: day("2018-03-01"),
            running: 0,
            groups: vec![],
        },
        Inst {
            attrs: vec![
                ("ecs.instance-type", "g2.8xlarge"),
                ("ecs.availability-zone", "us-east-1d"),
                ("cores", "4"),
            ],
            id: "i-0000",
            version: "1.14.5",
            connected: false,
            registered: day("2018-02-13"),
            running: 3,
            groups: vec!["database", "family:batch"],
        },
    ]
}

/// Which of the three instances match (as a bit string "101").
fn matches(expr: &str) -> String {
    let e = Expr::parse(expr).unwrap_or_else(|err| panic!("{expr}: {err}"));
    fleet().iter().map(|i| if e.eval(i) { '1' } else { '0' }).collect()
}

#[test]
fn documented_examples() {
    assert_eq!(matches("attribute:ecs.instance-type == t2.small"), "100");
    assert_eq!(
        matches("attribute:ecs.availability-zone in [us-east-1a, us-east-1b]"),
        "110"
    );
    assert_eq!(
        matches("attribute:ecs.instance-type =~ g2.* and attribute:ecs.availability-zone != us-east-1d"),
        "010"
    );
    assert_eq!(matches("task:group == service:production"), "100");
    assert_eq!(matches("not(task:group == database)"), "110");
    assert_eq!(matches("runningTasksCount == 1"), "100");
    assert_eq!(matches("agentVersion < 1.14.5"), "100");
    assert_eq!(matches("registeredAt < 2018-02-13"), "100");
    assert_eq!(matches("ec2InstanceId in ['i-abcd1234', 'i-wxyx7890']"), "110");
}

#[test]
fn every_operator_and_alias() {
    let cases = [
        ("attribute:tier == web", "100"),
        ("attribute:tier equals web", "100"),
        ("attribute:tier != web", "011"),
        ("attribute:tier not_equals web", "011"),
        ("attribute:cores > 8", "010"),
        ("attribute:cores greater_than 8", "010"),
        ("attribute:cores >= 4", "011"),
        ("attribute:cores greater_than_equal 16", "010"),
        ("attribute:cores < 16", "001"),
        ("attribute:cores less_than 5", "001"),
        ("attribute:cores <= 16", "011"),
        ("attribute:cores less_than_equal 4", "001"),
        ("attribute:tier exists", "100"),
        ("attribute:tier !exists", "011"),
        ("attribute:tier not_exists", "011"),
        ("attribute:ecs.availability-zone in [\"us-east-1a\", us-east-1d]", "101"),
        ("attribute:ecs.availability-zone !in [us-east-1a]", "011"),
        ("attribute:ecs.availability-zone not_in [us-east-1a, us-east-1b]", "001"),
        ("attribute:ecs.instance-type =~ g2\\..*", "011"),
        ("ec2InstanceId =~ i-[a-c].*", "100"),
        ("ec2InstanceId =~ i-[^a-c].* or attribute:tier == web", "111"),
        ("attribute:ecs.instance-type =~ (t2|g2)\\.(small|2xlarge)", "110"),
        (
            "(attribute:ecs.instance-type =~ (t2|g2)\\..*) and attribute:cores exists",
            "011",
        ),
        ("attribute:ecs.instance-type =~ [a-z]{1,2}[0-9]\\..*", "111"),
        ("attribute:ecs.instance-type matches 't2.*'", "100"),
        ("attribute:ecs.instance-type !~ g2.*", "100"),
        ("attribute:ecs.instance-type not_matches g2.8xlarge", "110"),
        ("agentConnected == false", "001"),
        ("agentConnected != false", "110"),
        ("runningTasksCount > 0", "101"),
        ("registeredAt >= 2018-02-13", "011"),
        ("agentVersion >= 1.14.5", "011"),
        ("task:group exists", "101"),
        ("task:group !exists", "010"),
        ("task:group in [database, service:production]", "101"),
        ("task:group != database", "110"),
        ("task:group =~ family:.*", "001"),
        ("ec2InstanceId == i-0000", "001"),
    ];
    for (expr, want) in cases {
        assert_eq!(matches(expr), want, "{expr}");
    }
}

#[test]
fn precedence_and_grouping() {
    // and binds tighter than or.
    assert_eq!(
        matches("attribute:tier == web or attribute:cores == 16 and agentConnected == false"),
        "100"
    );
    assert_eq!(
        matches("(attribute:tier == web or attribute:cores == 16) and agentConnected == true"),
        "110"
    );
    assert_eq!(
        matches("attribute:tier == web || attribute:cores == 4 && runningTasksCount == 3"),
        "101"
    );
    assert_eq!(matches("!(attribute:tier exists) and not attribute:cores == 4"), "010");
    assert_eq!(matches("not not attribute:tier == web"), "100");
    assert_eq!(matches("NOT(attribute:tier == web) AND runningTasksCount == 0"), "010");
}

#[test]
fn errors_point_at_the_column() {
    let err = |e: &str| Expr::parse(e).unwrap_err();
    let e = err("attribute:tier === web");
    assert!(
        e.column >= 17 && e.message.contains("expected a value") || e.message.contains("expected"),
        "{e}"
    );
    let e = err("attribute:tier is web");
    assert_eq!(e.column, 16);
    assert!(e.message.contains("expected an operator"), "{e}");
    let e = err("color == red");
    assert_eq!(e.column, 1);
    assert!(e.message.contains("expected a subject"), "{e}");
    let e = err("(attribute:tier == web");
    assert!(e.message.contains("expected `)`"), "{e}");
    let e = err("attribute:tier == web and");
    assert!(e.message.contains("expected a predicate"), "{e}");
    let e = err("attribute:tier in web");
    assert!(e.message.contains("expected a list"), "{e}");
    let e = err("attribute:tier in [a, b");
    assert!(e.message.contains("expected `,` or `]`"), "{e}");
    let e = err("runningTasksCount > many");
    assert_eq!(e.column, 21);
    assert!(e.message.contains("whole number"), "{e}");
    let e = err("registeredAt < yesterday");
    assert!(e.message.contains("date"), "{e}");
    let e = err("agentVersion < one");
    assert!(e.message.contains("version"), "{e}");
    let e = err("agentConnected == maybe");
    assert!(e.message.contains("true or false"), "{e}");
    let e = err("attribute:x =~ 'unterminated");
    assert!(e.message.contains("unterminated"), "{e}");
    let e = err("attribute:x == a b");
    assert!(e.message.contains("expected `and`, `or`"), "{e}");
    assert!(err("").message.contains("expected an expression"));
}

#[test]
fn java_only_regex_constructs_are_errors() {
    for (pattern, what) in [
        ("(?=m5).*", "look-around"),
        ("(?!t2).*", "look-around"),
        ("(?<=a)b", "look-around"),
        ("(a)\\1", "back-reference"),
        ("a*+", "possessive"),
        ("(?>a)", "atomic"),
        ("\\Qm5.large\\E", "\\Q"),
    ] {
        let e = Expr::parse(&format!("attribute:x =~ '{pattern}'")).unwrap_err();
        assert!(e.message.contains(what), "{pattern}: {e}");
    }
    assert!(Expr::parse("attribute:x =~ '[(?=]'").is_ok());
    let e = Expr::parse("attribute:x =~ 'a{2'").unwrap_err();
    assert!(e.message.contains("invalid regular expression"), "{e}");
}

#[test]
fn static_and_dynamic_expressions() {
    assert!(
        Expr::parse("attribute:a == b and ec2InstanceId != x")
            .unwrap()
            .is_static()
    );
    assert!(
        !Expr::parse("attribute:a == b and runningTasksCount == 0")
            .unwrap()
            .is_static()
    );
    assert!(!Expr::parse("not(task:group == db)").unwrap().is_static());
}

#[test]
fn failing_clause_names_the_predicate() {
    let e = Expr::parse("attribute:tier == web and runningTasksCount == 0").unwrap();
    let f = fleet();
    assert_eq!(e.failing_clause(&f[0]).as_deref(), Some("runningTasksCount == 0"));
    assert_eq!(e.failing_clause(&f[1]).as_deref(), Some("attribute:tier == web"));
}
