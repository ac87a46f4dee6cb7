//! Fargate's valid task sizes (ecs-semantics.md §5.1, Linux), checked when a task
//! definition that requires FARGATE is registered and when a task is sent to Fargate.

/// Valid Fargate task memory (MiB) for a task CPU (units), Linux; `None` when the CPU
/// value is not a Fargate size.
pub fn valid_memory(cpu: u32) -> Option<Vec<u32>> {
    let steps = |from: u32, to: u32, step: u32| (from..=to).step_by(step as usize).collect::<Vec<_>>();
    Some(match cpu {
        256 => vec![512, 1024, 2048],
        512 => vec![1024, 2048, 3072, 4096],
        1024 => steps(2048, 8192, 1024),
        2048 => steps(4096, 16384, 1024),
        4096 => steps(8192, 30720, 1024),
        8192 => steps(16384, 61440, 4096),
        16384 => steps(32768, 122880, 8192),
        _ => return None,
    })
}

/// Checks a task's cpu/memory pair; the message lists what is allowed.
pub fn check_size(cpu: Option<u32>, memory: Option<u32>) -> Result<(), String> {
    let (Some(cpu), Some(memory)) = (cpu, memory) else {
        return Err("Fargate needs task-level cpu and memory".into());
    };
    match valid_memory(cpu) {
        None => Err(format!(
            "cpu {cpu} is not a Fargate size: 256, 512, 1024, 2048, 4096, 8192 or 16384"
        )),
        Some(m) if !m.contains(&memory) => Err(format!(
            "memory {memory} MiB is not valid with cpu {cpu} on Fargate: {} MiB",
            if m.len() > 4 {
                format!("{}–{} in steps of {}", m[0], m[m.len() - 1], m[1] - m[0])
            } else {
                m.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")
            }
        )),
        Some(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fargate_table() {
        assert!(check_size(Some(256), Some(512)).is_ok());
        assert!(check_size(Some(512), Some(4096)).is_ok());
        assert!(check_size(Some(4096), Some(30720)).is_ok());
        assert!(check_size(Some(8192), Some(20480)).is_ok());
        assert!(check_size(Some(16384), Some(122880)).is_ok());
        let e = check_size(Some(256), Some(4096)).unwrap_err();
        assert!(e.contains("512, 1024, 2048"), "{e}");
        let e = check_size(Some(1024), Some(1024)).unwrap_err();
        assert!(e.contains("2048–8192 in steps of 1024"), "{e}");
        assert!(check_size(Some(8192), Some(18432)).is_err());
        assert!(
            check_size(Some(300), Some(1024))
                .unwrap_err()
                .contains("not a Fargate size")
        );
        assert!(check_size(None, Some(1024)).is_err());
    }
}
