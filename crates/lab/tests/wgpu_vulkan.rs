//! The GPU path natively: wgpu over Vulkan (Mesa's lavapipe on a machine
//! without a GPU) must compute what flex computes. Slow the first time
//! (shader compilation); keep MESA_SHADER_CACHE_DIR between runs.

use upbringing_lab::Backend;
use upbringing_lab::parity::parity_check;

#[test]
fn wgpu_matches_flex() {
    let backend = pollster::block_on(Backend::wgpu()).expect("a wgpu adapter (install mesa-vulkan-drivers)");
    eprintln!("wgpu adapter: {}", backend.label);
    let report = pollster::block_on(parity_check(&backend)).unwrap();
    eprintln!("{report:?}");
    assert!(report.agrees(), "wgpu and flex disagree: {report:?}");
    assert!(
        report.flex_losses[2] < report.flex_losses[0],
        "training lowers the loss"
    );
}
