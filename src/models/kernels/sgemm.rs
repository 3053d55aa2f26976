//! A bounds-checked wrapper around the `gemm` crate's f32 matrix multiply.

/// A read-only matrix view: `rows × cols` elements of `data`, element `(i, j)` at
/// `i·rs + j·cs`.
#[derive(Debug, Clone, Copy)]
pub struct Mat<'a> {
    /// The elements.
    pub data: &'a [f32],
    /// Number of rows.
    pub rows: usize,
    /// Number of columns.
    pub cols: usize,
    /// Row stride.
    pub rs: usize,
    /// Column stride.
    pub cs: usize,
}

impl<'a> Mat<'a> {
    /// A row-major `rows × cols` matrix.
    pub fn rows(data: &'a [f32], rows: usize, cols: usize) -> Self {
        Mat { data, rows, cols, rs: cols, cs: 1 }
    }

    /// The transpose of a row-major `rows × cols` matrix (so the view is `cols × rows`).
    pub fn transposed(data: &'a [f32], rows: usize, cols: usize) -> Self {
        Mat { data, rows: cols, cols: rows, rs: 1, cs: cols }
    }
}

/// Whether a `rows × cols` view with strides `rs`, `cs` stays inside `len` elements.
fn fits(len: usize, rows: usize, cols: usize, rs: usize, cs: usize) -> bool {
    if rows == 0 || cols == 0 {
        return true;
    }
    let last = (rows - 1).checked_mul(rs).and_then(|a| (cols - 1).checked_mul(cs).and_then(|b| a.checked_add(b)));
    matches!(last, Some(l) if l < len) && isize::try_from(rs.max(cs)).is_ok()
}

/// Fills `dst` with copies of `row`: the bias rows that [`sgemm`] then accumulates a product
/// into. An empty `row` leaves `dst` as it is.
pub fn fill_rows(dst: &mut [f32], row: &[f32]) {
    if !row.is_empty() {
        dst.chunks_exact_mut(row.len()).for_each(|r| r.copy_from_slice(row));
    }
}

/// `dst (row-major m × n) = [dst +] a · b`; `threads > 1` lets gemm split the work with rayon.
/// Returns false (and does nothing) when the shapes do not agree or a view overruns its buffer.
pub fn sgemm(dst: &mut [f32], accumulate: bool, a: Mat<'_>, b: Mat<'_>, threads: usize) -> bool {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    if b.rows != k || !fits(dst.len(), m, n, n, 1) || !fits(a.data.len(), m, k, a.rs, a.cs) || !fits(b.data.len(), k, n, b.rs, b.cs) {
        return false;
    }
    if m == 0 || n == 0 {
        return true;
    }
    if k == 0 {
        if !accumulate {
            dst.iter_mut().take(m * n).for_each(|v| *v = 0.0);
        }
        return true;
    }
    let par = if threads > 1 { gemm::Parallelism::Rayon(threads) } else { gemm::Parallelism::None };
    // SAFETY: every index touched, (rows-1)·rs + (cols-1)·cs at most, was checked above to lie
    // inside its buffer, strides fit in isize, and dst (exclusive borrow) cannot alias a or b.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
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
            par,
        );
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(a: Mat<'_>, b: Mat<'_>) -> Vec<f32> {
        let mut out = vec![0f32; a.rows * b.cols];
        for i in 0..a.rows {
            for j in 0..b.cols {
                out[i * b.cols + j] = (0..a.cols).map(|p| a.data[i * a.rs + p * a.cs] * b.data[p * b.rs + j * b.cs]).sum();
            }
        }
        out
    }

    #[test]
    fn matches_naive_product_with_transposes() {
        let x: Vec<f32> = (0..35).map(|i| (i as f32 * 0.37).sin()).collect();
        let y: Vec<f32> = (0..35).map(|i| (i as f32 * 0.11).cos()).collect();
        let a = Mat::rows(&x, 5, 7);
        let b = Mat::transposed(&y, 5, 7);
        let mut d = vec![1f32; 25];
        assert!(sgemm(&mut d, false, a, b, 1));
        let want = naive(a, b);
        assert!(d.iter().zip(&want).all(|(p, q)| (p - q).abs() < 1e-5));
        assert!(sgemm(&mut d, true, a, b, 2));
        assert!(d.iter().zip(&want).all(|(p, q)| (p - 2.0 * q).abs() < 1e-5));
    }

    #[test]
    fn refuses_overruns_and_mismatches() {
        let x = vec![0f32; 6];
        let mut d = vec![0f32; 4];
        assert!(!sgemm(&mut d, false, Mat::rows(&x, 2, 3), Mat::rows(&x, 2, 3), 1));
        assert!(!sgemm(&mut d, false, Mat::rows(&x, 2, 4), Mat::rows(&x, 4, 2), 1));
        assert!(!sgemm(&mut d[..3], false, Mat::rows(&x, 2, 3), Mat::rows(&x, 3, 2), 1));
        assert!(sgemm(&mut d, false, Mat::rows(&x, 2, 3), Mat::rows(&x, 3, 2), 1));
    }
}
