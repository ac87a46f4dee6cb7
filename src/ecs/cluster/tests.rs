//! Tests of the cluster model.

use super::*;

fn spec(az: &str, cpu: u32, mem: u32) -> InstanceSpec {
    InstanceSpec::new(format!("i-{az}"), cpu, mem).in_zone(az)
}

fn res(cpu: u32, memory: u32) -> Reservation {
    Reservation {
        cpu,
        memory,
        ..Default::default()
    }
}

#[test]
fn allocation_and_release_balance() {
    let mut c = Cluster::new("default");
    let a = c.register(spec("us-east-1a", 2048, 4000), SimTime::ZERO);
    let g = c.group("service:web");
    let r = res(512, 1000);
    assert_eq!(c.shortfall(a, &res(4096, 1)), Some(Shortfall::Cpu));
    assert_eq!(c.shortfall(a, &res(1, 5000)), Some(Shortfall::Memory));
    c.allocate(a, &r, g);
    c.allocate(a, &r, g);
    assert_eq!((c.cpu_left(a), c.mem_left(a), c.running_tasks(a)), (1024, 2000, 2));
    assert_eq!(c.group_count_on(g, a), 2);
    assert_eq!(c.busy_count(), 1);
    c.release(a, &r, g);
    c.release(a, &r, g);
    assert_eq!((c.cpu_left(a), c.mem_left(a)), (2048, 4000));
    assert_eq!(c.group_count_on(g, a), 0);
    assert_eq!(c.busy_count(), 0);
    assert_eq!(c.reserved_totals(), (0, 0));
}

#[test]
fn static_ports_conflict_and_reserved_ports_are_taken() {
    let mut c = Cluster::new("default");
    let a = c.register(spec("a", 4096, 8000), SimTime::ZERO);
    let g = c.group("family:p");
    let web = Reservation {
        cpu: 1,
        memory: 1,
        static_ports: vec![(Protocol::Tcp, 80)],
        ..Default::default()
    };
    assert!(c.ports_fit(a, &web));
    c.allocate(a, &web, g);
    assert_eq!(c.shortfall(a, &web), Some(Shortfall::Ports));
    let ssh = Reservation {
        cpu: 1,
        memory: 1,
        static_ports: vec![(Protocol::Tcp, 22)],
        ..Default::default()
    };
    assert_eq!(c.shortfall(a, &ssh), Some(Shortfall::Ports));
    let udp80 = Reservation {
        cpu: 1,
        memory: 1,
        static_ports: vec![(Protocol::Udp, 80)],
        ..Default::default()
    };
    assert!(c.ports_fit(a, &udp80));
    c.release(a, &web, g);
    assert!(c.ports_fit(a, &web));
}

#[test]
fn enis_run_out() {
    let mut c = Cluster::new("default");
    let a = c.register(spec("a", 4096, 8000), SimTime::ZERO);
    let g = c.group("family:v");
    let r = Reservation {
        cpu: 1,
        memory: 1,
        eni: true,
        ..Default::default()
    };
    c.allocate(a, &r, g);
    c.allocate(a, &r, g);
    assert_eq!(c.shortfall(a, &r), Some(Shortfall::Eni));
}
