//! The scenario file, as written (TOML or JSON with one schema; see
//! docs/scenario-reference.md). Field names are the contract: add, never rename.

use crate::appscaling::ScalingCall;
use crate::ecs::api::{
    CreateCluster, CreateService, DeleteService, DeregisterContainerInstance, LaunchType, RegisterContainerInstance,
    RunTask, StopTask, UpdateContainerInstancesState, UpdateService,
};
use crate::ecs::task_definition::RegisterTaskDefinition;
use crate::engine::duration::{DistSpec, Duration, deserialize_dist, deserialize_opt_dist};
use crate::placement::TieBreak;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

fn default_seed() -> u64 {
    1
}

fn one_minute() -> Duration {
    Duration(crate::engine::SimDuration::from_secs(60))
}

/// Custom attributes as a `{name = value}` map or ECS's `[{name, value}]` list (an
/// attribute without a value is present with an empty one).
fn deserialize_attributes<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, String>, D::Error> {
    struct Form;
    impl<'de> Visitor<'de> for Form {
        type Value = BTreeMap<String, String>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a map of attribute names to values, or a list of {name, value}")
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            BTreeMap::deserialize(de::value::MapAccessDeserializer::new(map))
        }
        fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            while let Some(a) = seq.next_element::<crate::ecs::api::Attribute>()? {
                if a.name.is_empty() {
                    return Err(de::Error::custom("an attribute needs a name"));
                }
                out.insert(a.name, a.value.unwrap_or_default());
            }
            Ok(out)
        }
    }
    d.deserialize_any(Form)
}

/// A whole scenario file.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScenarioFile {
    /// Results go to `results/<name>/` unless `--out` is given.
    pub name: String,
    /// The master seed (default 1).
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Simulated time to run.
    pub duration: Duration,
    /// timeseries.csv resolution (default 1m).
    #[serde(default = "one_minute")]
    pub sample_interval: Duration,
    /// Wall-clock time of the simulation start, RFC 3339 (default 2026-01-01T00:00:00Z).
    #[serde(default)]
    pub start_time: Option<String>,
    /// How the last placement ties are broken: `random` (default) or `lowestId`.
    #[serde(default)]
    pub tie_break: TieBreak,
    /// From placement (PENDING) to RUNNING: agent, image and container start (default 1s).
    #[serde(default, deserialize_with = "deserialize_opt_dist")]
    pub task_start_latency: Option<DistSpec>,
    /// EC2 (or external) capacity present from the start.
    #[serde(default)]
    pub instance_groups: Vec<InstanceGroup>,
    /// RegisterTaskDefinition bodies.
    #[serde(default)]
    pub task_definitions: Vec<RegisterTaskDefinition>,
    /// CreateService bodies.
    #[serde(default)]
    pub services: Vec<CreateService>,
    /// Standalone tasks: a RunTask body called by an arrival process.
    #[serde(default)]
    pub workloads: Vec<Workload>,
    /// Later API calls at simulated times.
    #[serde(default)]
    pub timeline: Vec<TimelineEntry>,
    /// Application Auto Scaling RegisterScalableTarget bodies, at time 0 after the services.
    #[serde(default)]
    pub scalable_targets: Vec<crate::appscaling::RegisterScalableTarget>,
    /// PutScalingPolicy bodies, at time 0 after the scalable targets.
    #[serde(default)]
    pub scaling_policies: Vec<crate::appscaling::PutScalingPolicy>,
    /// PutScheduledAction bodies, at time 0 after the scaling policies.
    #[serde(default)]
    pub scheduled_actions: Vec<crate::appscaling::PutScheduledAction>,
    /// The scenario's own sweep (used by `ecsim sweep`, ignored by `ecsim run`).
    #[serde(default)]
    pub sweep: Option<SweepTable>,
    /// CreateCluster bodies: the clusters that exist at time 0 (absent: one, `default`).
    #[serde(default)]
    pub clusters: Option<Vec<CreateCluster>>,
    /// Subnets, for awsvpcConfiguration and Fargate's zone spread.
    #[serde(default)]
    pub subnets: Vec<crate::ecs::provider::Subnet>,
    /// The EC2 Auto Scaling groups behind capacity providers.
    #[serde(default)]
    pub auto_scaling_groups: Vec<AutoScalingGroup>,
    /// CreateCapacityProvider bodies.
    #[serde(default)]
    pub capacity_providers: Vec<crate::ecs::provider::CreateCapacityProvider>,
    /// A PutClusterCapacityProviders body.
    #[serde(default)]
    pub cluster_capacity_providers: Option<crate::ecs::provider::PutClusterCapacityProviders>,
    /// Price overrides.
    #[serde(default)]
    pub prices: Option<crate::capacity::prices::PriceOverrides>,
    /// Faults: scheduled (`at`) or random (`ratePerHour`).
    #[serde(default)]
    pub faults: Vec<Fault>,
    /// How long a PROVISIONING task waits for capacity before it stops (10m–30m, default 30m).
    #[serde(default)]
    pub provisioning_timeout: Option<Duration>,
    /// Tasks in PROVISIONING per cluster at most (default 500).
    #[serde(default)]
    pub provisioning_task_limit: Option<u32>,
    /// From creation to RUNNING on Fargate (default lognormal, median 35 s, sigma 0.3).
    #[serde(default, deserialize_with = "deserialize_opt_dist")]
    pub fargate_start_latency: Option<DistSpec>,
    /// Image pulls: bandwidth and fixed latency (defaults 100 MiB/s and 1 s).
    #[serde(default)]
    pub image_pull: Option<ImagePull>,
    /// How long a service waits before it counts the tasks on an instance whose agent
    /// disconnected as lost and replaces them (default 15m).
    #[serde(default)]
    pub agent_disconnect_timeout: Option<Duration>,
    /// How long containers take to exit after SIGTERM when a task is stopped (default
    /// 0s), capped by the stop timeout.
    #[serde(default, deserialize_with = "deserialize_opt_dist")]
    pub task_stop_latency: Option<DistSpec>,
}

