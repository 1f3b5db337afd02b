//! A bounds-checked, safe entry to the `gemm` crate's f32 kernel (the one Candle's matmul uses).
//! Calling it directly lets the convolutions write into a destination that already holds the
//! bias (and the residual), accumulate over a batch in place, and read transposed operands
//! through strides, where Candle's matmul would zero a fresh buffer and need extra passes.

use gemm::Parallelism;

/// A read-only matrix view: element (`r`, `c`) is `data[r * rs + c * cs]`.
#[derive(Clone, Copy)]
pub(crate) struct MatRef<'a> {
    pub data: &'a [f32],
    pub rs: usize,
    pub cs: usize,
}

impl<'a> MatRef<'a> {
    /// A row-major matrix with `cols` columns.
    pub fn rows(data: &'a [f32], cols: usize) -> Self {
        Self {
            data,
            rs: cols,
            cs: 1,
        }
    }

    /// The transpose of a row-major matrix with `cols` columns.
    pub fn transposed(data: &'a [f32], cols: usize) -> Self {
        Self {
            data,
            rs: 1,
            cs: cols,
        }
    }

    /// Whether a `rows`×`cols` matrix fits in `data` with these strides.
    fn fits(&self, rows: usize, cols: usize) -> bool {
        rows == 0 || cols == 0 || (rows - 1) * self.rs + (cols - 1) * self.cs < self.data.len()
    }
}

/// `dst = (accumulate ? dst : 0) + a · b`, with `a` m×k, `b` k×n and `dst` row-major m×n.
///
/// # Panics
/// If a view is too short for its shape (a bug in the caller, never reached from user input:
/// the ops check tensor shapes first).
pub(crate) fn gemm(
    m: usize,
    n: usize,
    k: usize,
    dst: &mut [f32],
    accumulate: bool,
    a: MatRef<'_>,
    b: MatRef<'_>,
) {
    gemm_strided(m, n, k, dst, n, accumulate, a, b);
}

/// [`gemm`] into a destination whose rows are `dst_rs` apart (a column block of a wider
/// row-major matrix).
#[expect(
    clippy::too_many_arguments,
    reason = "a kernel's shapes and strides, kept flat like BLAS"
)]
pub(crate) fn gemm_strided(
    m: usize,
    n: usize,
    k: usize,
    dst: &mut [f32],
    dst_rs: usize,
    accumulate: bool,
    a: MatRef<'_>,
    b: MatRef<'_>,
) {
    assert!(dst_rs >= n, "gemm: destination rows overlap");
    assert!(
        m == 0 || n == 0 || (m - 1) * dst_rs + n <= dst.len(),
        "gemm: destination too short"
    );
    assert!(a.fits(m, k) && b.fits(k, n), "gemm: operand too short");
    if m == 0 || n == 0 {
        return;
    }
    let threads = rayon::current_num_threads();
    let parallelism = if threads > 1 && m * n * k >= 64 * 1024 {
        Parallelism::Rayon(threads)
    } else {
        Parallelism::None
    };
    #[expect(
        unsafe_code,
        clippy::cast_possible_wrap,
        reason = "gemm takes raw pointers and isize strides; bounds are asserted above"
    )]
    // SAFETY: the asserts above keep every index the kernel touches inside the three slices:
    // dst is m×n row-major, a and b fit their shapes with the given strides. `dst` is borrowed
    // mutably, so it cannot alias `a` or `b`.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            dst_rs as isize,
            accumulate,
            a.data.as_ptr(),
            a.cs as isize,
            a.rs as isize,
            b.data.as_ptr(),
            b.cs as isize,
            b.rs as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            parallelism,
        );
    }
}

#[cfg(test)]
// Small integer products are exact in f32, so exact comparison is the right check.
#[expect(clippy::float_cmp, reason = "small integer products are exact in f32")]
mod tests {
    use super::*;

    /// Hand-worked 2×3 · 3×2 product, plain and accumulating, and through a transposed view.
    #[test]
    fn small_products_by_hand() {
        let a = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]; // [[1,2,3],[4,5,6]]
        let b = [7.0, 8.0, 9.0, 10.0, 11.0, 12.0]; // [[7,8],[9,10],[11,12]]
        let mut c = [0.0; 4];
        gemm(
            2,
            2,
            3,
            &mut c,
            false,
            MatRef::rows(&a, 3),
            MatRef::rows(&b, 2),
        );
        assert_eq!(c, [58.0, 64.0, 139.0, 154.0]);
        gemm(
            2,
            2,
            3,
            &mut c,
            true,
            MatRef::rows(&a, 3),
            MatRef::rows(&b, 2),
        );
        assert_eq!(c, [116.0, 128.0, 278.0, 308.0]);
        // aᵀ·a with a read through a transposed view: 3×3.
        let mut d = [0.0; 9];
        gemm(
            3,
            3,
            2,
            &mut d,
            false,
            MatRef::transposed(&a, 3),
            MatRef::rows(&a, 3),
        );
        assert_eq!(d, [17.0, 22.0, 27.0, 22.0, 29.0, 36.0, 27.0, 36.0, 45.0]);
    }

    /// Writing a 2×2 product into the right half of a 2×4 matrix leaves the left half alone.
    #[test]
    fn strided_destination() {
        let a = [1.0, 2.0, 3.0, 4.0];
        let id = [1.0, 0.0, 0.0, 1.0];
        let mut c = [9.0; 8];
        gemm_strided(
            2,
            2,
            2,
            &mut c[2..],
            4,
            false,
            MatRef::rows(&a, 2),
            MatRef::rows(&id, 2),
        );
        assert_eq!(c, [9.0, 9.0, 1.0, 2.0, 9.0, 9.0, 3.0, 4.0]);
    }

    #[test]
    #[should_panic(expected = "operand too short")]
    fn short_operand_is_refused() {
        let mut c = [0.0; 4];
        gemm(
            2,
            2,
            3,
            &mut c,
            false,
            MatRef::rows(&[1.0; 5], 3),
            MatRef::rows(&[1.0; 6], 2),
        );
    }
}
