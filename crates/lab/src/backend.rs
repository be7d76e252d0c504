//! Which device trains: burn's pure-Rust `flex` CPU backend or wgpu
//! (Vulkan/Metal natively, WebGPU in the browser), chosen at run time, and the
//! async reads that work on both.

use burn::tensor::{Device, Int, Tensor};
use serde::{Deserialize, Serialize};

use crate::error::{LabError, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    /// burn-flex: pure Rust on the CPU, deterministic; the fallback everywhere.
    Flex,
    /// burn-wgpu: the GPU through wgpu (WebGPU in a browser).
    Wgpu,
}

impl BackendKind {
    pub fn name(self) -> &'static str {
        match self {
            Self::Flex => "flex",
            Self::Wgpu => "wgpu",
        }
    }

    pub fn from_name(name: &str) -> Result<Self> {
        match name {
            "flex" | "cpu" => Ok(Self::Flex),
            "wgpu" | "gpu" | "webgpu" => Ok(Self::Wgpu),
            other => Err(LabError::Invalid(format!(
                "unknown backend {other:?} (expected \"flex\" or \"wgpu\")"
            ))),
        }
    }
}

/// A ready device plus the words to show for it.
#[derive(Clone, Debug)]
pub struct Backend {
    pub kind: BackendKind,
    /// Inference device; `device.clone().autodiff()` trains.
    pub device: Device,
    /// Human-readable: the GPU adapter's name, or the CPU backend.
    pub label: String,
    /// flex's vector kernels on this CPU (`cpu_kernels`); `None` on a GPU.
    pub kernels: Option<String>,
}

/// The vector kernels flex picks at run time on this CPU. Kernels of other
/// widths round differently, so runs on two kinds of CPU can differ in a
/// count: parts of one run must share them (`shard::merge`).
pub fn cpu_kernels() -> &'static str {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::is_x86_feature_detected as has;
        // What gemm's and macerator's AVX-512 paths (pulp's x86-v4) need.
        if has!("avx512f") && has!("avx512bw") && has!("avx512cd") && has!("avx512dq") && has!("avx512vl") {
            return "AVX-512";
        }
        if has!("avx2") && has!("fma") {
            return "AVX2+FMA";
        }
        "SSE2"
    }
    #[cfg(target_family = "wasm")]
    {
        "wasm simd128"
    }
    #[cfg(target_arch = "aarch64")]
    {
        "NEON"
    }
    #[cfg(not(any(target_arch = "x86_64", target_family = "wasm", target_arch = "aarch64")))]
    {
        "portable"
    }
}

impl Backend {
    /// The CPU backend. Always explicit: `Device::default()` would pick a GPU.
    pub fn flex() -> Self {
        Self {
            kind: BackendKind::Flex,
            device: Device::flex(),
            label: "CPU (burn flex)".into(),
            kernels: Some(cpu_kernels().into()),
        }
    }

    /// Initialise the wgpu runtime. In a browser this must be awaited before
    /// any tensor is made on it; natively, drive it with any executor.
    pub async fn wgpu() -> Result<Self> {
        // In a browser without WebGPU, say so plainly instead of failing deep in wgpu.
        #[cfg(target_family = "wasm")]
        if !burn::tensor::wgpu::wgpu::util::is_browser_webgpu_supported().await {
            return Err(LabError::NoGpu("this browser does not offer WebGPU".into()));
        }
        let (device, setup) = Device::wgpu_options()
            .init_with_setup_async()
            .await
            .map_err(|e| LabError::NoGpu(e.to_string()))?;
        let info = setup.adapter.get_info();
        // Browsers usually hide the adapter's name (privacy): say what we know.
        let name = match (info.name.is_empty(), info.device_type) {
            (false, _) => info.name.clone(),
            (true, burn::tensor::wgpu::wgpu::DeviceType::Cpu) => "software adapter".into(),
            (true, _) => "unnamed adapter".into(),
        };
        Ok(Self {
            kind: BackendKind::Wgpu,
            device,
            label: format!("{name} ({:?})", info.backend),
            kernels: None,
        })
    }

    pub async fn init(kind: BackendKind) -> Result<Self> {
        match kind {
            BackendKind::Flex => Ok(Self::flex()),
            BackendKind::Wgpu => Self::wgpu().await,
        }
    }
}

/// Read a float tensor back to the host without blocking (WebGPU-safe).
/// A failed read, in words: which device (not its debug dump) and the
/// error's own message (not its chain and backtrace).
fn read_error(device: &Device, e: &impl std::fmt::Display) -> LabError {
    let backend = match format!("{device:?}") {
        d if d.contains("Wgpu") => "GPU (wgpu)",
        _ => "CPU (flex)",
    };
    // burn's message is a chain ("X / Caused by: / Y / Backtrace: ..."):
    // keep its distinct statements on one line.
    let mut detail: Vec<&str> = vec![];
    let text = e.to_string();
    for line in text.lines().map(str::trim) {
        let noise = line.is_empty() || line.starts_with("Caused by") || line.starts_with("Backtrace");
        if !noise && !line.contains("backtrace") && !detail.contains(&line) {
            detail.push(line);
        }
    }
    LabError::Read {
        backend: backend.into(),
        detail: detail.join("; "),
    }
}

pub async fn read_floats<const D: usize>(t: Tensor<D>) -> Result<Vec<f32>> {
    let device = t.device();
    let data = t.into_data_async().await.map_err(|e| read_error(&device, &e))?;
    Ok(data.iter::<f32>().collect())
}

/// Read an int tensor back to the host without blocking (WebGPU-safe).
pub async fn read_ints<const D: usize>(t: Tensor<D, Int>) -> Result<Vec<i64>> {
    let device = t.device();
    let data = t.into_data_async().await.map_err(|e| read_error(&device, &e))?;
    Ok(data.iter::<i64>().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_read_says_which_device_and_what_in_one_line() {
        let chain = "The device is poisoned\nCaused by:\n  The device is poisoned\nCaused by:\n  \
                     Destroyed: Device was destroyed.\nBacktrace:\nNo backtrace available";
        let text = read_error(&Device::flex(), &chain).to_string();
        assert!(
            text.starts_with(
                "could not read a result back from the CPU (flex): The device is poisoned; \
                 Destroyed: Device was destroyed. (if the GPU was lost"
            ),
            "{text}"
        );
    }

    #[test]
    fn names_round_trip_and_unknown_is_a_clear_error() {
        for k in [BackendKind::Flex, BackendKind::Wgpu] {
            assert_eq!(BackendKind::from_name(k.name()).unwrap(), k);
        }
        let err = BackendKind::from_name("tpu").unwrap_err().to_string();
        assert!(err.contains("\"tpu\"") && err.contains("flex"), "{err}");
    }
}
