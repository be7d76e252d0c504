//! Allocator tuning. glibc hands every allocation above its mmap threshold
//! (128 KiB, adapting upward slowly) to a fresh `mmap`, and a tiny GPT's
//! activations are just that size: each step would page-fault its whole
//! working set back in. Raising the thresholds keeps freed blocks in the heap,
//! exactly as the PyTorch peer (`torch_ref.py`) does through its environment.

#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn tune() {
    // SAFETY: mallopt only changes allocator parameters; called before any threads start.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 30);
        libc::mallopt(libc::M_TRIM_THRESHOLD, i32::MAX);
        libc::mallopt(libc::M_TOP_PAD, 256 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn tune() {}
