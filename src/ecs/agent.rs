//! The container agent's configuration, read from `userData` in ecs.config form:
//! `KEY=value` lines, or `echo KEY=value >> /etc/ecs/ecs.config` lines of a script.

use crate::error::Report;

/// What the agent's configuration sets that ecsim models.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AgentConfig {
    /// `ECS_CLUSTER` (default `default`).
    pub cluster: Option<String>,
    /// `ECS_RESERVED_MEMORY`, MiB taken off the registered memory (default 0).
    pub reserved_memory: u32,
    /// `ECS_RESERVED_PORTS` beyond the defaults.
    pub reserved_ports: Vec<u16>,
    /// `ECS_ENABLE_SPOT_INSTANCE_DRAINING` (default false): drain on a Spot notice.
    pub spot_draining: bool,
}

/// Agent variables ecsim reads.
const MODELLED: &[&str] = &[
    "ECS_CLUSTER",
    "ECS_RESERVED_MEMORY",
    "ECS_RESERVED_PORTS",
    "ECS_ENABLE_SPOT_INSTANCE_DRAINING",
];

/// Reads `userData`; problems are recorded under `path`.
pub fn parse_user_data(text: &str, path: &str, report: &mut Report) -> AgentConfig {
    let mut cfg = AgentConfig::default();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let assignment = line
            .strip_prefix("echo ")
            .and_then(|l| l.split(">>").next())
            .map(|l| l.trim().trim_matches(|c| c == '"' || c == '\''))
            .unwrap_or(line);
        let Some((key, value)) = assignment.split_once('=') else {
            continue;
        };
        let (key, value) = (key.trim(), value.trim().trim_matches('"'));
        let at = format!("{path} (line {})", n + 1);
        match key {
            "ECS_CLUSTER" => cfg.cluster = Some(value.to_string()),
            "ECS_RESERVED_MEMORY" => match value.parse() {
                Ok(v) => cfg.reserved_memory = v,
                Err(_) => report.error(
                    &at,
                    format!("ECS_RESERVED_MEMORY=`{value}`: expected MiB as a whole number"),
                ),
            },
            "ECS_RESERVED_PORTS" => match serde_json::from_str::<Vec<u16>>(value) {
                Ok(v) => cfg.reserved_ports = v,
                Err(_) => report.error(
                    &at,
                    format!("ECS_RESERVED_PORTS=`{value}`: expected a JSON list of ports, e.g. [22, 2375]"),
                ),
            },
            "ECS_ENABLE_SPOT_INSTANCE_DRAINING" => match value {
                "true" => cfg.spot_draining = true,
                "false" => cfg.spot_draining = false,
                _ => report.error(
                    &at,
                    format!("ECS_ENABLE_SPOT_INSTANCE_DRAINING=`{value}`: expected true or false"),
                ),
            },
            k if k.starts_with("ECS_") && !MODELLED.contains(&k) => {
                report.warn(&at, format!("agent variable {k} is not modelled by ecsim: ignored"));
            }
            _ => {}
        }
    }
    cfg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_config_lines_and_echo_scripts() {
        let mut r = Report::new("s");
        let c = parse_user_data(
            "#!/bin/bash\necho ECS_CLUSTER=prod >> /etc/ecs/ecs.config\nECS_RESERVED_MEMORY=256\nECS_RESERVED_PORTS=[8080, 9090]\nECS_LOGLEVEL=debug\n",
            "g",
            &mut r,
        );
        assert_eq!(c.cluster.as_deref(), Some("prod"));
        assert_eq!(c.reserved_memory, 256);
        assert_eq!(c.reserved_ports, vec![8080, 9090]);
        assert_eq!(r.warnings.len(), 1);
        assert!(r.is_ok());
        parse_user_data("ECS_RESERVED_MEMORY=lots", "g", &mut r);
        assert!(!r.is_ok());
    }
}
