//! Reading an openb pod list and its node list into an experiment.

use super::node::{Node, Pod};
use super::{Experiment, MAX_GPUS, MILLI, NODE_LIST, node_list_for};
use crate::error::{Error, Problem};
use crate::pack::Found;
use crate::scenario::trace::{OpenbNode, OpenbPod, openb_node_list, openb_pods};

/// An input error at `line` and `col` of `file` (line 0: the file as a whole).
fn at(file: &str, line: usize, col: usize, message: String) -> Error {
    Error::Invalid(vec![Problem {
        file: file.to_string(),
        path: String::new(),
        position: (line > 0).then_some((line, col)),
        message,
    }])
}

fn trace_error((file, line, col, message): (String, usize, usize, String)) -> Error {
    at(&file, line, col, message)
}

/// Reads the pod list `found` and its node list.
pub fn load(found: &Found) -> Result<Experiment, Error> {
    let file = found.path.display().to_string();
    let node_file = node_list_for(&found.path).ok_or_else(|| {
        Error::invalid(
            &file,
            "",
            format!("no node list: {NODE_LIST} was looked for in this file's folder and its parents"),
        )
    })?;
    let raw_nodes = openb_node_list(&node_file).map_err(trace_error)?;
    let raw_pods = openb_pods(&found.path).map_err(trace_error)?;
    let mut models: Vec<String> = Vec::new();
    let mut intern = |m: &str| -> Result<u8, String> {
        let at = match models.iter().position(|x| x == m) {
            Some(at) => at,
            None => {
                models.push(m.to_string());
                models.len() - 1
            }
        };
        if at >= 64 {
            return Err("more than 64 GPU models: this mode keeps at most 64".into());
        }
        Ok(at as u8 + 1)
    };
    let node_file_name = node_file.display().to_string();
    let mut nodes = Vec::with_capacity(raw_nodes.len());
    for (i, n) in raw_nodes.iter().enumerate() {
        let OpenbNode {
            cpu_milli,
            memory_mib,
            gpus,
            model,
        } = n;
        // Row i is line i + 2, under the header.
        let here = |m: String| at(&node_file_name, i + 2, 1, m);
        if *gpus as usize > MAX_GPUS {
            return Err(here(format!(
                "gpu is {gpus}: GPU sharing keeps at most {MAX_GPUS} GPUs per node"
            )));
        }
        let model = if *gpus == 0 { 0 } else { intern(model).map_err(here)? };
        let mut left = [0; MAX_GPUS];
        left[..*gpus as usize].fill(MILLI as u16);
        nodes.push(Node {
            cpu_left: *cpu_milli,
            mem_left: *memory_mib,
            gpus: *gpus as u8,
            model,
            left,
        });
    }
    let mut pods = Vec::with_capacity(raw_pods.len());
    for (i, p) in raw_pods.iter().enumerate() {
        let OpenbPod {
            cpu_milli,
            memory_mib,
            num_gpu,
            gpu_milli,
            gpu_models,
            ..
        } = p;
        let here = |m: String| at(&file, i + 2, 1, m);
        if *gpu_milli > MILLI || *num_gpu as usize > MAX_GPUS || (*num_gpu > 1 && *gpu_milli < MILLI && *gpu_milli > 0)
        {
            return Err(here(format!(
                "num_gpu {num_gpu} × gpu_milli {gpu_milli}: a pod asks for a share (up to 1000) of one GPU or for up to {MAX_GPUS} whole GPUs"
            )));
        }
        let mut mask = 0u64;
        for m in gpu_models {
            mask |= 1 << (intern(m).map_err(here)? - 1);
        }
        pods.push(Pod {
            cpu: *cpu_milli,
            mem: *memory_mib,
            gpus: *num_gpu,
            milli: if *num_gpu == 0 { 0 } else { *gpu_milli },
            models: mask,
        });
    }
    if nodes.iter().all(|n| n.gpus == 0) || pods.iter().all(|p| !p.uses_gpus()) {
        return Err(Error::invalid(
            &file,
            "",
            "GPU sharing needs GPUs on some node and pods that ask for them",
        ));
    }
    Ok(Experiment {
        set: found.set.clone(),
        instance: found
            .path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("pods")
            .to_string(),
        nodes,
        pods,
    })
}
