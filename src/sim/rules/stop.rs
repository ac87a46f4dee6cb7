//! Stopping a task: SIGTERM and STOPPING for a graceful stop, then STOPPED; its
//! service's counts, its provider's, its instance's resources and its cost meter
//! given back; the service throttle and circuit breaker told of a failed start.

use crate::engine::SimDuration;
use crate::sim::Sim;
use crate::sim::ids::{Origin, TaskIdx};
use crate::sim::journal::Record;
use crate::sim::task::{Reason, StopCode, TaskStatus};

impl Sim<'_> {
    /// Stops a task. A RUNNING task the scheduler or a user stops gets SIGTERM (when its
    /// agent is connected) and passes through STOPPING for its containers' exit time,
    /// capped by the stop timeout; every other stop is immediate, and ends a STOPPING
    /// task at once.
    pub(in crate::sim) fn stop_task(&mut self, t: TaskIdx, code: StopCode, reason: Reason) {
        let now = self.now();
        // A task given up (finished tasks not kept) is STOPPED.
        let Some(task) = self.tasks.find(t) else { return };
        let signalled = matches!(code, StopCode::ServiceSchedulerInitiated | StopCode::UserInitiated);
        let graceful = signalled
            && task.status == TaskStatus::Running
            && task.instance.is_none_or(|i| self.fleet.cluster().agent_connected(i));
        match task.status {
            TaskStatus::Stopped => return,
            TaskStatus::Stopping => {
                // Already told to stop: only the end of its capacity cuts that short.
                if !signalled {
                    self.cancel_events(t);
                    self.task_stopped(t);
                }
                return;
            }
            _ => {}
        }
        let wait = if graceful {
            let timeout = self.stop_timeout(t);
            self.fleet.stop_latency(self.sc, timeout)
        } else {
            SimDuration::ZERO
        };
        self.leave_service(t);
        let task = self.tasks.get(t);
        let was_provisioning = task.status == TaskStatus::Provisioning;
        let (group, pool) = (task.group, task.pool);
        if task.status == TaskStatus::Running {
            self.capacity.fargate_running(pool, -1);
        }
        let task = self.tasks.get_mut(t);
        task.stop_code = Some(code);
        task.reason = Some(reason);
        task.stopping_at = now.into();
        self.cancel_events(t);
        if was_provisioning {
            self.capacity.forget_provisioning(t, pool);
        }
        self.capacity.count_live(group, pool, -1);
        if wait > SimDuration::ZERO {
            self.tasks.set_status(t, TaskStatus::Stopping);
            self.schedule_on(now + wait, t, super::Event::Stopped(t));
            self.record(|_| Record::TaskChange(t, None));
        } else {
            self.task_stopped(t);
        }
        let task = self.tasks.get(t);
        if let (Origin::Service(s), StopCode::TaskFailedToStart) = (task.origin, code) {
            let d = task.deployment;
            self.task_failed_to_start(s, d);
        }
    }

    /// The task's containers have exited: STOPPED, its resources released.
    pub(in crate::sim) fn task_stopped(&mut self, t: TaskIdx) {
        let now = self.now();
        self.tasks.set_status(t, TaskStatus::Stopped);
        let task = self.tasks.get_mut(t);
        task.stopped_at = now.into();
        let (inst, td, group, pool, meter, zone) = (
            task.instance,
            task.taskdef,
            task.group,
            task.pool,
            task.meter,
            task.zone,
        );
        if let Some(m) = meter {
            self.metrics.close_meter(m, now);
        }
        if pool.is_fargate() {
            self.capacity.fargate_stopped(group, pool, zone);
        }
        if let Some(inst) = inst {
            let res = &self.control.registry().get(td).reservation;
            self.fleet.release(inst, res, group, t);
        }
        self.record(|_| Record::TaskChange(t, None));
        if let Some(inst) = inst {
            if self.fleet.cluster().status(inst) == crate::ecs::cluster::InstanceStatus::Draining {
                self.services.mark_daemons_dirty();
            }
            self.capacity_freed(Some(inst));
        }
    }

    /// A service's task stops being live: its service's counts.
    fn leave_service(&mut self, t: TaskIdx) {
        let task = self.tasks.get(t);
        let Origin::Service(s) = task.origin else { return };
        let (d, running, healthy) = (task.deployment, task.status == TaskStatus::Running, task.healthy);
        if running {
            let r = &self.control.registry().get(task.taskdef).reservation;
            self.appscaling.running_changed(s, self.q.now(), false, r.cpu, r.memory);
        }
        let unreplaced = task.after_fault && task.started_at.get().is_none();
        let svc = self.services.get_mut(s);
        if unreplaced {
            svc.fault_debt += 1;
        }
        svc.live.remove(&t);
        svc.doomed.remove(&t);
        let c = &mut svc.deployments[d.idx()].counts;
        c.live -= 1;
        if running {
            c.running -= 1;
        }
        if healthy {
            c.healthy -= 1;
        }
        self.services.mark_dirty(s);
    }

    /// The stop timeout of a task: its containers' `stopTimeout`, else its instance
    /// agent's ECS_CONTAINER_STOP_TIMEOUT (Fargate: 30 s).
    fn stop_timeout(&self, t: TaskIdx) -> SimDuration {
        let task = self.tasks.get(t);
        let td = self.control.registry().get(task.taskdef);
        let from_containers = td
            .body
            .container_definitions
            .iter()
            .filter_map(|c| c.stop_timeout)
            .max()
            .map(|s| SimDuration::from_secs(s as u64));
        from_containers.unwrap_or_else(|| match task.instance {
            Some(i) => self.fleet.cluster().instance(i).spec.agent.stop_timeout,
            None => crate::ecs::agent::DEFAULT_STOP_TIMEOUT,
        })
    }
}
