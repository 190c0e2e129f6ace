//! The two databases a study can live in, behind one small interface: SQLite (a file, compiled
//! in) and PostgreSQL (a server that workers on several machines share). Statements are written
//! once, with `$1, $2, …` placeholders numbered in order of first use (both databases read them
//! so), and values go in and out as [`Sql`].

use postgres::types::ToSql as PgToSql;

/// A value bound to or read from a statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Sql {
    /// A 64-bit integer.
    Int(i64),
    /// A double, or NULL.
    Real(Option<f64>),
    /// Text, or NULL.
    Text(Option<String>),
}

impl Sql {
    /// The integer (0 if it is not one).
    pub fn int(&self) -> i64 {
        match self {
            Sql::Int(i) => *i,
            _ => 0,
        }
    }

    /// The double, if any.
    pub fn real(&self) -> Option<f64> {
        match self {
            Sql::Real(r) => *r,
            Sql::Int(i) => Some(*i as f64),
            _ => None,
        }
    }

    /// The text, if any.
    pub fn text(&self) -> Option<String> {
        match self {
            Sql::Text(t) => t.clone(),
            _ => None,
        }
    }
}

/// What a column is read as.
#[derive(Debug, Clone, Copy)]
pub enum Column {
    /// [`Sql::Int`].
    Int,
    /// [`Sql::Real`].
    Real,
    /// [`Sql::Text`].
    Text,
}

/// An open connection.
pub enum Db {
    /// An SQLite file.
    Sqlite(rusqlite::Connection),
    /// A PostgreSQL server.
    Postgres(Box<postgres::Client>),
}

const SQLITE_SCHEMA: &str = "
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

const POSTGRES_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS studies (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    space TEXT NOT NULL,
    config TEXT NOT NULL,
    direction TEXT NOT NULL,
    dir TEXT NOT NULL,
    created DOUBLE PRECISION NOT NULL
);
CREATE TABLE IF NOT EXISTS trials (
    study BIGINT NOT NULL REFERENCES studies(id),
    number BIGINT NOT NULL,
    state TEXT NOT NULL,
    params TEXT NOT NULL,
    value DOUBLE PRECISION,
    seconds DOUBLE PRECISION NOT NULL DEFAULT 0,
    message TEXT,
    worker TEXT NOT NULL,
    started DOUBLE PRECISION NOT NULL,
    heartbeat DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (study, number)
);
CREATE TABLE IF NOT EXISTS trial_values (
    study BIGINT NOT NULL,
    number BIGINT NOT NULL,
    epoch BIGINT NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (study, number, epoch)
);
";

