//! Module weights to and from bytes: burn's binary record at full precision, checked against the
//! architecture when loaded.
//!
//! Records are written with burn's `BinBytesRecorder`. They are read here with the same bincode
//! encoding but through a decoder that returns errors: burn's in-memory recorder unwraps its
//! decoding result, so a corrupt `weights.bin` would panic instead of being reported.

use euterpe_base::guarded;
use std::path::Path;

use burn::module::{Module, ModuleVisitor, Param};
use burn::record::{BinBytesRecorder, BurnRecord, FullPrecisionSettings, Record, Recorder};
use burn::tensor::backend::Backend;
use burn::tensor::Tensor;
use euterpe_base::{read_file, write_atomically};

use crate::StoreError;

type Rec = BinBytesRecorder<FullPrecisionSettings>;

/// The bytes of a module's weights.
pub fn to_bytes<B: Backend, M: Module<B>>(module: M) -> Result<Vec<u8>, StoreError> {
    Rec::default()
        .record(module.into_record(), ())
        .map_err(|e| StoreError::dir("<weights>", format!("cannot serialise weights: {e}")))
}

/// Writes a module's weights to a file atomically.
pub fn save<B: Backend, M: Module<B>>(module: M, path: &Path) -> Result<(), StoreError> {
    let bytes = to_bytes(module)?;
    write_atomically(path, |w| w.write_all(&bytes))?;
    Ok(())
}

/// Shapes of every float parameter, in visiting order.
struct Shapes(Vec<Vec<usize>>);

impl<B: Backend> ModuleVisitor<B> for Shapes {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        self.0.push(param.val().dims().to_vec());
    }
}

fn shapes<B: Backend, M: Module<B>>(m: &M) -> Vec<Vec<usize>> {
    let mut s = Shapes(Vec::new());
    m.visit(&mut s);
    s.0
}

/// Loads weights from bytes into a freshly built module, checking that every parameter's shape
/// matches the architecture; `path` names the source in errors.
pub fn load_bytes<B: Backend, M: Module<B>>(
    fresh: M,
    bytes: Vec<u8>,
    path: &Path,
    device: &B::Device,
) -> Result<M, StoreError> {
    let expected = shapes(&fresh);
    let mismatch = |reason: String| StoreError::dir(path, reason);
    let record = decode::<B, M::Record>(&bytes, device).map_err(|e| {
        mismatch(format!(
            "weights do not match the configured architecture: {e}"
        ))
    })?;
    // Tensor data whose bytes disagree with its shape panics inside burn; a caught panic is
    // reported like any other unreadable file.
    let (loaded, got) = guarded(|| {
        let loaded = fresh.load_record(record);
        let got = shapes(&loaded);
        (loaded, got)
    })
    .map_err(|_| {
        mismatch("weights are corrupt: a tensor's data does not match its shape".into())
    })?;
    if got != expected {
        let first = expected
            .iter()
            .zip(&got)
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        return Err(mismatch(format!(
            "weights do not match the configured architecture: parameter {first} has shape {:?}, the config gives {:?}",
            got.get(first),
            expected.get(first)
        )));
    }
    Ok(loaded)
}

/// Most bytes a record may claim while decoding: a guard against length fields that would
/// allocate absurd amounts, far above any model euterpe trains.
const DECODE_LIMIT: usize = 1 << 34;

/// Decodes a record written by burn's `BinBytesRecorder` at full precision.
fn decode<B: Backend, R: Record<B>>(bytes: &[u8], device: &B::Device) -> Result<R, String> {
    type Item<B, R> = BurnRecord<<R as Record<B>>::Item<FullPrecisionSettings>, B>;
    let config = bincode::config::standard().with_limit::<DECODE_LIMIT>();
    // burn converts tensor data while it deserialises, and panics on some malformed data (a
    // shape whose element count overflows, found by fuzzing): caught here, reported as corrupt.
    let decoded = guarded(|| bincode::serde::decode_from_slice::<Item<B, R>, _>(bytes, config))
        .map_err(|_| "a tensor's shape or data is corrupt".to_string())?;
    let (record, read): (Item<B, R>, usize) = decoded.map_err(|e| e.to_string())?;
    if read != bytes.len() {
        return Err(format!(
            "{} bytes after the end of the record",
            bytes.len() - read
        ));
    }
    guarded(|| R::from_item::<FullPrecisionSettings>(record.item, device))
        .map_err(|_| "a tensor's data does not match its shape".to_string())
}

/// Loads weights from a file (see [`load_bytes`]).
pub fn load<B: Backend, M: Module<B>>(
    fresh: M,
    path: &Path,
    device: &B::Device,
) -> Result<M, StoreError> {
    let bytes = read_file(path)?;
    load_bytes(fresh, bytes, path, device)
}