/// How images are pulled: time = latency + size / bandwidth.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ImagePull {
    /// MiB per second an instance pulls at (default 100).
    #[serde(default, rename = "bandwidthMiBps")]
    pub bandwidth_mib_per_s: Option<f64>,
    /// Fixed cost of every pull, a cached image's manifest check included (default 1s).
    #[serde(default)]
    pub latency: Option<Duration>,
}

/// An EC2 Auto Scaling group.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AutoScalingGroup {
    /// Group name (capacity providers name it; EC2 ids are `<name>-<n>`).
    pub name: String,
    /// One instance type …
    #[serde(default)]
    pub instance_type: Option<String>,
    /// … or several (on-demand launches the first; Spot the cheapest).
    #[serde(default)]
    pub instance_types: Option<Vec<String>>,
    /// `MinSize`.
    #[serde(default)]
    pub min_size: u32,
    /// `MaxSize`.
    pub max_size: u32,
    /// `DesiredCapacity` at the start.
    #[serde(default)]
    pub desired_capacity: u32,
    /// Zones, balanced (default `us-east-1a`).
    #[serde(default)]
    pub availability_zones: Vec<String>,
    /// Spot instances.
    #[serde(default)]
    pub spot: bool,
    /// Marks the instances as trunked (account setting awsvpcTrunking on before they
    /// launch): the trunk task limit and attribute ecs.awsvpc-trunk-id, as on an instance group.
    #[serde(default)]
    pub awsvpc_trunking: Option<bool>,
    /// From launch to a registered container instance (default uniform 60–120 s).
    #[serde(default, deserialize_with = "deserialize_opt_dist")]
    pub launch_latency: Option<DistSpec>,
    /// Container agent configuration, as on an instance group.
    #[serde(default)]
    pub user_data: Option<String>,
    /// Custom attributes: a map, or the API's `[{name, value}]` list.
    #[serde(default, deserialize_with = "deserialize_attributes")]
    pub attributes: BTreeMap<String, String>,
}

/// What a fault does.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum FaultType {
    /// A Spot interruption: a two-minute notice, then the capacity goes.
    SpotInterruption,
    /// An instance fails: its tasks stop, it leaves the cluster.
    InstanceFailure,
    /// Every instance (and Fargate task) in a zone fails for `duration`.
    AzOutage,
    /// An instance's agent disconnects for `duration`.
    AgentDisconnect,
}

impl FaultType {
    /// The scenario spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            FaultType::SpotInterruption => "spotInterruption",
            FaultType::InstanceFailure => "instanceFailure",
            FaultType::AzOutage => "azOutage",
            FaultType::AgentDisconnect => "agentDisconnect",
        }
    }
}

