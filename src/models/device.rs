//! Device choice: CUDA or Metal when compiled in and usable, else CPU. Any GPU error falls back to
//! the CPU (candle's `cuda_if_available` errors instead of falling back when the driver is
//! missing, so it is not used).

use crate::error::{Error, Result};
use candle_core::{DType, Device, Tensor};

/// What the user asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeviceChoice {
    /// The best compiled-in device that works.
    #[default]
    Auto,
    /// The CPU.
    Cpu,
    /// CUDA GPU 0 (needs the `cuda` feature).
    Cuda,
    /// Metal GPU 0 (needs the `metal` feature).
    Metal,
}

impl std::str::FromStr for DeviceChoice {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Ok(Self::Auto),
            "cpu" => Ok(Self::Cpu),
            "cuda" | "gpu" => Ok(Self::Cuda),
            "metal" => Ok(Self::Metal),
            _ => Err(Error::Invalid(format!("unknown device {s:?}: use auto, cpu, cuda or metal"))),
        }
    }
}

/// A device that was tried, with a human description ("cpu", "cuda:0", or why it fell back).
#[derive(Debug, Clone)]
pub struct SelectedDevice {
    /// The device to use.
    pub device: Device,
    /// What was chosen and, after a fallback, why.
    pub description: String,
}

/// Checks that a device can run a tiny computation; GPU start-up panics count as errors.
fn probe(make: impl FnOnce() -> candle_core::Result<Device> + std::panic::UnwindSafe) -> std::result::Result<Device, String> {
    let dev = std::panic::catch_unwind(make)
        .map_err(|_| "the GPU runtime panicked while starting".to_string())?
        .map_err(|e| e.to_string())?;
    let check = Tensor::ones((2, 2), DType::F32, &dev)
        .and_then(|t| t.matmul(&t))
        .and_then(|t| t.sum_all())
        .and_then(|t| t.to_scalar::<f32>());
    match check {
        Ok(v) if (v - 8.0).abs() < 1e-3 => Ok(dev),
        Ok(v) => Err(format!("test computation gave {v}, expected 8")),
        Err(e) => Err(e.to_string()),
    }
}

/// Picks the device for `choice`. Asking for a back end this build lacks is an error; a compiled-in
/// GPU that fails falls back to the CPU and says why.
pub fn select_device(choice: DeviceChoice) -> Result<SelectedDevice> {
    let cpu = |why: Option<String>| SelectedDevice {
        device: Device::Cpu,
        description: match why {
            Some(w) => format!("cpu (fallback: {w})"),
            None => "cpu".into(),
        },
    };
    let cuda_built = candle_core::utils::cuda_is_available();
    let metal_built = candle_core::utils::metal_is_available();
    match choice {
        DeviceChoice::Cpu => Ok(cpu(None)),
        DeviceChoice::Cuda if !cuda_built => Err(Error::Invalid(
            "this build has no CUDA support: rebuild with `--features cuda`".into(),
        )),
        DeviceChoice::Metal if !metal_built => Err(Error::Invalid(
            "this build has no Metal support: rebuild with `--features metal` (macOS)".into(),
        )),
        DeviceChoice::Cuda => Ok(match probe(|| Device::new_cuda(0)) {
            Ok(d) => SelectedDevice { device: d, description: "cuda:0".into() },
            Err(e) => cpu(Some(format!("CUDA unusable: {e}"))),
        }),
        DeviceChoice::Metal => Ok(match probe(|| Device::new_metal(0)) {
            Ok(d) => SelectedDevice { device: d, description: "metal:0".into() },
            Err(e) => cpu(Some(format!("Metal unusable: {e}"))),
        }),
        DeviceChoice::Auto => {
            if cuda_built {
                if let Ok(d) = probe(|| Device::new_cuda(0)) {
                    return Ok(SelectedDevice { device: d, description: "cuda:0".into() });
                }
            }
            if metal_built {
                if let Ok(d) = probe(|| Device::new_metal(0)) {
                    return Ok(SelectedDevice { device: d, description: "metal:0".into() });
                }
            }
            Ok(cpu(None))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_build_picks_cpu_and_refuses_missing_backends() {
        let d = select_device(DeviceChoice::Auto).unwrap();
        if !candle_core::utils::cuda_is_available() {
            assert!(d.device.is_cpu());
            assert!(select_device(DeviceChoice::Cuda).unwrap_err().to_string().contains("--features cuda"));
        }
        assert_eq!(select_device(DeviceChoice::Cpu).unwrap().description, "cpu");
        assert!("tpu".parse::<DeviceChoice>().is_err());
        assert_eq!("CUDA".parse::<DeviceChoice>().unwrap(), DeviceChoice::Cuda);
    }

    #[test]
    fn probe_turns_gpu_start_up_errors_and_panics_into_reasons() {
        assert!(probe(|| Ok(Device::Cpu)).is_ok_and(|d| d.is_cpu()));
        let err = probe(|| Err(candle_core::Error::Msg("no CUDA driver".into()))).unwrap_err();
        assert!(err.contains("no CUDA driver"), "{err}");
        let panicked = probe(|| panic!("driver exploded")).unwrap_err();
        assert!(panicked.contains("panicked"), "{panicked}");
    }
}
