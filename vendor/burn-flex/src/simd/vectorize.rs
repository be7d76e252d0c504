//! Element-wise loops compiled for the widest vector unit the CPU has.
//!
//! Upbringing patch (see `PATCHES.md`). A plain `for` loop over a closure is
//! vectorised by LLVM, but only for the build's baseline target (SSE2 on
//! x86-64, 4 lanes, no FMA). On x86-64 these loops are also compiled with
//! AVX2 + FMA and picked at run time, as `gemm` and `macerator` already do
//! for their kernels. Elsewhere (wasm with simd128, aarch64 with NEON) the
//! baseline build is already the right one.
//!
//! The closures must be `#[inline]`-able and branch-free enough to vectorise
//! (see [`super::fast_math`]); anything else still works, one lane at a time.

use core::mem::MaybeUninit;

#[cfg(all(feature = "std", target_arch = "x86_64"))]
#[inline]
fn has_avx2_fma() -> bool {
    // std caches the CPUID answer: this is an atomic load.
    std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
}

/// Runs `$body` (a call to an `#[inline(always)]` loop) compiled for AVX2 + FMA
/// when the CPU has them, and for the baseline target otherwise.
macro_rules! dispatch {
    ($name:ident [$($generics:tt)*] ($($arg:ident: $ty:ty),*) $body:block) => {{
        #[cfg(all(feature = "std", target_arch = "x86_64"))]
        {
            #[target_feature(enable = "avx2,fma")]
            unsafe fn $name<$($generics)*>($($arg: $ty),*) $body
            if has_avx2_fma() {
                // SAFETY: the CPU supports the features the function was built for.
                return unsafe { $name($($arg),*) };
            }
        }
        $body
    }};
}

/// `data[i] = op(data[i])`.
#[inline]
pub fn apply_inplace<T: Copy, F: Fn(T) -> T>(data: &mut [T], op: F) {
    dispatch!(avx2 [T: Copy, F: Fn(T) -> T] (data: &mut [T], op: F) {
        for x in data.iter_mut() {
            *x = op(*x);
        }
    })
}

/// `op` of each element, collected into a new vector (not zero-filled first).
#[inline]
pub fn map_to_vec<T: Copy, U: Copy, F: Fn(T) -> U>(src: &[T], op: F) -> alloc::vec::Vec<U> {
    let mut out = alloc::vec::Vec::with_capacity(src.len());
    map_uninit(src, &mut out.spare_capacity_mut()[..src.len()], op);
    // SAFETY: `map_uninit` wrote every one of the first `src.len()` elements.
    unsafe { out.set_len(src.len()) };
    out
}

#[inline]
fn map_uninit<T: Copy, U: Copy, F: Fn(T) -> U>(src: &[T], dst: &mut [MaybeUninit<U>], op: F) {
    dispatch!(avx2 [T: Copy, U: Copy, F: Fn(T) -> U] (src: &[T], dst: &mut [MaybeUninit<U>], op: F) {
        for (d, &s) in dst.iter_mut().zip(src) {
            d.write(op(s));
        }
    })
}

/// `lhs[i] = op(lhs[i], rhs[i])` over the shorter of the two.
#[inline]
pub fn zip_inplace<T: Copy, F: Fn(T, T) -> T>(lhs: &mut [T], rhs: &[T], op: F) {
    dispatch!(avx2 [T: Copy, F: Fn(T, T) -> T] (lhs: &mut [T], rhs: &[T], op: F) {
        for (l, &r) in lhs.iter_mut().zip(rhs) {
            *l = op(*l, r);
        }
    })
}

/// `rhs[i] = op(lhs[i], rhs[i])` over the shorter of the two: the result
/// goes into the right operand. `op` is taken by value (not wrapped in
/// another closure) so that a large kernel still inlines into the loop.
#[inline]
pub fn zip_inplace_swapped<T: Copy, F: Fn(T, T) -> T>(rhs: &mut [T], lhs: &[T], op: F) {
    dispatch!(avx2 [T: Copy, F: Fn(T, T) -> T] (rhs: &mut [T], lhs: &[T], op: F) {
        for (r, &l) in rhs.iter_mut().zip(lhs) {
            *r = op(l, *r);
        }
    })
}

/// `op(lhs[i], rhs[i])` collected into a new vector (not zero-filled first).
#[inline]
pub fn zip_to_vec<T: Copy, U: Copy, F: Fn(T, T) -> U>(
    lhs: &[T],
    rhs: &[T],
    op: F,
) -> alloc::vec::Vec<U> {
    let n = lhs.len().min(rhs.len());
    let mut out = alloc::vec::Vec::with_capacity(n);
    zip_uninit(lhs, rhs, &mut out.spare_capacity_mut()[..n], op);
    // SAFETY: `zip_uninit` wrote every one of the first `n` elements.
    unsafe { out.set_len(n) };
    out
}

#[inline]
fn zip_uninit<T: Copy, U: Copy, F: Fn(T, T) -> U>(
    lhs: &[T],
    rhs: &[T],
    dst: &mut [MaybeUninit<U>],
    op: F,
) {
    dispatch!(avx2 [T: Copy, U: Copy, F: Fn(T, T) -> U] (lhs: &[T], rhs: &[T], dst: &mut [MaybeUninit<U>], op: F) {
        for ((d, &l), &r) in dst.iter_mut().zip(lhs).zip(rhs) {
            d.write(op(l, r));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loops_cover_every_element() {
        let src: alloc::vec::Vec<f32> = (0..1003).map(|i| i as f32).collect();
        let doubled = map_to_vec(&src, |x| 2.0 * x);
        assert_eq!(doubled.len(), src.len());
        assert!(doubled.iter().zip(&src).all(|(d, s)| *d == 2.0 * s));

        let mut acc = src.clone();
        zip_inplace(&mut acc, &doubled, |a, b| a + b);
        assert!(acc.iter().zip(&src).all(|(a, s)| *a == 3.0 * s));

        let diff = zip_to_vec(&acc, &src, |a, b| a - b);
        assert_eq!(diff, doubled);

        let mut swapped = doubled.clone();
        zip_inplace_swapped(&mut swapped, &src, |a, b| a - b);
        assert!(swapped.iter().zip(&src).all(|(d, s)| *d == -s));

        apply_inplace(&mut acc, |x| x - 1.0);
        assert!(acc.iter().zip(&src).all(|(a, s)| *a == 3.0 * s - 1.0));
    }
}
