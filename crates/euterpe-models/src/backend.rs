//! Concrete backends, and running generic model code on the device a user chose.
//!
//! `Cpu` (burn's `flex`) is always built; `Gpu` (burn's CUDA backend) with the `cuda` feature.
//! Training uses the autodiff wrappers. Code that is generic over [`ModelBackend`] runs on the
//! device of a [`DeviceSpec`] through [`run_inference`] or [`run_training`], which pick the
//! backend type at run time.

use std::fmt;
use std::str::FromStr;

use burn::backend::{Autodiff, Flex};
use serde::{Deserialize, Serialize};

use crate::ops::{ModelBackend, TrainingBackend};

/// The CPU backend.
pub type Cpu = Flex;
/// The CPU backend with automatic differentiation, for training.
pub type CpuAutodiff = Autodiff<Flex>;

/// The NVIDIA GPU backend.
#[cfg(feature = "cuda")]
pub type Gpu = burn::backend::Cuda;
/// The NVIDIA GPU backend with automatic differentiation.
#[cfg(feature = "cuda")]
pub type GpuAutodiff = Autodiff<burn::backend::Cuda>;

/// Tunes the C allocator for tensor work: freed buffers stay in the process for the next
/// step instead of going back to the operating system.
///
/// Every training step allocates and frees the same large tensors; glibc serves allocations over
/// its mmap threshold with fresh mappings and returns them on free, so each step pays page faults
/// and page zeroing for all of them (10–25 % of a Transformer's training time here). This keeps
/// all allocations on the heap and stops trimming it. It changes process-wide state, so only
/// binaries call it (at start-up, before any thread exists); elsewhere, or when the environment
/// variable `EUTERPE_SYSTEM_ALLOCATOR` is set, it does nothing.
pub fn tune_allocator_for_tensors() {
    if std::env::var_os("EUTERPE_SYSTEM_ALLOCATOR").is_some() {
        return;
    }
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator parameters; called before other threads start.
    unsafe {
        libc::mallopt(libc::M_MMAP_MAX, 0);
        libc::mallopt(libc::M_TRIM_THRESHOLD, libc::c_int::MAX);
    }
}

/// Where a model runs, as users write it: `cpu`, `cuda` (the first GPU) or `cuda:N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum DeviceSpec {
    /// The CPU (burn's `flex` backend), always available.
    #[default]
    Cpu,
    /// The NVIDIA GPU with this index (burn's CUDA backend; needs the `cuda` feature).
    Cuda(usize),
}

impl FromStr for DeviceSpec {
    type Err = DeviceError;

    fn from_str(text: &str) -> Result<Self, DeviceError> {
        let t = text.trim().to_ascii_lowercase();
        let bad = || DeviceError::Unknown(text.to_string());
        match t.as_str() {
            "cpu" => Ok(DeviceSpec::Cpu),
            "cuda" | "gpu" => Ok(DeviceSpec::Cuda(0)),
            _ => {
                let index = t
                    .strip_prefix("cuda:")
                    .or_else(|| t.strip_prefix("gpu:"))
                    .ok_or_else(bad)?;
                index.parse().map(DeviceSpec::Cuda).map_err(|_| bad())
            }
        }
    }
}

impl fmt::Display for DeviceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceSpec::Cpu => f.write_str("cpu"),
            DeviceSpec::Cuda(i) => write!(f, "cuda:{i}"),
        }
    }
}

impl TryFrom<String> for DeviceSpec {
    type Error = DeviceError;

    fn try_from(text: String) -> Result<Self, DeviceError> {
        text.parse()
    }
}

impl From<DeviceSpec> for String {
    fn from(d: DeviceSpec) -> String {
        d.to_string()
    }
}

/// A device that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeviceError {
    /// Not a device name.
    #[error("unknown device {0:?}: expected cpu, cuda or cuda:N")]
    Unknown(String),
    /// A GPU was asked of a build without GPU support.
    #[error("device {0}: this euterpe was built without GPU support; rebuild with the `cuda` feature (cargo build --release --features cuda)")]
    CudaNotBuilt(DeviceSpec),
}

