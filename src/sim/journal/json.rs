//! Task and container instance state change events and API call records written as
//! JSON by hand: all four of the records a RunTask's task leaves in events.jsonl, and
//! the two every instance leaves, so nearly every line of a big run. The bytes are the
//! ones serde_json writes for the same [`Envelope`] or [`Trail`] (a test compares them
//! on the shipped scenarios); keys are written as they are, a string is copied whole
//! unless it holds a byte JSON escapes (which serde_json then writes), and the rare
//! members that are JSON values or small structs go through serde.

use super::Body;
use super::instance::{InstanceDetail, Registration, Resource};
use super::render::{Elements, Envelope, RunTaskResponse, Trail};
use super::task::TaskDetail;
use super::values::{Arn, Iso, Secs, Tail};
use crate::text::push_decimal;

/// One JSON object being written: members in the order they are added.
struct Obj<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> Obj<'a> {
    fn new(out: &'a mut Vec<u8>) -> Self {
        out.push(b'{');
        Obj { out, first: true }
    }

    /// `"key":` (the key needs no escaping). Inlined: the key is a constant, so its
    /// copy is a few stores rather than a call.
    #[inline(always)]
    fn key(&mut self, key: &str) -> &mut Vec<u8> {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        self.out.push(b'"');
        self.out.extend_from_slice(key.as_bytes());
        self.out.extend_from_slice(b"\":");
        self.out
    }

    fn str(&mut self, key: &str, v: &str) {
        string(self.key(key), v);
    }

    /// A string ecsim itself spells (a constant, an id, a time): nothing to escape.
    #[inline(always)]
    fn lit(&mut self, key: &str, v: &[u8]) {
        debug_assert!(v.is_ascii() && !needs_escape(v), "a literal JSON string");
        let out = self.key(key);
        out.push(b'"');
        out.extend_from_slice(v);
        out.push(b'"');
    }

    /// Members written before (comma-separated, no braces).
    fn raw(&mut self, members: &[u8]) {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        self.out.extend_from_slice(members);
    }

    /// A string, or nothing when there is none.
    fn some(&mut self, key: &str, v: Option<&str>) {
        if let Some(v) = v {
            self.str(key, v);
        }
    }

    /// An ARN, or `null`.
    fn arn_or_null(&mut self, key: &str, a: Option<&Arn<'_>>) {
        match a {
            Some(a) => arn(self.key(key), a),
            None => self.key(key).extend_from_slice(b"null"),
        }
    }

    /// An ISO time, or nothing when there is none.
    fn time(&mut self, key: &str, t: &Option<Iso>) {
        if let Some(t) = t {
            self.lit(key, t.as_bytes());
        }
    }

    /// Seconds with three decimals, as a string.
    fn secs(&mut self, key: &str, t: Secs) {
        let out = self.key(key);
        out.push(b'"');
        crate::text::push_secs(out, t.0.millis());
        out.push(b'"');
    }

    fn bool(&mut self, key: &str, b: bool) {
        self.key(key).extend_from_slice(if b { b"true" } else { b"false" });
    }

    fn num(&mut self, key: &str, n: u64) {
        push_decimal(self.key(key), n);
    }

    /// A member serialised by serde (a JSON value or a rare struct).
    fn serde(&mut self, key: &str, v: &impl serde::Serialize) {
        serde_json::to_writer(self.key(key), v).expect("a member serialises into memory");
    }

    fn end(self) {
        self.out.push(b'}');
    }
}

/// Whether JSON escapes a byte of `s` (a control character, `"` or `\\`).
fn needs_escape(s: &[u8]) -> bool {
    crate::text::any_special(s, b'"' + 1, Some(b'\\'), |&b| b < 0x20 || b == b'"' || b == b'\\')
}

/// A JSON string: copied between quotes when no byte needs escaping (a control
/// character, `"` or `\`), else as serde_json escapes it.
fn string(out: &mut Vec<u8>, s: &str) {
    if !needs_escape(s.as_bytes()) {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        serde_json::to_writer(out, s).expect("a string serialises into memory");
    }
}

/// An event's detail, written by hand.
pub trait Detail {
    /// Appends the detail as one JSON object, members in serde_json's sorted order.
    fn write_json(&self, out: &mut Vec<u8>);
}

