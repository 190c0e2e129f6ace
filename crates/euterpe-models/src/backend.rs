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
