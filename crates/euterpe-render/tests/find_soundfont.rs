//! `find_system_soundfont` honours `$EUTERPE_SOUNDFONT`. Alone in its test binary because it sets a
//! process-wide environment variable.

use euterpe_render::find_system_soundfont;
use euterpe_render::soundfont::SOUNDFONT_ENV;

#[test]
fn environment_variable_wins_when_it_names_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let font = dir.path().join("mine.sf2");
    std::fs::write(&font, b"not parsed here").unwrap();
    std::env::set_var(SOUNDFONT_ENV, &font);
    assert_eq!(find_system_soundfont(), Some(font));

    // A name that is not a file is ignored: the result is whatever the system folders hold.
    std::env::set_var(SOUNDFONT_ENV, dir.path().join("missing.sf2"));
    let found = find_system_soundfont();
    assert!(
        found.as_ref().is_none_or(|p| p.starts_with("/usr")),
        "{found:?}"
    );
    std::env::remove_var(SOUNDFONT_ENV);
}