impl DeviceSpec {
    /// Whether this build can run on the device (the CPU always; a GPU with the `cuda` feature).
    pub fn check_available(self) -> Result<(), DeviceError> {
        match self {
            DeviceSpec::Cpu => Ok(()),
            DeviceSpec::Cuda(_) if cfg!(feature = "cuda") => Ok(()),
            DeviceSpec::Cuda(_) => Err(DeviceError::CudaNotBuilt(self)),
        }
    }
}

/// Inference or evaluation code that is generic over the backend: what [`run_inference`] runs.
/// (A trait rather than a closure, because Rust closures cannot be generic.)
pub trait InferenceJob {
    /// What the job returns.
    type Output;
    /// Runs on `device` of backend `B`.
    fn run<B: ModelBackend>(self, device: B::Device) -> Self::Output;
}

/// Training code that is generic over an autodiff backend: what [`run_training`] runs.
pub trait TrainingJob {
    /// What the job returns.
    type Output;
    /// Runs on `device` of backend `B`.
    fn run<B: TrainingBackend>(self, device: B::Device) -> Self::Output;
}

/// Runs `job` on the device `spec` names, with the matching backend.
pub fn run_inference<J: InferenceJob>(spec: DeviceSpec, job: J) -> Result<J::Output, DeviceError> {
    spec.check_available()?;
    match spec {
        DeviceSpec::Cpu => Ok(job.run::<Cpu>(Default::default())),
        #[cfg(feature = "cuda")]
        DeviceSpec::Cuda(index) => Ok(job.run::<Gpu>(burn::backend::cuda::CudaDevice { index })),
        #[cfg(not(feature = "cuda"))]
        DeviceSpec::Cuda(_) => Err(DeviceError::CudaNotBuilt(spec)),
    }
}

/// Runs a training `job` on the device `spec` names, with the matching autodiff backend.
pub fn run_training<J: TrainingJob>(spec: DeviceSpec, job: J) -> Result<J::Output, DeviceError> {
    spec.check_available()?;
    match spec {
        DeviceSpec::Cpu => Ok(job.run::<CpuAutodiff>(Default::default())),
        #[cfg(feature = "cuda")]
        DeviceSpec::Cuda(index) => {
            Ok(job.run::<GpuAutodiff>(burn::backend::cuda::CudaDevice { index }))
        }
        #[cfg(not(feature = "cuda"))]
        DeviceSpec::Cuda(_) => Err(DeviceError::CudaNotBuilt(spec)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_names_parse_and_print_back() {
        for (text, spec) in [
            ("cpu", DeviceSpec::Cpu),
            ("CUDA", DeviceSpec::Cuda(0)),
            ("cuda:3", DeviceSpec::Cuda(3)),
        ] {
            assert_eq!(text.parse::<DeviceSpec>().unwrap(), spec);
            assert_eq!(spec.to_string().parse::<DeviceSpec>().unwrap(), spec);
        }
        for bad in ["tpu", "cuda:", "cuda:x", ""] {
            assert!(
                matches!(bad.parse::<DeviceSpec>(), Err(DeviceError::Unknown(_))),
                "{bad}"
            );
        }
    }

    use burn::tensor::ElementConversion;

    struct Sum;
    impl InferenceJob for Sum {
        type Output = f32;
        fn run<B: ModelBackend>(self, device: B::Device) -> f32 {
            burn::tensor::Tensor::<B, 1>::from_floats([1.0, 2.0], &device)
                .sum()
                .into_scalar()
                .elem()
        }
    }

    #[test]
    fn jobs_run_on_the_cpu_and_a_gpu_needs_the_feature() {
        assert_eq!(run_inference(DeviceSpec::Cpu, Sum).unwrap(), 3.0);
        if !cfg!(feature = "cuda") {
            let e = run_inference(DeviceSpec::Cuda(0), Sum).unwrap_err();
            assert!(e.to_string().contains("`cuda` feature"), "{e}");
        }
    }
}
