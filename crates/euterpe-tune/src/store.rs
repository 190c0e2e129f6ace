//! The study store: studies, trials and their per-epoch values in an SQLite database (compiled
//! in), so that a killed study resumes where it stopped and several workers — threads of one
//! process or several processes — share one study. Trials are claimed in `BEGIN IMMEDIATE`
//! transactions, so two workers never get the same trial number or grid point.
//!
//! A trial whose worker died stays `running` until a worker notices: one on the same host whose
//! process is gone, or any whose last sign of life (its heartbeat, renewed every epoch) is older
//! than [`STALE_SECONDS`]. It is then marked failed with the message [`LOST`], does not count
//! towards `--trials`, and a grid gives its point again.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use crate::space::{Params, SearchSpace};
use crate::trial::{Direction, Trial, TrialState};
use crate::TuneError;

/// The message of a trial whose worker stopped before it finished.
pub const LOST: &str = "interrupted: its worker stopped before the trial finished";

/// Seconds without a heartbeat after which another host's running trial counts as lost.
pub const STALE_SECONDS: f64 = 1800.0;

/// What defines a study; a second run with the same name must bring the same.
#[derive(Debug, Clone)]
pub struct StudySpec {
    /// Its name.
    pub name: String,
    /// The space searched.
    pub space: SearchSpace,
    /// The base config's text.
    pub config: String,
    /// The objective's direction.
    pub direction: Direction,
    /// Where its trials' model directories go.
    pub dir: PathBuf,
}

/// A study as stored.
#[derive(Debug, Clone)]
pub struct StoredStudy {
    /// The row id.
    pub id: i64,
    /// What defines it.
    pub spec: StudySpec,
}