/// A fault, scheduled (`at`) or random (`ratePerHour`, per instance-hour or, for
/// FARGATE_SPOT, per task-hour).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Fault {
    /// The fault.
    #[serde(rename = "type")]
    pub kind: FaultType,
    /// When (scheduled).
    #[serde(default)]
    pub at: Option<Duration>,
    /// How often (random), per instance-hour or task-hour.
    #[serde(default)]
    pub rate_per_hour: Option<f64>,
    /// The instance (scheduled spotInterruption, instanceFailure, agentDisconnect).
    #[serde(default)]
    pub ec2_instance_id: Option<String>,
    /// The Auto Scaling group whose instances are hit (random Spot interruptions).
    #[serde(default)]
    pub auto_scaling_group: Option<String>,
    /// `FARGATE_SPOT`: Fargate Spot tasks are hit.
    #[serde(default)]
    pub capacity_provider: Option<String>,
    /// The zone (azOutage; random ones pick a zone that has instances).
    #[serde(default)]
    pub availability_zone: Option<String>,
    /// How long (azOutage, agentDisconnect).
    #[serde(default)]
    pub duration: Option<Duration>,
}

/// `totalResources` of an instance group: registered capacity given by hand.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TotalResources {
    /// CPU units.
    pub cpu: u32,
    /// Memory MiB.
    pub memory: u32,
    /// GPUs (default: the instance type's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpus: Option<u32>,
}

/// An instance group's node list.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeTrace {
    /// `openbNodes`: an openb node list (sn, cpu_milli, memory_mib, gpu, model).
    pub format: String,
    /// The file, relative to the scenario.
    pub path: String,
}

/// A group of identical container instances present from the start.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InstanceGroup {
    /// Group name; default EC2 ids are `<name>-<n>`.
    pub name: String,
    /// An instance type from the catalogue.
    pub instance_type: String,
    /// How many instances (required, except with `trace`).
    #[serde(default)]
    pub count: Option<u32>,
    /// Instances from a trace's node list (`{ format = "openbNodes", path }`): one group per
    /// distinct node shape, `<name>-<k>`, each with its `totalResources` and GPUs and the
    /// attribute `gpu-model`.
    #[serde(default)]
    pub trace: Option<NodeTrace>,
    /// Zones, assigned round-robin (default `us-east-1a`).
    #[serde(default)]
    pub availability_zones: Vec<String>,
    /// Custom attributes: a map, or the API's `[{name, value}]` list.
    #[serde(default, deserialize_with = "deserialize_attributes")]
    pub attributes: BTreeMap<String, String>,
    /// Container agent configuration, `KEY=value` lines (ecs.config style).
    #[serde(default)]
    pub user_data: Option<String>,
    /// Explicit EC2 instance ids, one per instance.
    #[serde(default)]
    pub ec2_instance_ids: Option<Vec<String>>,
    /// Registered capacity, overriding the catalogue.
    #[serde(default)]
    pub total_resources: Option<TotalResources>,
    /// `EC2` (default) or `EXTERNAL`.
    #[serde(default)]
    pub launch_type: Option<LaunchType>,
    /// The agent version registered (default 1.85.0).
    #[serde(default)]
    pub agent_version: Option<String>,
    /// Wall-clock registration time, RFC 3339 (default: the simulation start).
    #[serde(default)]
    pub registered_at: Option<String>,
    /// The instance role's IAM actions (default: the managed ECS instance role's).
    #[serde(default)]
    pub iam_actions: Option<Vec<String>>,
    /// MiB per second its instances pull images at (default: the scenario's imagePull).
    #[serde(default, rename = "imagePullBandwidthMiBps")]
    pub image_pull_bandwidth_mib_per_s: Option<f64>,
    /// Marks the instances as trunked (adds attribute ecs.awsvpc-trunk-id).
    #[serde(default)]
    pub awsvpc_trunking: Option<bool>,
}

/// How often a workload calls RunTask.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(tag = "process", rename_all = "camelCase", deny_unknown_fields)]
pub enum Arrival {
    /// A Poisson process.
    Poisson {
        /// Calls per minute: a number, or a rate that changes over time.
        #[serde(rename = "ratePerMinute")]
        rate_per_minute: crate::engine::rate::Rate,
    },
    /// One call every `interval`, the first at time 0.
    Fixed {
        /// Time between calls (> 0).
        interval: Duration,
    },
}

/// Client-side retry of a RunTask that returned failures.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Retry {
    /// Retries after the first call.
    pub attempts: u32,
    /// Wait before the first retry.
    pub backoff: Duration,
    /// Each later wait is the previous × multiplier (default 1: a fixed wait).
    #[serde(default)]
    pub multiplier: Option<f64>,
}

/// Standalone tasks: a RunTask body, how often it is called, how long tasks run.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Workload {
    /// Workload name (events and startedBy).
    pub name: String,
    /// The RunTask body.
    pub run_task: RunTask,
    /// The arrival process (required unless `trace` gives the arrivals).
    #[serde(default)]
    pub arrival: Option<Arrival>,
    /// How long each task runs (required unless `trace` gives the run times).
    #[serde(default, deserialize_with = "deserialize_opt_dist")]
    pub task_duration: Option<DistSpec>,
    /// Client-side retry.
    #[serde(default)]
    pub retry: Option<Retry>,
    /// A real trace: its arrivals, task sizes and run times (`runTask` then gives the rest
    /// of the body; its `taskDefinition` is left out).
    #[serde(default)]
    pub trace: Option<crate::scenario::trace::TraceSpec>,
}

