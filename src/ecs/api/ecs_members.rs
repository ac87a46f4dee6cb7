//! Members ECS accepts in each request body that ecsim reads but does not model.
//! A member in neither this list nor the body's own fields is an error.

/// RegisterTaskDefinition members not modelled.
pub const REGISTER_TASK_DEFINITION: &[&str] = &[
    "taskRoleArn",
    "executionRoleArn",
    "volumes",
    "tags",
    "pidMode",
    "ipcMode",
    "proxyConfiguration",
    "inferenceAccelerators",
    "ephemeralStorage",
    "enableFaultInjection",
];
/// ContainerDefinition members not modelled.
pub const CONTAINER_DEFINITION: &[&str] = &[
    "repositoryCredentials",
    "links",
    "restartPolicy",
    "entryPoint",
    "command",
    "environment",
    "environmentFiles",
    "mountPoints",
    "volumesFrom",
    "linuxParameters",
    "secrets",
    "dependsOn",
    "startTimeout",
    "versionConsistency",
    "hostname",
    "user",
    "workingDirectory",
    "disableNetworking",
    "privileged",
    "readonlyRootFilesystem",
    "dnsServers",
    "dnsSearchDomains",
    "extraHosts",
    "dockerSecurityOptions",
    "interactive",
    "pseudoTerminal",
    "dockerLabels",
    "ulimits",
    "logConfiguration",
    "healthCheck",
    "systemControls",
    "firelensConfiguration",
    "credentialSpecs",
];
/// PortMapping members not modelled.
pub const PORT_MAPPING: &[&str] = &["name", "appProtocol", "containerPortRange"];
/// CreateService members not modelled.
pub const CREATE_SERVICE: &[&str] = &[
    "loadBalancers",
    "serviceRegistries",
    "platformVersion",
    "role",
    "healthCheckGracePeriodSeconds",
    "deploymentController",
    "tags",
    "enableECSManagedTags",
    "propagateTags",
    "enableExecuteCommand",
    "serviceConnectConfiguration",
    "volumeConfigurations",
    "vpcLatticeConfigurations",
];
/// RunTask members not modelled.
pub const RUN_TASK: &[&str] = &[
    "enableECSManagedTags",
    "enableExecuteCommand",
    "overrides",
    "platformVersion",
    "propagateTags",
    "referenceId",
    "tags",
    "volumeConfigurations",
];
/// UpdateService members not modelled.
pub const UPDATE_SERVICE: &[&str] = &[
    "platformVersion",
    "healthCheckGracePeriodSeconds",
    "deploymentController",
    "enableExecuteCommand",
    "enableECSManagedTags",
    "loadBalancers",
    "propagateTags",
    "serviceRegistries",
    "serviceConnectConfiguration",
    "volumeConfigurations",
    "vpcLatticeConfigurations",
];
/// StopTask members not modelled.
pub const STOP_TASK: &[&str] = &[];
/// DeleteService members not modelled.
pub const DELETE_SERVICE: &[&str] = &[];
/// UpdateContainerInstancesState members not modelled.
pub const UPDATE_CONTAINER_INSTANCES_STATE: &[&str] = &[];
/// RegisterContainerInstance members not modelled.
pub const REGISTER_CONTAINER_INSTANCE: &[&str] = &[
    "instanceIdentityDocumentSignature",
    "containerInstanceArn",
    "platformDevices",
    "tags",
];
/// DeregisterContainerInstance members not modelled.
pub const DEREGISTER_CONTAINER_INSTANCE: &[&str] = &[];
/// CreateCluster members not modelled.
pub const CREATE_CLUSTER: &[&str] = &[
    "tags",
    "settings",
    "configuration",
    "capacityProviders",
    "defaultCapacityProviderStrategy",
    "serviceConnectDefaults",
];
/// CreateCapacityProvider members not modelled.
pub const CREATE_CAPACITY_PROVIDER: &[&str] = &["tags", "cluster", "managedInstancesProvider"];
/// PutClusterCapacityProviders members not modelled.
pub const PUT_CLUSTER_CAPACITY_PROVIDERS: &[&str] = &[];
/// DeploymentConfiguration members not modelled.
pub const DEPLOYMENT_CONFIGURATION: &[&str] = &["alarms", "lifecycleHooks"];
/// DeploymentCircuitBreaker members not modelled.
pub const DEPLOYMENT_CIRCUIT_BREAKER: &[&str] = &[];