/// An open store.
pub struct Store {
    url: String,
    conn: Mutex<Connection>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS studies (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    space TEXT NOT NULL,
    config TEXT NOT NULL,
    direction TEXT NOT NULL,
    dir TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS trials (
    study INTEGER NOT NULL REFERENCES studies(id),
    number INTEGER NOT NULL,
    state TEXT NOT NULL,
    params TEXT NOT NULL,
    value REAL,
    seconds REAL NOT NULL DEFAULT 0,
    message TEXT,
    worker TEXT NOT NULL,
    started REAL NOT NULL,
    heartbeat REAL NOT NULL,
    PRIMARY KEY (study, number)
);
CREATE TABLE IF NOT EXISTS trial_values (
    study INTEGER NOT NULL,
    number INTEGER NOT NULL,
    epoch INTEGER NOT NULL,
    value REAL NOT NULL,
    PRIMARY KEY (study, number, epoch)
);
";

impl Store {
    /// Opens (creating if needed) the store of `url`: `sqlite:PATH` or a plain path.
    pub fn open(url: &str) -> Result<Store, TuneError> {
        let path = url.strip_prefix("sqlite:").unwrap_or(url);
        if url.contains("://") && !url.starts_with("sqlite:") {
            return Err(TuneError::Store {
                url: url.to_string(),
                reason: "unsupported storage; give sqlite:PATH (PostgreSQL is not built in yet)"
                    .into(),
            });
        }
        let fail = |e: rusqlite::Error| TuneError::Store {
            url: url.to_string(),
            reason: euterpe_base::one_line(&e.to_string()),
        };
        if let Some(parent) = std::path::Path::new(path).parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent).map_err(|e| TuneError::Store {
                    url: url.to_string(),
                    reason: e.to_string(),
                })?;
            }
        }
        let conn = Connection::open(path).map_err(fail)?;
        conn.busy_timeout(std::time::Duration::from_secs(60))
            .map_err(fail)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(fail)?;
        conn.execute_batch(SCHEMA).map_err(fail)?;
        Ok(Store {
            url: url.to_string(),
            conn: Mutex::new(conn),
        })
    }

    /// The URL it was opened with.
    pub fn url(&self) -> &str {
        &self.url
    }

    fn fail(&self, e: impl std::fmt::Display) -> TuneError {
        TuneError::Store {
            url: self.url.clone(),
            reason: euterpe_base::one_line(&e.to_string()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A worker that panicked holding the lock left a connection SQLite keeps consistent.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The study of `spec.name`, created if new; an error if the name holds another search.
    pub fn study(&self, spec: &StudySpec) -> Result<StoredStudy, TuneError> {
        let space = serde_json::to_string(&spec.space).map_err(|e| self.fail(e))?;
        let conn = self.lock();
        conn.execute(
            "INSERT OR IGNORE INTO studies (name, space, config, direction, dir, created)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                spec.name,
                space,
                spec.config,
                spec.direction.name(),
                spec.dir.to_string_lossy(),
                now()
            ],
        )
        .map_err(|e| self.fail(e))?;
        drop(conn);
        let stored = self.load_study(&spec.name)?;
        let mismatch = |reason: &str| TuneError::StudyMismatch {
            study: spec.name.clone(),
            url: self.url.clone(),
            reason: reason.to_string(),
        };
        if stored.spec.space != spec.space {
            return Err(mismatch("belongs to a different search space"));
        }
        if stored.spec.config != spec.config {
            return Err(mismatch("was started from a different base config"));
        }
        if stored.spec.direction != spec.direction {
            return Err(mismatch("optimises in the other direction"));
        }
        Ok(stored)
    }

    /// The stored study of a name.
    pub fn load_study(&self, name: &str) -> Result<StoredStudy, TuneError> {
        let conn = self.lock();
        let row = conn
            .query_row(
                "SELECT id, space, config, direction, dir FROM studies WHERE name = ?1",
                params![name],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                    ))
                },
            )
            .optional()
            .map_err(|e| self.fail(e))?;
        let Some((id, space, config, direction, dir)) = row else {
            return Err(TuneError::NoStudy {
                study: name.to_string(),
                url: self.url.clone(),
            });
        };
        let space: SearchSpace = serde_json::from_str(&space).map_err(|e| self.fail(e))?;
        let direction = if direction == "maximize" {
            Direction::Maximize
        } else {
            Direction::Minimize
        };
        Ok(StoredStudy {
            id,
            spec: StudySpec {
                name: name.to_string(),
                space,
                config,
                direction,
                dir: PathBuf::from(dir),
            },
        })
    }

    /// Claims the next trial of `study` unless it already holds `target` trials that count
    /// (all but lost ones): `choose` gets the trials so far and the new number, and returns
    /// the values (or `None`: nothing left to try). Returns the number and values.
    pub fn claim(
        &self,
        study: i64,
        target: usize,
        choose: impl FnOnce(&[Trial], usize) -> Option<Params>,
    ) -> Result<Option<(usize, Params)>, TuneError> {
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| self.fail(e))?;
        mark_lost(&tx, study).map_err(|e| self.fail(e))?;
        let trials = read_trials(&tx, study).map_err(|e| self.fail(e))?;
        let counted = trials
            .iter()
            .filter(|t| t.message.as_deref() != Some(LOST))
            .count();
        if counted >= target {
            return Ok(None);
        }
        let number = trials.iter().map(|t| t.number + 1).max().unwrap_or(0);
        let Some(params) = choose(&trials, number) else {
            return Ok(None);
        };
        let json = serde_json::to_string(&params).map_err(|e| self.fail(e))?;
        let t = now();
        tx.execute(
            "INSERT INTO trials (study, number, state, params, worker, started, heartbeat)
             VALUES (?1, ?2, 'running', ?3, ?4, ?5, ?5)",
            params![study, number as i64, json, worker_id(), t],
        )
        .map_err(|e| self.fail(e))?;
        tx.commit().map_err(|e| self.fail(e))?;
        Ok(Some((number, params)))
    }

    /// Records a trial's validation value after an epoch (and that it is alive).
    pub fn record_epoch(
        &self,
        study: i64,
        number: usize,
        epoch: usize,
        value: f64,
    ) -> Result<(), TuneError> {
        let conn = self.lock();
        conn.execute(
            "INSERT OR REPLACE INTO trial_values (study, number, epoch, value) VALUES (?1, ?2, ?3, ?4)",
            params![study, number as i64, epoch as i64, value],
        )
        .map_err(|e| self.fail(e))?;
        conn.execute(
            "UPDATE trials SET heartbeat = ?3 WHERE study = ?1 AND number = ?2",
            params![study, number as i64, now()],
        )
        .map_err(|e| self.fail(e))?;
        Ok(())
    }

    /// Ends a trial.
    pub fn finish(
        &self,
        study: i64,
        number: usize,
        state: TrialState,
        value: Option<f64>,
        seconds: f64,
        message: Option<&str>,
    ) -> Result<(), TuneError> {
        let conn = self.lock();
        conn.execute(
            "UPDATE trials SET state = ?3, value = ?4, seconds = ?5, message = ?6, heartbeat = ?7
             WHERE study = ?1 AND number = ?2",
            params![
                study,
                number as i64,
                state.name(),
                value,
                seconds,
                message,
                now()
            ],
        )
        .map_err(|e| self.fail(e))?;
        Ok(())
    }

    /// Every trial of a study, by number, with its curve.
    pub fn trials(&self, study: i64) -> Result<Vec<Trial>, TuneError> {
        let conn = self.lock();
        read_trials(&conn, study).map_err(|e| self.fail(e))
    }
}

