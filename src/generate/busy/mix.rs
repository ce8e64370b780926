//! The busy cluster's mix: the activities a slot with nothing planned starts, and how often.

/// What starts in a slot with nothing planned.
#[derive(Clone, Copy)]
pub enum Activity {
    NodeLease,
    NodeStatus,
    NodeGet,
    KubeletPodGet,
    KubeletPodStatus,
    KubeletConfigMapWatch,
    PodReplaced,
    CronJobRun,
    EventRepeated,
    NodeReplaced,
    CiDeploy,
    CiSmoke,
    Human,
    AwsNode,
    KubeProxy,
    CoreDns,
    EbsCsi,
    Prometheus,
    EndpointSliceUpdate,
    ReplicaSetStatus,
    DeploymentStatus,
    LeaderLease,
    HealthProbe,
    AppDenied,
}

/// How often each activity starts, relative to the others. An activity plans 1 to 13 events, so
/// by events (measured at 300,000): pod replacements about half, kubelets' leases, node status and
/// pod reads a quarter, CronJob runs, repeated events, CI, people, add-ons and controllers the rest.
/// Pod replacements and event objects name something new in almost every event; leases, watches
/// and status updates repeat. Tuned so that about two thirds of 300,000 events are distinct
/// request shapes (three quarters of 30,000; tests/generate.rs holds it between 60 and 80 %).
pub const MIX: &[(Activity, u32)] = &[
    (Activity::NodeLease, 2000),
    (Activity::NodeStatus, 680),
    (Activity::NodeGet, 340),
    (Activity::KubeletPodGet, 450),
    (Activity::KubeletPodStatus, 680),
    (Activity::KubeletConfigMapWatch, 450),
    (Activity::PodReplaced, 1650),
    (Activity::CronJobRun, 90),
    (Activity::EventRepeated, 910),
    (Activity::NodeReplaced, 7),
    (Activity::CiDeploy, 100),
    (Activity::CiSmoke, 85),
    (Activity::Human, 140),
    (Activity::AwsNode, 340),
    (Activity::KubeProxy, 340),
    (Activity::CoreDns, 230),
    (Activity::EbsCsi, 110),
    (Activity::Prometheus, 230),
    (Activity::EndpointSliceUpdate, 340),
    (Activity::ReplicaSetStatus, 230),
    (Activity::DeploymentStatus, 110),
    (Activity::LeaderLease, 230),
    (Activity::HealthProbe, 70),
    (Activity::AppDenied, 45),
];
