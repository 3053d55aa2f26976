//! Fast CPU kernels shared by both networks: fused convolution (+ bias, ReLU, 2x2 max-pool),
//! linear and residual-block custom ops with their own backward, the image kernels under them (im2col, col2im,
//! pooling), single-threaded sgemm, and an in-place AdamW. GPUs use candle's own ops instead.

pub mod adamw;
pub mod conv_op;
pub mod fast_conv;
pub mod parity_conv;
pub mod res_block_op;
pub mod linear_op;
#[cfg(test)]
mod op_check;
pub mod sgemm;
pub mod upsample_op;

/// ReLU's gradient rule, the one every kernel here uses: `grad` passes where the ReLU's output
/// `out` is positive and stops elsewhere (a sum of exactly zero included, as in PyTorch).
#[inline(always)]
pub fn relu_grad(grad: f32, out: f32) -> f32 {
    if out > 0.0 { grad } else { 0.0 }
}

/// Adds the column sums of `g` (rows as long as `sums`) into `sums`: a bias gradient. An empty
/// `sums` stays as it is.
pub fn add_column_sums(sums: &mut [f32], g: &[f32]) {
    if sums.is_empty() {
        return;
    }
    for r in g.chunks_exact(sums.len()) {
        sums.iter_mut().zip(r).for_each(|(a, v)| *a += v);
    }
}