fn read_trials(conn: &Connection, study: i64) -> rusqlite::Result<Vec<Trial>> {
    let mut stmt = conn.prepare(
        "SELECT number, state, params, value, seconds, message, worker FROM trials
         WHERE study = ?1 ORDER BY number",
    )?;
    let rows = stmt.query_map(params![study], |r| {
        Ok(Trial {
            number: r.get::<_, i64>(0)? as usize,
            state: TrialState::from_name(&r.get::<_, String>(1)?).unwrap_or(TrialState::Failed),
            params: serde_json::from_str(&r.get::<_, String>(2)?).unwrap_or_default(),
            value: r.get(3)?,
            seconds: r.get(4)?,
            message: r.get(5)?,
            worker: r.get(6)?,
            curve: Vec::new(),
        })
    })?;
    let mut trials: Vec<Trial> = rows.collect::<rusqlite::Result<_>>()?;
    let mut stmt = conn.prepare(
        "SELECT number, epoch, value FROM trial_values WHERE study = ?1 ORDER BY number, epoch",
    )?;
    let values = stmt.query_map(params![study], |r| {
        Ok((
            r.get::<_, i64>(0)? as usize,
            r.get::<_, i64>(1)? as usize,
            r.get::<_, f64>(2)?,
        ))
    })?;
    for v in values {
        let (number, epoch, value) = v?;
        if let Some(t) = trials.iter_mut().find(|t| t.number == number) {
            t.curve.push((epoch, value));
        }
    }
    Ok(trials)
}

/// Marks the running trials whose worker is gone as lost.
fn mark_lost(conn: &Connection, study: i64) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare(
        "SELECT number, worker, heartbeat FROM trials WHERE study = ?1 AND state = 'running'",
    )?;
    let running: Vec<(i64, String, f64)> = stmt
        .query_map(params![study], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let host = hostname();
    for (number, worker, heartbeat) in running {
        let (w_host, pid) = worker.rsplit_once(':').unwrap_or((worker.as_str(), ""));
        let gone_here = w_host == host
            && pid.parse::<u32>().is_ok_and(|pid| {
                pid != std::process::id() && !PathBuf::from(format!("/proc/{pid}")).exists()
            });
        if gone_here || now() - heartbeat > STALE_SECONDS {
            conn.execute(
                "UPDATE trials SET state = 'failed', message = ?3 WHERE study = ?1 AND number = ?2",
                params![study, number, LOST],
            )?;
        }
    }
    Ok(())
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "localhost".into())
}

/// `host:pid` of this process.
pub fn worker_id() -> String {
    format!("{}:{}", hostname(), std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(dir: &std::path::Path) -> StudySpec {
        StudySpec {
            name: "s".into(),
            space: SearchSpace::parse("optim.lr = { uniform = [0.1, 0.2] }", "x").unwrap(),
            config: "[model]\nkind = \"token_lm\"\n".into(),
            direction: Direction::Minimize,
            dir: dir.to_path_buf(),
        }
    }

    #[test]
    fn trials_are_numbered_counted_and_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("study.db").display());
        let store = Store::open(&url).unwrap();
        let study = store.study(&spec(dir.path())).unwrap();
        let mut p = Params::new();
        p.insert("optim.lr".into(), toml::Value::Float(0.15));
        for expected in 0..2 {
            let (n, _) = store
                .claim(study.id, 2, |trials, n| {
                    assert_eq!(trials.len(), n);
                    Some(p.clone())
                })
                .unwrap()
                .unwrap();
            assert_eq!(n, expected);
            store.record_epoch(study.id, n, 1, 1.5 - n as f64).unwrap();
            store
                .finish(
                    study.id,
                    n,
                    TrialState::Complete,
                    Some(1.5 - n as f64),
                    2.0,
                    None,
                )
                .unwrap();
        }
        assert!(store
            .claim(study.id, 2, |_, _| Some(p.clone()))
            .unwrap()
            .is_none());
        drop(store);
        let store = Store::open(&url).unwrap();
        let trials = store.trials(study.id).unwrap();
        assert_eq!(trials.len(), 2);
        assert_eq!(trials[1].curve, vec![(1, 0.5)]);
        assert_eq!(trials[1].state, TrialState::Complete);
        // The same name with another space is refused.
        let mut other = spec(dir.path());
        other.space = SearchSpace::parse("optim.lr = { uniform = [0.1, 0.3] }", "x").unwrap();
        let e = store.study(&other).unwrap_err().to_string();
        assert!(e.contains("different search space"), "{e}");
    }

    #[test]
    fn a_trial_of_a_dead_process_is_lost_and_not_counted() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("s.db").to_str().unwrap()).unwrap();
        let study = store.study(&spec(dir.path())).unwrap();
        let mut p = Params::new();
        p.insert("optim.lr".into(), toml::Value::Float(0.15));
        store
            .claim(study.id, 1, |_, _| Some(p.clone()))
            .unwrap()
            .unwrap();
        // As if a process that no longer exists had claimed it.
        store
            .lock()
            .execute(
                "UPDATE trials SET worker = ?1",
                params![format!("{}:{}", hostname(), u32::MAX)],
            )
            .unwrap();
        let (n, _) = store
            .claim(study.id, 1, |_, _| Some(p.clone()))
            .unwrap()
            .unwrap();
        assert_eq!(n, 1);
        let trials = store.trials(study.id).unwrap();
        assert_eq!(trials[0].state, TrialState::Failed);
        assert_eq!(trials[0].message.as_deref(), Some(LOST));
        assert_eq!(store.url(), dir.path().join("s.db").to_str().unwrap());
    }
}
