//! Panics of third-party code turned into errors, quietly.
//!
//! Some dependencies panic on malformed input (burn on corrupt weights, rustysynth on some
//! SoundFonts). euterpe runs such calls inside [`guarded`], which catches the panic so that the
//! caller can return an error naming the file. [`quiet_guarded_panics`] installs a panic hook
//! that stays silent for those panics (a `debug` log line instead), so that a user sees the
//! one-line error and not a panic message; any other panic is reported as before.

use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};

thread_local! {
    /// How many [`guarded`] calls this thread is inside.
    static DEPTH: Cell<usize> = const { Cell::new(0) };
}

/// Runs `f`; a panic inside it is returned as `Err` with its message instead of unwinding
/// further.
pub fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    DEPTH.with(|d| d.set(d.get() + 1));
    let result = catch_unwind(AssertUnwindSafe(f));
    DEPTH.with(|d| d.set(d.get() - 1));
    result.map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic".to_string())
    })
}

/// Whether this thread is inside a [`guarded`] call.
pub fn in_guard() -> bool {
    DEPTH.with(|d| d.get() > 0)
}

/// Installs a panic hook that is silent for panics inside [`guarded`] (they become errors) and
/// reports every other panic with the hook that was installed before. For binaries, at start-up.
pub fn quiet_guarded_panics() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !in_guard() {
            previous(info);
        }
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_guarded_panic_is_an_error_with_its_message() {
        assert_eq!(guarded(|| 3), Ok(3));
        let e = guarded(|| -> u8 { panic!("bad {}", 7) }).unwrap_err();
        assert_eq!(e, "bad 7");
        assert!(!in_guard());
        assert!(guarded(in_guard).unwrap());
    }
}