impl<D: Detail> Envelope<D, Arn<'_>> {
    /// Appends the event as one JSON object, members in serde_json's sorted order.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        let mut o = Obj::new(out);
        o.lit("account", self.account.as_bytes());
        self.detail.write_json(o.key("detail"));
        o.lit("detail-type", self.detail_type.as_bytes());
        if let Some(e) = self.ecsim_event {
            o.num("ecsimEvent", e);
        }
        o.lit("id", self.id.as_bytes());
        o.lit("region", self.region.as_bytes());
        let [resource] = &self.resources;
        let out = o.key("resources");
        out.push(b'[');
        arn(out, resource);
        out.push(b']');
        o.secs("simTime", self.sim_time);
        o.lit("source", self.source.as_bytes());
        o.lit("time", self.time.as_bytes());
        o.lit("version", self.version.as_bytes());
        o.end();
    }
}

impl Detail for TaskDetail<'_> {
    fn write_json(&self, out: &mut Vec<u8>) {
        let mut o = Obj::new(out);
        match self.placed {
            Some(members) => o.raw(members),
            None => self.write_placement(&mut o),
        }
        o.time("createdAt", &self.created_at);
        o.lit("desiredStatus", self.desired_status.as_bytes());
        o.str("group", self.group);
        o.lit("lastStatus", self.last_status.as_bytes());
        o.lit("launchType", self.launch_type.as_bytes());
        o.time("startedAt", &self.started_at);
        o.str("startedBy", self.started_by);
        o.some("stopCode", self.stop_code);
        o.time("stoppedAt", &self.stopped_at);
        o.some("stoppedReason", self.stopped_reason.as_deref());
        o.time("stoppingAt", &self.stopping_at);
        arn(o.key("taskArn"), &self.task_arn);
        arn(o.key("taskDefinitionArn"), &self.task_definition_arn);
        o.num("version", self.version as u64);
        o.end();
    }
}

impl TaskDetail<'_> {
    /// The members that say where the task is, availabilityZone to
    /// containerInstanceArn.
    fn write_placement(&self, o: &mut Obj<'_>) {
        o.some("availabilityZone", self.availability_zone);
        o.str("capacityProviderName", self.capacity_provider_name);
        arn(o.key("clusterArn"), &self.cluster_arn);
        if let Some(a) = &self.container_instance_arn {
            arn(o.key("containerInstanceArn"), a);
        }
    }

    /// [`write_placement`](Self::write_placement)'s members alone, comma-separated, for
    /// [`TaskDetail::placed`] (the same for every task on one container instance).
    pub(super) fn placement_members(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        self.write_placement(&mut Obj {
            out: &mut out,
            first: true,
        });
        out
    }
}

impl Detail for InstanceDetail<'_> {
    fn write_json(&self, out: &mut Vec<u8>) {
        let mut o = Obj::new(out);
        o.bool("agentConnected", self.agent_connected);
        attributes(o.key("attributes"), &self.attributes);
        match self.capacity_provider_name {
            Some(name) => o.str("capacityProviderName", name),
            None => o.key("capacityProviderName").extend_from_slice(b"null"),
        }
        arn(o.key("clusterArn"), &self.cluster_arn);
        arn(o.key("containerInstanceArn"), &self.container_instance_arn);
        o.str("ec2InstanceId", self.ec2_instance_id);
        o.lit("registeredAt", self.registered_at.as_bytes());
        resources(o.key("registeredResources"), &self.registered_resources);
        resources(o.key("remainingResources"), &self.remaining_resources);
        o.num("runningTasksCount", u64::from(self.running_tasks_count));
        o.lit("status", self.status.as_bytes());
        o.some("statusReason", self.status_reason);
        agent_version(o.key("versionInfo"), self.version_info.agent_version);
        o.end();
    }
}

impl Registration<'_> {
    /// The body as JSON text, members in serde_json's sorted order.
    pub(super) fn json(&self) -> String {
        let mut out = Vec::with_capacity(1024);
        let mut o = Obj::new(&mut out);
        attributes(o.key("attributes"), &self.attributes);
        o.str("cluster", self.cluster);
        o.str("instanceIdentityDocument", &self.instance_identity_document);
        resources(o.key("totalResources"), &self.total_resources);
        if !self.user_data.is_empty() {
            o.str("userData", self.user_data);
        }
        agent_version(o.key("versionInfo"), self.version_info.agent_version);
        o.end();
        String::from_utf8(out).expect("JSON written from strings is UTF-8")
    }
}

/// `[{"name", "value"}, …]`.
fn attributes(out: &mut Vec<u8>, items: &[super::instance::Attribute<'_>]) {
    objects(out, items, |e, a| {
        e.str("name", a.name);
        e.str("value", a.value);
    });
}

/// `[{"integerValue" or "stringSetValue", "name", "type"}, …]`.
fn resources(out: &mut Vec<u8>, items: &[Resource]) {
    objects(out, items, |e, r| {
        if let Some(n) = r.integer_value {
            e.num("integerValue", u64::from(n));
        }
        e.lit("name", r.name.as_bytes());
        if let Some(set) = &r.string_set_value {
            let out = e.key("stringSetValue");
            out.push(b'[');
            for (i, v) in set.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                string(out, v);
            }
            out.push(b']');
        }
        e.lit("type", r.kind.as_bytes());
    });
}

