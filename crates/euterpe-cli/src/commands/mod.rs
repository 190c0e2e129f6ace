//! One module per command group.

pub mod data;
pub mod generate;
pub mod metrics;
pub mod output;
pub mod render;
pub mod train;

/// Prints a value as pretty JSON on stdout.
pub fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}
