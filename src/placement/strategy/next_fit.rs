//! Not ECS — research heuristic `nextFit`: first fit starting from the instance of the
//! plan's last placement, wrapping around (CloudSim Plus's FirstFit, which keeps a
//! rotating start so that it does not rescan the full hosts every time). The score is
//! the distance forward from the last placement.

super::heuristic!("nextFit", NextFit, |v, id| {
    let n = v.cluster.len().max(1) as u64;
    (id.0 as u64 + n - v.last.0 as u64 % n) % n
});
