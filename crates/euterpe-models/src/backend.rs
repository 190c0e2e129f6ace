//! Concrete backends.
//!
//! `Cpu` (burn's `flex`) is always built; `Gpu` (burn's CUDA backend) with the `cuda` feature.
//! Training uses the autodiff wrappers.

use burn::backend::{Autodiff, Flex};

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
