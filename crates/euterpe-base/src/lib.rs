//! The ground floor of euterpe: the few helpers that every other crate shares, so that each has
//! one home.
//!
//! * [`fs`] — files written atomically (temporary file + rename) with the user's umask, and reads
//!   that name the file in their error;
//! * [`rng`] — [`SplitMix64`], the small seeded generator behind every shuffle and sampler: the
//!   same seed gives the same bytes on every machine;
//! * [`guard`] — panics of third-party code caught as errors, with a quiet panic hook;
//! * [`hash`] — FNV-1a and the seeded unit hash that assigns pieces to data splits and names
//!   caches.
//!
//! This crate depends on nothing of euterpe's; everything else may depend on it.

pub mod fs;
pub mod guard;
pub mod hash;
pub mod rng;

pub use fs::{read_file, write_atomically, FileError};
pub use guard::guarded;
pub use hash::{fnv1a, unit_hash, Fnv1a};
pub use rng::{fresh_seed, SplitMix64};

/// A parser's message on one line: TOML and JSON errors span several lines (a code snippet with
/// a caret), but euterpe prints every error on one line. The position and the reason are kept,
/// the snippet is dropped: "TOML parse error at line 2, column 1: unknown field `hiden`".
pub fn one_line(message: &str) -> String {
    let kept: Vec<&str> = message
        .lines()
        .map(str::trim_end)
        .filter(|l| {
            let t = l.trim_start();
            // Snippet lines: "  |", "2 | hiden = 3", "  | ^^^^^".
            !(t.is_empty()
                || t.starts_with('|')
                || t.split_once(" |")
                    .is_some_and(|(n, _)| n.trim().parse::<u64>().is_ok()))
        })
        .map(str::trim)
        .collect();
    kept.join(": ").replace(":: ", ": ")
}

#[cfg(test)]
mod tests {
    use super::one_line;

    #[test]
    fn parser_messages_become_one_line() {
        let toml = "TOML parse error at line 2, column 1\n  |\n2 | hiden = 3\n  | ^^^^^\nunknown field `hiden`, expected `kind`\n";
        assert_eq!(
            one_line(toml),
            "TOML parse error at line 2, column 1: unknown field `hiden`, expected `kind`"
        );
        assert_eq!(
            one_line("missing field `kind`\nin `model`\n"),
            "missing field `kind`: in `model`"
        );
        assert_eq!(one_line("plain"), "plain");
    }
}