/// `{"agentVersion"}`.
fn agent_version(out: &mut Vec<u8>, version: &str) {
    let mut v = Obj::new(out);
    v.str("agentVersion", version);
    v.end();
}

/// An ARN as a JSON string, written in place between quotes: its names (cluster,
/// task definition family, service) are letters, digits, hyphens and underscores, as
/// ECS allows and the run checked when each was created, so nothing in it is escaped.
fn arn(out: &mut Vec<u8>, a: &Arn<'_>) {
    debug_assert!(
        !needs_escape(a.name.as_bytes()) && !matches!(a.tail, Tail::Name(n) if needs_escape(n.as_bytes())),
        "ARN names are checked when created"
    );
    out.push(b'"');
    a.write(out);
    out.push(b'"');
}

impl Trail<'_> {
    /// Appends the record as one JSON object, members in serde_json's sorted order.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        let mut o = Obj::new(out);
        o.lit("awsRegion", self.aws_region.as_bytes());
        if let Some(c) = &self.ecsim_client {
            let mut client = Obj::new(o.key("ecsimClient"));
            client.secs("arrivedAt", c.arrived_at);
            client.num("attempt", u64::from(c.attempt));
            client.str("request", c.request);
            client.bool("retries", c.retries);
            client.end();
        }
        if let Some(e) = self.ecsim_event {
            o.num("ecsimEvent", e);
        }
        if let Some(r) = self.ecsim_idempotent_replay {
            o.serde("ecsimIdempotentReplay", &r);
        }
        if let Some(r) = &self.ecsim_run {
            o.serde("ecsimRun", r);
        }
        if let Some(c) = self.error_code {
            o.str("errorCode", c);
        }
        if let Some(m) = self.error_message {
            o.str("errorMessage", m);
        }
        o.lit("eventName", self.event_name.as_bytes());
        o.lit("eventSource", self.event_source.as_bytes());
        o.lit("eventTime", self.event_time.as_bytes());
        o.lit("eventType", self.event_type.as_bytes());
        o.lit("eventVersion", self.event_version.as_bytes());
        o.lit("recipientAccountId", self.recipient_account_id.as_bytes());
        match self.request_parameters {
            Body::Value(v) => o.serde("requestParameters", v),
            Body::Rendered(text) => o.key("requestParameters").extend_from_slice(text.as_bytes()),
        }
        match &self.response_elements {
            Elements::RunTask(r) => r.write_json(o.key("responseElements")),
            Elements::Value(v) => o.serde("responseElements", v),
        }
        o.secs("simTime", self.sim_time);
        if let Some(a) = self.user_agent {
            o.str("userAgent", a);
        }
        if let Some(u) = &self.user_identity {
            o.serde("userIdentity", u);
        }
        o.end();
    }
}

impl RunTaskResponse<'_> {
    fn write_json(&self, out: &mut Vec<u8>) {
        let mut o = Obj::new(out);
        objects(o.key("failures"), &self.failures, |e, f| {
            e.arn_or_null("arn", f.arn.as_ref());
            e.lit("reason", f.reason.as_bytes());
        });
        objects(o.key("tasks"), &self.tasks, |e, t| {
            e.str("capacityProviderName", t.capacity_provider_name);
            e.arn_or_null("containerInstanceArn", t.container_instance_arn.as_ref());
            e.str("group", t.group);
            e.lit("lastStatus", t.last_status.as_bytes());
            e.lit("launchType", t.launch_type.as_bytes());
            arn(e.key("taskArn"), &t.task_arn);
            arn(e.key("taskDefinitionArn"), &t.task_definition_arn);
        });
        o.end();
    }
}

/// A JSON array of objects, one per item, whose members `members` writes.
fn objects<T>(out: &mut Vec<u8>, items: &[T], members: impl Fn(&mut Obj, &T)) {
    out.push(b'[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let mut o = Obj::new(out);
        members(&mut o, item);
        o.end();
    }
    out.push(b']');
}

#[cfg(test)]
mod tests {
    #[test]
    fn strings_are_written_as_serde_json_writes_them() {
        for s in [
            "",
            "plain text, with: punctuation",
            "a \"quote\"",
            "back\\slash",
            "line\nbreak\t",
            "é ✓",
        ] {
            let mut out = Vec::new();
            super::string(&mut out, s);
            assert_eq!(out, serde_json::to_vec(s).unwrap(), "{s:?}");
        }
    }
}
