//! Criterion benchmark (placeholder while written).
fn main() {}
