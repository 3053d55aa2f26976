//! Test support: checks a fast op against candle's reference computation, forward and gradients.

use candle_core::{Tensor, Var};

/// Largest absolute difference, relative to the reference's largest magnitude (at least 1).
pub fn max_rel_diff(a: &Tensor, b: &Tensor) -> f32 {
    let d = (a - b).unwrap().abs().unwrap().flatten_all().unwrap().max(0).unwrap().to_scalar::<f32>().unwrap();
    let s = b.abs().unwrap().flatten_all().unwrap().max(0).unwrap().to_scalar::<f32>().unwrap();
    d / s.max(1.0)
}

/// Asserts `fast` equals `slow` and that, for a random projection of the output, the gradients
/// with respect to each named variable agree, all within `1e-5` relative.
pub fn assert_matches_reference(fast: &Tensor, slow: &Tensor, vars: &[(&Var, &str)], case: &str) {
    assert_eq!(fast.dims(), slow.dims(), "{case}");
    assert!(max_rel_diff(fast, slow) < 1e-5, "forward {case}");
    let probe = Tensor::randn(0f32, 1.0, slow.dims(), slow.device()).unwrap();
    let gf = (fast * &probe).unwrap().sum_all().unwrap().backward().unwrap();
    let gs = (slow * &probe).unwrap().sum_all().unwrap().backward().unwrap();
    for (v, name) in vars {
        let d = max_rel_diff(gf.get(v).unwrap(), gs.get(v).unwrap());
        assert!(d < 1e-5, "{name} gradient {case}: {d}");
    }
}
