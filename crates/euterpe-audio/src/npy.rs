//! NumPy `.npy` files (format 1.0) of 2-D little-endian float32 arrays in C order: what
//! `np.save` writes for a librosa feature and what `np.load` reads back.

use std::path::Path;

use euterpe_base::{read_file, write_atomically};

use crate::{AudioError, Matrix};

const MAGIC: &[u8] = b"\x93NUMPY";

/// Writes a matrix as a `[rows, cols]` float32 array, atomically.
pub fn write_npy(path: &Path, matrix: &Matrix) -> Result<(), AudioError> {
    let bytes = to_npy_bytes(matrix);
    write_atomically(path, |w| w.write_all(&bytes))?;
    Ok(())
}

/// The bytes of a `.npy` file holding `matrix`.
pub fn to_npy_bytes(matrix: &Matrix) -> Vec<u8> {
    let mut header = format!(
        "{{'descr': '<f4', 'fortran_order': False, 'shape': ({}, {}), }}",
        matrix.rows, matrix.cols
    );
    // Magic (6) + version (2) + length (2) + header, padded with spaces to a multiple of 64,
    // ending in a newline.
    let unpadded = MAGIC.len() + 4 + header.len() + 1;
    header.push_str(&" ".repeat((64 - unpadded % 64) % 64));
    header.push('\n');
    let mut bytes = Vec::with_capacity(MAGIC.len() + 4 + header.len() + matrix.data.len() * 4);
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&[1, 0]);
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    for v in &matrix.data {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    bytes
}

/// Reads a 1-D or 2-D little-endian float32 C-order `.npy` file (a 1-D array is one row).
pub fn read_npy(path: &Path) -> Result<Matrix, AudioError> {
    let bytes = read_file(path)?;
    parse_npy(&bytes).map_err(|reason| AudioError::Npy {
        path: path.to_path_buf(),
        reason,
    })
}

fn parse_npy(bytes: &[u8]) -> Result<Matrix, String> {
    if bytes.len() < 10 || &bytes[..6] != MAGIC {
        return Err("no NumPy magic string".into());
    }
    let (header_start, header_len): (usize, usize) = match bytes[6] {
        1 => (10, usize::from(u16::from_le_bytes([bytes[8], bytes[9]]))),
        2 | 3 if bytes.len() >= 12 => (
            12,
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
        ),
        v => return Err(format!("unsupported format version {v}")),
    };
    let data_start = header_start
        .checked_add(header_len)
        .filter(|&e| e <= bytes.len())
        .ok_or("the header runs past the end")?;
    let header = std::str::from_utf8(&bytes[header_start..data_start])
        .map_err(|_| "the header is not text")?;
    if !header.contains("'descr': '<f4'") {
        return Err(format!(
            "dtype is not little-endian float32: {}",
            header.trim()
        ));
    }
    if header.contains("'fortran_order': True") {
        return Err("Fortran order is not supported".into());
    }
    let shape = parse_shape(header)?;
    let (rows, cols) = match shape.as_slice() {
        [n] => (1, *n),
        [r, c] => (*r, *c),
        other => return Err(format!("{}-D arrays are not supported", other.len())),
    };
    let count = rows.checked_mul(cols).ok_or("the shape overflows")?;
    let data = &bytes[data_start..];
    if data.len() != count * 4 {
        return Err(format!(
            "shape ({rows}, {cols}) needs {} bytes of data, the file has {}",
            count * 4,
            data.len()
        ));
    }
    let data = data
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    Ok(Matrix { rows, cols, data })
}

fn parse_shape(header: &str) -> Result<Vec<usize>, String> {
    let start = header.find("'shape': (").ok_or("no shape")? + "'shape': (".len();
    let end = header[start..].find(')').ok_or("no shape")? + start;
    header[start..end]
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<usize>()
                .map_err(|_| format!("bad shape entry `{s}`"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_matrix_round_trips_with_an_aligned_header() {
        let m = Matrix {
            rows: 2,
            cols: 3,
            data: vec![1.0, 2.0, 3.0, -4.0, 0.5, f32::MIN_POSITIVE],
        };
        let bytes = to_npy_bytes(&m);
        let header_len = usize::from(u16::from_le_bytes([bytes[8], bytes[9]]));
        assert_eq!((10 + header_len) % 64, 0);
        assert_eq!(parse_npy(&bytes).unwrap(), m);
    }

    #[test]
    fn damaged_files_are_errors() {
        assert!(parse_npy(b"hello").is_err());
        let m = Matrix::zeros(2, 2);
        let mut bytes = to_npy_bytes(&m);
        bytes.pop();
        assert!(parse_npy(&bytes).unwrap_err().contains("needs 16 bytes"));
    }
}
