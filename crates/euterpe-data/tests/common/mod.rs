//! Where the shared datasets are.

pub use euterpe_testkit::shared_data;