impl Db {
    /// Connects to `url` (`postgres://…` or `postgresql://…`, else `sqlite:PATH` or a path) and
    /// makes the tables if they are missing.
    pub fn open(url: &str) -> Result<Db, String> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let mut client =
                postgres::Client::connect(url, postgres::NoTls).map_err(|e| e.to_string())?;
            // Two workers creating the tables at once: the loser's error is harmless.
            if let Err(e) = client.batch_execute(POSTGRES_SCHEMA) {
                if client
                    .batch_execute("SELECT 1 FROM trials LIMIT 1")
                    .is_err()
                {
                    return Err(e.to_string());
                }
            }
            return Ok(Db::Postgres(Box::new(client)));
        }
        if url.contains("://") {
            return Err(
                "unsupported storage; give sqlite:PATH or postgres://USER@HOST/DB".to_string(),
            );
        }
        let path = url.strip_prefix("sqlite:").unwrap_or(url);
        if let Some(parent) = std::path::Path::new(path).parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
            }
        }
        let conn = rusqlite::Connection::open(path).map_err(|e| e.to_string())?;
        conn.busy_timeout(std::time::Duration::from_secs(60))
            .map_err(|e| e.to_string())?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(|e| e.to_string())?;
        conn.execute_batch(SQLITE_SCHEMA)
            .map_err(|e| e.to_string())?;
        Ok(Db::Sqlite(conn))
    }

    /// Runs a statement; returns the rows it changed.
    pub fn execute(&mut self, sql: &str, values: &[Sql]) -> Result<u64, String> {
        match self {
            Db::Sqlite(c) => c
                .execute(
                    sql,
                    rusqlite::params_from_iter(values.iter().map(sqlite_value)),
                )
                .map(|n| n as u64)
                .map_err(|e| e.to_string()),
            Db::Postgres(c) => {
                let boxed = pg_values(values);
                let refs: Vec<&(dyn PgToSql + Sync)> = boxed.iter().map(|b| b.as_ref()).collect();
                c.execute(sql, &refs).map_err(|e| e.to_string())
            }
        }
    }

    /// Runs a query; each row's columns read as `columns` say.
    pub fn query(
        &mut self,
        sql: &str,
        values: &[Sql],
        columns: &[Column],
    ) -> Result<Vec<Vec<Sql>>, String> {
        match self {
            Db::Sqlite(c) => {
                let mut stmt = c.prepare(sql).map_err(|e| e.to_string())?;
                let rows = stmt
                    .query_map(
                        rusqlite::params_from_iter(values.iter().map(sqlite_value)),
                        |row| {
                            columns
                                .iter()
                                .enumerate()
                                .map(|(i, col)| {
                                    Ok(match col {
                                        Column::Int => Sql::Int(row.get(i)?),
                                        Column::Real => Sql::Real(row.get(i)?),
                                        Column::Text => Sql::Text(row.get(i)?),
                                    })
                                })
                                .collect::<rusqlite::Result<Vec<Sql>>>()
                        },
                    )
                    .map_err(|e| e.to_string())?;
                rows.collect::<rusqlite::Result<_>>()
                    .map_err(|e| e.to_string())
            }
            Db::Postgres(c) => {
                let boxed = pg_values(values);
                let refs: Vec<&(dyn PgToSql + Sync)> = boxed.iter().map(|b| b.as_ref()).collect();
                let rows = c.query(sql, &refs).map_err(|e| e.to_string())?;
                rows.iter()
                    .map(|row| {
                        columns
                            .iter()
                            .enumerate()
                            .map(|(i, col)| {
                                Ok(match col {
                                    Column::Int => Sql::Int(row.try_get(i)?),
                                    Column::Real => Sql::Real(row.try_get(i)?),
                                    Column::Text => Sql::Text(row.try_get(i)?),
                                })
                            })
                            .collect::<Result<Vec<Sql>, postgres::Error>>()
                            .map_err(|e| e.to_string())
                    })
                    .collect()
            }
        }
    }

    /// Begins a transaction that holds the study's claims to itself until [`Db::commit`]: the
    /// whole database for SQLite (`BEGIN IMMEDIATE`), the study's row for PostgreSQL.
    pub fn begin_exclusive(&mut self, study: i64) -> Result<(), String> {
        match self {
            Db::Sqlite(c) => c
                .execute_batch("BEGIN IMMEDIATE")
                .map_err(|e| e.to_string()),
            Db::Postgres(c) => {
                c.batch_execute("BEGIN").map_err(|e| e.to_string())?;
                c.execute("SELECT id FROM studies WHERE id = $1 FOR UPDATE", &[&study])
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
        }
    }

    /// Ends the transaction, keeping (`true`) or dropping what it did.
    pub fn finish_transaction(&mut self, commit: bool) -> Result<(), String> {
        let sql = if commit { "COMMIT" } else { "ROLLBACK" };
        match self {
            Db::Sqlite(c) => c.execute_batch(sql).map_err(|e| e.to_string()),
            Db::Postgres(c) => c.batch_execute(sql).map_err(|e| e.to_string()),
        }
    }
}

fn sqlite_value(v: &Sql) -> rusqlite::types::Value {
    match v {
        Sql::Int(i) => rusqlite::types::Value::Integer(*i),
        Sql::Real(Some(r)) => rusqlite::types::Value::Real(*r),
        Sql::Text(Some(t)) => rusqlite::types::Value::Text(t.clone()),
        Sql::Real(None) | Sql::Text(None) => rusqlite::types::Value::Null,
    }
}

fn pg_values(values: &[Sql]) -> Vec<Box<dyn PgToSql + Sync>> {
    values
        .iter()
        .map(|v| -> Box<dyn PgToSql + Sync> {
            match v {
                Sql::Int(i) => Box::new(*i),
                Sql::Real(r) => Box::new(*r),
                Sql::Text(t) => Box::new(t.clone()),
            }
        })
        .collect()
}
