//! The container agent's configuration, read from `userData` in ecs.config form:
//! `KEY=value` lines, or `echo KEY=value >> /etc/ecs/ecs.config` lines of a script.

use crate::engine::SimDuration;
use crate::error::Report;

/// `ECS_IMAGE_PULL_BEHAVIOR`.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum PullBehavior {
    /// Pull every time; a cached image costs only the registry round trip (the
    /// layers are present), and a failed pull falls back to the cache.
    #[default]
    Default,
    /// Pull every time, like default (ecsim models no registry failures).
    Always,
    /// Pull only if no earlier task on the instance pulled the image.
    Once,
    /// Use a cached image without contacting the registry; pull only when absent.
    PreferCached,
}

impl PullBehavior {
    /// The agent's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            PullBehavior::Default => "default",
            PullBehavior::Always => "always",
            PullBehavior::Once => "once",
            PullBehavior::PreferCached => "prefer-cached",
        }
    }

    /// Whether a cached image is used without contacting the registry.
    pub fn skips_registry_when_cached(self) -> bool {
        matches!(self, PullBehavior::Once | PullBehavior::PreferCached)
    }
}

/// The agent's default `ECS_CONTAINER_STOP_TIMEOUT`.
pub const DEFAULT_STOP_TIMEOUT: SimDuration = SimDuration(30_000);

/// What the agent's configuration sets that ecsim models.
#[derive(Clone, Debug, PartialEq)]
pub struct AgentConfig {
    /// `ECS_CLUSTER` (default `default`).
    pub cluster: Option<String>,
    /// `ECS_RESERVED_MEMORY`, MiB taken off the registered memory (default 0).
    pub reserved_memory: u32,
    /// `ECS_RESERVED_PORTS` beyond the defaults.
    pub reserved_ports: Vec<u16>,
    /// `ECS_ENABLE_SPOT_INSTANCE_DRAINING` (default false): drain on a Spot notice.
    pub spot_draining: bool,
    /// `ECS_CONTAINER_STOP_TIMEOUT` (default 30s): SIGTERM to SIGKILL.
    pub stop_timeout: SimDuration,
    /// `ECS_IMAGE_PULL_BEHAVIOR` (default `default`).
    pub pull_behavior: PullBehavior,
    /// `ECS_ENABLE_TASK_ENI` (default true on Linux): awsvpc tasks may run here.
    pub task_eni: bool,
}

impl Default for AgentConfig {
    fn default() -> Self {
        AgentConfig {
            cluster: None,
            reserved_memory: 0,
            reserved_ports: Vec::new(),
            spot_draining: false,
            stop_timeout: DEFAULT_STOP_TIMEOUT,
            pull_behavior: PullBehavior::Default,
            task_eni: true,
        }
    }
}

impl AgentConfig {
    /// The cluster the agent registers into.
    pub fn cluster_name(&self) -> &str {
        crate::ecs::api::cluster_name(self.cluster.as_deref())
    }
}

/// Agent variables ecsim reads.
const MODELLED: &[&str] = &[
    "ECS_CLUSTER",
    "ECS_RESERVED_MEMORY",
    "ECS_RESERVED_PORTS",
    "ECS_ENABLE_SPOT_INSTANCE_DRAINING",
    "ECS_CONTAINER_STOP_TIMEOUT",
    "ECS_IMAGE_PULL_BEHAVIOR",
    "ECS_ENABLE_TASK_ENI",
];

fn boolean(key: &str, value: &str, at: &str, report: &mut Report) -> Option<bool> {
    match value {
        "true" => Some(true),
        "false" => Some(false),
        _ => {
            report.error(at, format!("{key}=`{value}`: expected true or false"));
            None
        }
    }
}

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
            "ECS_ENABLE_SPOT_INSTANCE_DRAINING" => {
                if let Some(b) = boolean(key, value, &at, report) {
                    cfg.spot_draining = b;
                }
            }
            "ECS_ENABLE_TASK_ENI" => {
                if let Some(b) = boolean(key, value, &at, report) {
                    cfg.task_eni = b;
                }
            }
            "ECS_CONTAINER_STOP_TIMEOUT" => match crate::engine::duration::parse_duration(value) {
                Ok(d) => cfg.stop_timeout = d,
                Err(_) => report.error(
                    &at,
                    format!("ECS_CONTAINER_STOP_TIMEOUT=`{value}`: expected a duration such as 30s or 2m"),
                ),
            },
            "ECS_IMAGE_PULL_BEHAVIOR" => {
                cfg.pull_behavior = match value {
                    "default" => PullBehavior::Default,
                    "always" => PullBehavior::Always,
                    "once" => PullBehavior::Once,
                    "prefer-cached" => PullBehavior::PreferCached,
                    _ => {
                        report.error(
                            &at,
                            format!(
                                "ECS_IMAGE_PULL_BEHAVIOR=`{value}`: expected default, always, once or prefer-cached"
                            ),
                        );
                        PullBehavior::Default
                    }
                }
            }

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