/// The API calls a timeline may make.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub enum ApiName {
    /// RunTask.
    RunTask,
    /// StopTask.
    StopTask,
    /// CreateService.
    CreateService,
    /// UpdateService.
    UpdateService,
    /// RegisterTaskDefinition.
    RegisterTaskDefinition,
    /// DeleteService.
    DeleteService,
    /// UpdateContainerInstancesState.
    UpdateContainerInstancesState,
    /// RegisterContainerInstance.
    RegisterContainerInstance,
    /// DeregisterContainerInstance.
    DeregisterContainerInstance,
    /// CreateCapacityProvider.
    CreateCapacityProvider,
    /// PutClusterCapacityProviders.
    PutClusterCapacityProviders,
    /// CreateCluster.
    CreateCluster,
    /// Application Auto Scaling RegisterScalableTarget.
    RegisterScalableTarget,
    /// Application Auto Scaling DeregisterScalableTarget.
    DeregisterScalableTarget,
    /// Application Auto Scaling PutScalingPolicy.
    PutScalingPolicy,
    /// Application Auto Scaling DeleteScalingPolicy.
    DeleteScalingPolicy,
    /// Application Auto Scaling PutScheduledAction.
    PutScheduledAction,
    /// Application Auto Scaling DeleteScheduledAction.
    DeleteScheduledAction,
}

/// A timeline call with its typed request body.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum ApiCall {
    /// RunTask.
    RunTask(RunTask),
    /// StopTask.
    StopTask(StopTask),
    /// CreateService.
    CreateService(CreateService),
    /// UpdateService.
    UpdateService(UpdateService),
    /// DeleteService.
    DeleteService(DeleteService),
    /// RegisterTaskDefinition.
    RegisterTaskDefinition(RegisterTaskDefinition),
    /// UpdateContainerInstancesState.
    UpdateContainerInstancesState(UpdateContainerInstancesState),
    /// RegisterContainerInstance.
    RegisterContainerInstance(RegisterContainerInstance),
    /// DeregisterContainerInstance.
    DeregisterContainerInstance(DeregisterContainerInstance),
    /// CreateCapacityProvider.
    CreateCapacityProvider(crate::ecs::provider::CreateCapacityProvider),
    /// PutClusterCapacityProviders.
    PutClusterCapacityProviders(crate::ecs::provider::PutClusterCapacityProviders),
    /// CreateCluster.
    CreateCluster(CreateCluster),
    /// An Application Auto Scaling call.
    AutoScaling(ScalingCall),
}

impl ApiCall {
    /// The API name.
    pub fn name(&self) -> &'static str {
        match self {
            ApiCall::RunTask(_) => "RunTask",
            ApiCall::StopTask(_) => "StopTask",
            ApiCall::CreateService(_) => "CreateService",
            ApiCall::UpdateService(_) => "UpdateService",
            ApiCall::DeleteService(_) => "DeleteService",
            ApiCall::RegisterTaskDefinition(_) => "RegisterTaskDefinition",
            ApiCall::UpdateContainerInstancesState(_) => "UpdateContainerInstancesState",
            ApiCall::RegisterContainerInstance(_) => "RegisterContainerInstance",
            ApiCall::DeregisterContainerInstance(_) => "DeregisterContainerInstance",
            ApiCall::CreateCapacityProvider(_) => "CreateCapacityProvider",
            ApiCall::PutClusterCapacityProviders(_) => "PutClusterCapacityProviders",
            ApiCall::CreateCluster(_) => "CreateCluster",
            ApiCall::AutoScaling(c) => c.name(),
        }
    }

    /// Parses a request body for the API called `name` (None: not an API ecsim models).
    pub fn parse(name: &str, body: serde_json::Value) -> Option<Result<ApiCall, String>> {
        let api: ApiName = serde_json::from_value(serde_json::Value::String(name.to_string())).ok()?;
        Some(ApiSeed(api).deserialize(body).map_err(|e| e.to_string()))
    }
}

struct ApiSeed(ApiName);

