//! What a task definition requires of an instance beyond CPU and memory: the
//! attributes of its `runtimePlatform`, and the GPUs of its containers'
//! `resourceRequirements`.

use crate::ecs::constraint::Constraint;
use crate::error::Report;
use serde::{Deserialize, Serialize};

/// A task definition's `runtimePlatform`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RuntimePlatform {
    /// `cpuArchitecture`: `X86_64` or `ARM64`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_architecture: Option<String>,
    /// `operatingSystemFamily`: `LINUX` or a `WINDOWS_SERVER_…` family.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operating_system_family: Option<String>,
}

/// The operating system families `runtimePlatform` accepts.
const OS_FAMILIES: &[&str] = &[
    "LINUX",
    "WINDOWS_SERVER_2016_FULL",
    "WINDOWS_SERVER_2019_CORE",
    "WINDOWS_SERVER_2019_FULL",
    "WINDOWS_SERVER_2022_CORE",
    "WINDOWS_SERVER_2022_FULL",
    "WINDOWS_SERVER_2025_CORE",
    "WINDOWS_SERVER_2025_FULL",
    "WINDOWS_SERVER_2004_CORE",
    "WINDOWS_SERVER_20H2_CORE",
];

/// The attributes a `runtimePlatform` requires of an instance (ECS's
/// `requiresAttributes`), as constraints; problems reported under `path`.
pub fn platform_constraints(p: &RuntimePlatform, path: &str, report: &mut Report) -> Vec<Constraint> {
    let mut out = Vec::new();
    match p.cpu_architecture.as_deref() {
        None => {}
        Some("X86_64") => out.push(Constraint::requires_attribute("ecs.cpu-architecture", "x86_64")),
        Some("ARM64") => out.push(Constraint::requires_attribute("ecs.cpu-architecture", "arm64")),
        Some(other) => report.error(
            format!("{path}.runtimePlatform.cpuArchitecture"),
            format!("`{other}` is not a CPU architecture: X86_64 or ARM64"),
        ),
    }
    match p.operating_system_family.as_deref() {
        None => {}
        Some(f) if OS_FAMILIES.contains(&f) => out.push(Constraint::requires_attribute("ecs.os-family", f)),
        Some(other) => report.error(
            format!("{path}.runtimePlatform.operatingSystemFamily"),
            format!(
                "`{other}` is not an operating system family: {}",
                OS_FAMILIES.join(", ")
            ),
        ),
    }
    out
}

/// A container's `resourceRequirements` entry.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct ResourceRequirement {
    /// `type`: `GPU` or `InferenceAccelerator`.
    #[serde(default, rename = "type")]
    pub kind: String,
    /// `value`: for GPU, how many whole GPUs the container reserves.
    #[serde(default)]
    pub value: String,
}

/// The GPUs a container's `resourceRequirements` reserve; problems reported under
/// `cp`, the container's path.
pub fn container_gpus(requirements: &[ResourceRequirement], cp: &str, report: &mut Report) -> u32 {
    let mut gpus = 0u32;
    for (j, rr) in requirements.iter().enumerate() {
        let rp = format!("{cp}.resourceRequirements[{j}]");
        match rr.kind.as_str() {
            "GPU" => match rr.value.parse::<u32>() {
                Ok(n) if n >= 1 => gpus = gpus.saturating_add(n),
                _ => report.error(
                    format!("{rp}.value"),
                    format!("`{}` is not a GPU count: a whole number of GPUs, 1 or more", rr.value),
                ),
            },
            "InferenceAccelerator" => report.warn(
                format!("{rp}.type"),
                "InferenceAccelerator is not modelled by ecsim (Elastic Inference has ended): ignored",
            ),
            other => report.error(
                format!("{rp}.type"),
                format!("`{other}` is not a resource requirement type: GPU or InferenceAccelerator"),
            ),
        }
    }
    gpus
}
