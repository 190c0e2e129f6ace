//! The study store: studies, trials and their per-epoch values in a database — an SQLite file
//! (compiled in) or a PostgreSQL server — so that a killed study resumes where it stopped and
//! several workers (threads of one process, processes, machines) share one study. Trials are
//! claimed in exclusive transactions, so two workers never get the same trial number or grid
//! point.
//!
//! A trial whose worker died stays `running` until a worker notices: one on the same host whose
//! process is gone, or any whose last sign of life (its heartbeat, renewed every epoch) is older
//! than [`STALE_SECONDS`]. It is then marked failed with the message [`LOST`], does not count
//! towards `--trials`, and a grid gives its point again.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::db::{Column, Db, Sql};
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
    db: Mutex<Db>,
}

fn text(s: impl Into<String>) -> Sql {
    Sql::Text(Some(s.into()))
}

impl Store {
    /// Opens (creating the tables if needed) the store of `url`: `sqlite:PATH` (or a plain
    /// path), or `postgres://USER@HOST[:PORT]/DB`.
    pub fn open(url: &str) -> Result<Store, TuneError> {
        let db = Db::open(url).map_err(|reason| TuneError::Store {
            url: url.to_string(),
            reason: euterpe_base::one_line(&reason),
        })?;
        Ok(Store {
            url: url.to_string(),
            db: Mutex::new(db),
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

    fn lock(&self) -> std::sync::MutexGuard<'_, Db> {
        // A worker that panicked holding the lock left a connection the database keeps
        // consistent.
        self.db.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The study of `spec.name`, created if new; an error if the name holds another search.
    pub fn study(&self, spec: &StudySpec) -> Result<StoredStudy, TuneError> {
        let space = serde_json::to_string(&spec.space).map_err(|e| self.fail(e))?;
        self.lock()
            .execute(
                "INSERT INTO studies (name, space, config, direction, dir, created)
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (name) DO NOTHING",
                &[
                    text(&spec.name),
                    text(space),
                    text(&spec.config),
                    text(spec.direction.name()),
                    text(spec.dir.to_string_lossy()),
                    Sql::Real(Some(now())),
                ],
            )
            .map_err(|e| self.fail(e))?;
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
        let rows = self
            .lock()
            .query(
                "SELECT id, space, config, direction, dir FROM studies WHERE name = $1",
                &[text(name)],
                &[
                    Column::Int,
                    Column::Text,
                    Column::Text,
                    Column::Text,
                    Column::Text,
                ],
            )
            .map_err(|e| self.fail(e))?;
        let Some(row) = rows.into_iter().next() else {
            return Err(TuneError::NoStudy {
                study: name.to_string(),
                url: self.url.clone(),
            });
        };
        let space: SearchSpace =
            serde_json::from_str(&row[1].text().unwrap_or_default()).map_err(|e| self.fail(e))?;
        let direction = if row[3].text().as_deref() == Some("maximize") {
            Direction::Maximize
        } else {
            Direction::Minimize
        };
        Ok(StoredStudy {
            id: row[0].int(),
            spec: StudySpec {
                name: name.to_string(),
                space,
                config: row[2].text().unwrap_or_default(),
                direction,
                dir: PathBuf::from(row[4].text().unwrap_or_default()),
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
        let mut db = self.lock();
        db.begin_exclusive(study).map_err(|e| self.fail(e))?;
        let claimed = claim_in(&mut db, study, target, choose);
        let commit = matches!(claimed, Ok(Some(_)));
        let ended = db.finish_transaction(commit);
        let claimed = claimed.map_err(|e| self.fail(e))?;
        ended.map_err(|e| self.fail(e))?;
        Ok(claimed)
    }

    /// Records a trial's validation value after an epoch (and that it is alive).
    pub fn record_epoch(
        &self,
        study: i64,
        number: usize,
        epoch: usize,
        value: f64,
    ) -> Result<(), TuneError> {
        let mut db = self.lock();
        db.execute(
            "INSERT INTO trial_values (study, number, epoch, value) VALUES ($1, $2, $3, $4)
             ON CONFLICT (study, number, epoch) DO UPDATE SET value = excluded.value",
            &[
                Sql::Int(study),
                Sql::Int(number as i64),
                Sql::Int(epoch as i64),
                Sql::Real(Some(value)),
            ],
        )
        .map_err(|e| self.fail(e))?;
        db.execute(
            "UPDATE trials SET heartbeat = $1 WHERE study = $2 AND number = $3",
            &[
                Sql::Real(Some(now())),
                Sql::Int(study),
                Sql::Int(number as i64),
            ],
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
        self.lock()
            .execute(
                "UPDATE trials SET state = $1, value = $2, seconds = $3, message = $4, heartbeat = $5
                 WHERE study = $6 AND number = $7",
                &[
                    text(state.name()),
                    Sql::Real(value.filter(|v| v.is_finite())),
                    Sql::Real(Some(seconds)),
                    Sql::Text(message.map(str::to_string)),
                    Sql::Real(Some(now())),
                    Sql::Int(study),
                    Sql::Int(number as i64),
                ],
            )
            .map_err(|e| self.fail(e))?;
        Ok(())
    }

    /// Every trial of a study, by number, with its curve.
    pub fn trials(&self, study: i64) -> Result<Vec<Trial>, TuneError> {
        read_trials(&mut self.lock(), study).map_err(|e| self.fail(e))
    }
}

/// The claim inside its transaction.
fn claim_in(
    db: &mut Db,
    study: i64,
    target: usize,
    choose: impl FnOnce(&[Trial], usize) -> Option<Params>,
) -> Result<Option<(usize, Params)>, String> {
    mark_lost(db, study)?;
    let trials = read_trials(db, study)?;
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
    let json = serde_json::to_string(&params).map_err(|e| e.to_string())?;
    let t = now();
    db.execute(
        "INSERT INTO trials (study, number, state, params, worker, started, heartbeat)
         VALUES ($1, $2, 'running', $3, $4, $5, $6)",
        &[
            Sql::Int(study),
            Sql::Int(number as i64),
            text(json),
            text(worker_id()),
            Sql::Real(Some(t)),
            Sql::Real(Some(t)),
        ],
    )?;
    Ok(Some((number, params)))
}

fn read_trials(db: &mut Db, study: i64) -> Result<Vec<Trial>, String> {
    use Column::{Int, Real, Text};
    let rows = db.query(
        "SELECT number, state, params, value, seconds, message, worker FROM trials
         WHERE study = $1 ORDER BY number",
        &[Sql::Int(study)],
        &[Int, Text, Text, Real, Real, Text, Text],
    )?;
    let mut trials: Vec<Trial> = rows
        .into_iter()
        .map(|r| Trial {
            number: r[0].int() as usize,
            state: TrialState::from_name(&r[1].text().unwrap_or_default())
                .unwrap_or(TrialState::Failed),
            params: serde_json::from_str(&r[2].text().unwrap_or_default()).unwrap_or_default(),
            value: r[3].real(),
            seconds: r[4].real().unwrap_or(0.0),
            message: r[5].text(),
            worker: r[6].text().unwrap_or_default(),
            curve: Vec::new(),
        })
        .collect();
    let values = db.query(
        "SELECT number, epoch, value FROM trial_values WHERE study = $1 ORDER BY number, epoch",
        &[Sql::Int(study)],
        &[Int, Int, Real],
    )?;
    for v in values {
        let number = v[0].int() as usize;
        if let Some(t) = trials.iter_mut().find(|t| t.number == number) {
            t.curve
                .push((v[1].int() as usize, v[2].real().unwrap_or(f64::NAN)));
        }
    }
    Ok(trials)
}

/// Marks the running trials whose worker is gone as lost.
fn mark_lost(db: &mut Db, study: i64) -> Result<(), String> {
    let running = db.query(
        "SELECT number, worker, heartbeat FROM trials WHERE study = $1 AND state = 'running'",
        &[Sql::Int(study)],
        &[Column::Int, Column::Text, Column::Real],
    )?;
    let host = hostname();
    for row in running {
        let worker = row[1].text().unwrap_or_default();
        let heartbeat = row[2].real().unwrap_or(0.0);
        let (w_host, pid) = worker.rsplit_once(':').unwrap_or((worker.as_str(), ""));
        let gone_here = w_host == host
            && pid.parse::<u32>().is_ok_and(|pid| {
                pid != std::process::id() && !PathBuf::from(format!("/proc/{pid}")).exists()
            });
        if gone_here || now() - heartbeat > STALE_SECONDS {
            db.execute(
                "UPDATE trials SET state = 'failed', message = $1 WHERE study = $2 AND number = $3",
                &[text(LOST), Sql::Int(study), Sql::Int(row[0].int())],
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
                "UPDATE trials SET worker = $1",
                &[text(format!("{}:{}", hostname(), u32::MAX))],
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