impl<'de> DeserializeSeed<'de> for ApiSeed {
    type Value = ApiCall;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<ApiCall, D::Error> {
        Ok(match self.0 {
            ApiName::RunTask => ApiCall::RunTask(RunTask::deserialize(d)?),
            ApiName::StopTask => ApiCall::StopTask(StopTask::deserialize(d)?),
            ApiName::CreateService => ApiCall::CreateService(CreateService::deserialize(d)?),
            ApiName::UpdateService => ApiCall::UpdateService(UpdateService::deserialize(d)?),
            ApiName::DeleteService => ApiCall::DeleteService(DeleteService::deserialize(d)?),
            ApiName::RegisterTaskDefinition => ApiCall::RegisterTaskDefinition(RegisterTaskDefinition::deserialize(d)?),
            ApiName::UpdateContainerInstancesState => {
                ApiCall::UpdateContainerInstancesState(UpdateContainerInstancesState::deserialize(d)?)
            }
            ApiName::RegisterContainerInstance => {
                ApiCall::RegisterContainerInstance(RegisterContainerInstance::deserialize(d)?)
            }
            ApiName::DeregisterContainerInstance => {
                ApiCall::DeregisterContainerInstance(DeregisterContainerInstance::deserialize(d)?)
            }
            ApiName::CreateCapacityProvider => {
                ApiCall::CreateCapacityProvider(crate::ecs::provider::CreateCapacityProvider::deserialize(d)?)
            }
            ApiName::PutClusterCapacityProviders => {
                ApiCall::PutClusterCapacityProviders(crate::ecs::provider::PutClusterCapacityProviders::deserialize(d)?)
            }
            ApiName::CreateCluster => ApiCall::CreateCluster(CreateCluster::deserialize(d)?),
            ApiName::RegisterScalableTarget => {
                ApiCall::AutoScaling(ScalingCall::Register(Deserialize::deserialize(d)?))
            }
            ApiName::DeregisterScalableTarget => {
                ApiCall::AutoScaling(ScalingCall::Deregister(Deserialize::deserialize(d)?))
            }
            ApiName::PutScalingPolicy => {
                ApiCall::AutoScaling(ScalingCall::PutPolicy(Box::new(Deserialize::deserialize(d)?)))
            }
            ApiName::DeleteScalingPolicy => {
                ApiCall::AutoScaling(ScalingCall::DeletePolicy(Deserialize::deserialize(d)?))
            }
            ApiName::PutScheduledAction => ApiCall::AutoScaling(ScalingCall::PutAction(Deserialize::deserialize(d)?)),
            ApiName::DeleteScheduledAction => {
                ApiCall::AutoScaling(ScalingCall::DeleteAction(Deserialize::deserialize(d)?))
            }
        })
    }
}

/// A later API call: `at`, `api`, `request`, and for RunTask an optional `taskDuration`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TimelineEntry {
    /// When the call is made.
    pub at: Duration,
    /// The call and its body.
    pub request: ApiCall,
    /// RunTask only: how long the tasks run (default: until stopped or the end).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_duration: Option<DistSpec>,
}

const TIMELINE_FIELDS: &[&str] = &["at", "api", "request", "taskDuration"];

struct DistField(DistSpec);

impl<'de> Deserialize<'de> for DistField {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        deserialize_dist(d).map(DistField)
    }
}

impl<'de> Deserialize<'de> for TimelineEntry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = TimelineEntry;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a table with at, api and request")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TimelineEntry, A::Error> {
                let mut at = None;
                let mut api: Option<ApiName> = None;
                let mut request = None;
                let mut raw: Option<serde_json::Value> = None;
                let mut task_duration = None;
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "at" => at = Some(map.next_value::<Duration>()?),
                        "api" => api = Some(map.next_value()?),
                        "request" => match api {
                            Some(a) => request = Some(map.next_value_seed(ApiSeed(a))?),
                            None => raw = Some(map.next_value()?),
                        },
                        "taskDuration" => task_duration = Some(map.next_value::<DistField>()?.0),
                        other => return Err(de::Error::unknown_field(other, TIMELINE_FIELDS)),
                    }
                }
                let api = api.ok_or_else(|| de::Error::missing_field("api"))?;
                if let Some(v) = raw {
                    request = Some(ApiSeed(api).deserialize(v).map_err(de::Error::custom)?);
                }
                let request = request.ok_or_else(|| de::Error::missing_field("request"))?;
                if task_duration.is_some() && api != ApiName::RunTask {
                    return Err(de::Error::custom("taskDuration applies to RunTask calls only"));
                }
                Ok(TimelineEntry {
                    at: at.ok_or_else(|| de::Error::missing_field("at"))?,
                    request,
                    task_duration,
                })
            }
        }
        d.deserialize_map(V)
    }
}

pub use super::sweep_table::{Axis, Select, SweepFile, SweepTable};
