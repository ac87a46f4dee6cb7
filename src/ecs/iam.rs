//! The container instance's IAM role, as a list of allowed actions: what the agent
//! needs to register, create its cluster and take tasks.

/// The actions of the managed `AmazonEC2ContainerServiceforEC2Role` policy: the
/// default instance role.
pub const MANAGED_INSTANCE_ROLE: &[&str] = &[
    "ec2:DescribeTags",
    "ecs:CreateCluster",
    "ecs:DeregisterContainerInstance",
    "ecs:DiscoverPollEndpoint",
    "ecs:Poll",
    "ecs:RegisterContainerInstance",
    "ecs:StartTelemetrySession",
    "ecs:UpdateContainerInstancesState",
    "ecs:Submit*",
    "ecr:GetAuthorizationToken",
    "ecr:BatchCheckLayerAvailability",
    "ecr:GetDownloadUrlForLayer",
    "ecr:BatchGetImage",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
];

/// The action that registers a container instance.
pub const REGISTER: &str = "ecs:RegisterContainerInstance";
/// The action the agent's task channel needs: without it the agent never connects.
pub const POLL: &str = "ecs:Poll";
/// The action that lets the agent create the cluster ECS_CLUSTER names.
pub const CREATE_CLUSTER: &str = "ecs:CreateCluster";

/// Whether `action` is shaped like an IAM action: `*`, or `service:Action` where the
/// action may use `*` and `?` wildcards.
pub fn valid_action(action: &str) -> bool {
    if action == "*" {
        return true;
    }
    let Some((service, name)) = action.split_once(':') else {
        return false;
    };
    !service.is_empty()
        && service.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '*' || c == '?')
}

/// Whether a role allowing `actions` may perform `action` (IAM matching: service
/// prefix and action name case-insensitive, `*` and `?` wildcards).
pub fn allows(actions: &[String], action: &str) -> bool {
    actions
        .iter()
        .any(|pattern| matches(pattern.as_bytes(), action.as_bytes()))
}

/// Wildcard matching, ASCII case-insensitive, byte by byte (an action is ASCII).
fn matches(p: &[u8], t: &[u8]) -> bool {
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi].eq_ignore_ascii_case(&t[ti])) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn actions_match_with_wildcards_and_any_case() {
        let managed = role(MANAGED_INSTANCE_ROLE);
        assert!(allows(&managed, POLL) && allows(&managed, REGISTER) && allows(&managed, CREATE_CLUSTER));
        assert!(allows(&managed, "ecs:SubmitTaskStateChange"));
        assert!(!allows(&managed, "ecs:RunTask"));
        assert!(allows(&role(&["ecs:*"]), POLL));
        assert!(allows(&role(&["*"]), POLL));
        assert!(allows(&role(&["ECS:poll"]), POLL));
        assert!(allows(&role(&["ecs:P?ll"]), POLL));
        assert!(!allows(&role(&["ecs:RegisterContainerInstance"]), POLL));
        assert!(valid_action("ecs:Submit*") && valid_action("*"));
        assert!(!valid_action("ecs") && !valid_action("ecs:") && !valid_action("e cs:Poll"));
    }
}
