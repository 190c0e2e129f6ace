//! The search space: which config keys a study varies and over what.
//!
//! A TOML file whose dotted keys are training-config keys and whose values say how to draw them:
//!
//! ```toml
//! optim.lr = { log_uniform = [1e-4, 1e-2] }
//! optim.weight_decay = { uniform = [0.0, 0.1] }
//! model.core.hidden = { choice = [128, 256, 512] }
//! model.core.layers = { int = [1, 3] }
//! train.batch_size = { choice = [16, 32, 64] }
//! schedule.kind = { choice = ["constant", "cosine"] }
//! # Drawn only when another parameter has a given value:
//! model.core.heads = { choice = [2, 4], when = { "model.core.cell" = "transformer" } }
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::TuneError;

/// How one parameter is drawn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Distribution {
    /// A float, uniform in `[low, high]`.
    Uniform {
        /// The lowest value.
        low: f64,
        /// The highest value.
        high: f64,
    },
    /// A float, uniform in `log` between `low` and `high` (both above 0).
    LogUniform {
        /// The lowest value.
        low: f64,
        /// The highest value.
        high: f64,
    },
    /// An integer in `[low, high]`.
    Int {
        /// The lowest value.
        low: i64,
        /// The highest value.
        high: i64,
    },
    /// An integer in `[low, high]`, uniform in log (both above 0).
    LogInt {
        /// The lowest value.
        low: i64,
        /// The highest value.
        high: i64,
    },
    /// One of the values (all of one TOML type).
    Choice(Vec<toml::Value>),
}

impl Distribution {
    /// The range in the space samplers work in (log for the log kinds; integers widened by
    /// half a step so that each integer has an equal share), `None` for a choice.
    pub fn internal_range(&self) -> Option<(f64, f64)> {
        match *self {
            Distribution::Uniform { low, high } => Some((low, high)),
            Distribution::LogUniform { low, high } => Some((low.ln(), high.ln())),
            Distribution::Int { low, high } => Some((low as f64 - 0.5, high as f64 + 0.5)),
            Distribution::LogInt { low, high } => {
                Some(((low as f64 - 0.5).ln(), (high as f64 + 0.5).ln()))
            }
            Distribution::Choice(_) => None,
        }
    }

    /// The config value of a point of the internal range.
    pub fn value_of(&self, x: f64) -> toml::Value {
        match *self {
            Distribution::Uniform { low, high } => toml::Value::Float(x.clamp(low, high)),
            Distribution::LogUniform { low, high } => toml::Value::Float(x.exp().clamp(low, high)),
            Distribution::Int { low, high } => {
                toml::Value::Integer((x.round() as i64).clamp(low, high))
            }
            Distribution::LogInt { low, high } => {
                toml::Value::Integer((x.exp().round() as i64).clamp(low, high))
            }
            Distribution::Choice(ref values) => values[(x as usize).min(values.len() - 1)].clone(),
        }
    }

    /// The point of the internal range of a config value (the index for a choice); `None`
    /// when the value is not one this distribution draws.
    pub fn internal_of(&self, value: &toml::Value) -> Option<f64> {
        let number = value
            .as_float()
            .or_else(|| value.as_integer().map(|i| i as f64));
        match self {
            Distribution::Uniform { .. } | Distribution::Int { .. } => number,
            Distribution::LogUniform { .. } | Distribution::LogInt { .. } => {
                number.filter(|v| *v > 0.0).map(f64::ln)
            }
            Distribution::Choice(values) => {
                values.iter().position(|v| v == value).map(|i| i as f64)
            }
        }
    }

    /// `points` values spread over the range (every value of a choice, every integer of a
    /// narrow int range): what a grid search tries.
    pub fn grid(&self, points: usize) -> Vec<toml::Value> {
        let points = points.max(1);
        match self {
            Distribution::Choice(values) => values.clone(),
            Distribution::Int { low, high } | Distribution::LogInt { low, high }
                if (high - low + 1) as usize <= points =>
            {
                (*low..=*high).map(toml::Value::Integer).collect()
            }
            _ => {
                let (lo, hi) = match *self {
                    // The ends themselves, not the widened range.
                    Distribution::Int { low, high } => (low as f64, high as f64),
                    Distribution::LogInt { low, high } => ((low as f64).ln(), (high as f64).ln()),
                    _ => self.internal_range().unwrap_or((0.0, 1.0)),
                };
                let mut out: Vec<toml::Value> = (0..points)
                    .map(|i| {
                        let t = if points == 1 {
                            0.5
                        } else {
                            i as f64 / (points - 1) as f64
                        };
                        self.value_of(lo + t * (hi - lo))
                    })
                    .collect();
                out.dedup();
                out
            }
        }
    }
}

/// One parameter of the space.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Parameter {
    /// The config key, dotted (`optim.lr`).
    pub key: String,
    /// How it is drawn.
    pub distribution: Distribution,
    /// Drawn only when these parameters have these values (else left at the base config's).
    pub when: BTreeMap<String, toml::Value>,
}

/// The values of one trial, by config key (only the active parameters).
pub type Params = BTreeMap<String, toml::Value>;

/// Every parameter of a study, in key order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchSpace {
    /// The parameters.
    pub parameters: Vec<Parameter>,
}

const KINDS: [&str; 5] = ["uniform", "log_uniform", "int", "log_int", "choice"];

impl SearchSpace {
    /// Parses a space file's text; `source` names it in errors.
    pub fn parse(text: &str, source: &str) -> Result<SearchSpace, TuneError> {
        let bad = |reason: String| TuneError::Space {
            file: source.to_string(),
            reason,
        };
        let table: toml::Table =
            toml::from_str(text).map_err(|e| bad(euterpe_base::one_line(&e.to_string())))?;
        let mut parameters = Vec::new();
        collect(&table, "", &mut parameters).map_err(bad)?;
        if parameters.is_empty() {
            return Err(bad(
                "no parameter to search (e.g. optim.lr = { log_uniform = [1e-4, 1e-2] })".into(),
            ));
        }
        let space = SearchSpace { parameters };
        for p in &space.parameters {
            for key in p.when.keys() {
                if space.get(key).is_none() {
                    return Err(bad(format!(
                        "{}: `when` names {key}, which is not a parameter of the space",
                        p.key
                    )));
                }
            }
        }
        Ok(space)
    }

    /// The parameter of a key.
    pub fn get(&self, key: &str) -> Option<&Parameter> {
        self.parameters.iter().find(|p| p.key == key)
    }

    /// Whether `p` is drawn given the values drawn so far.
    pub fn is_active(&self, p: &Parameter, params: &Params) -> bool {
        p.when.iter().all(|(k, v)| params.get(k) == Some(v))
    }

    /// The parameters in an order where every `when` key comes before the parameters that
    /// depend on it.
    pub fn in_dependency_order(&self) -> Vec<&Parameter> {
        let mut done: Vec<&Parameter> = Vec::new();
        while done.len() < self.parameters.len() {
            let before = done.len();
            for p in &self.parameters {
                let ready = p.when.keys().all(|k| done.iter().any(|d| &d.key == k));
                if ready && !done.iter().any(|d| d.key == p.key) {
                    done.push(p);
                }
            }
            if done.len() == before {
                // A cycle of `when`s: the rest in key order (they are never active together).
                for p in &self.parameters {
                    if !done.iter().any(|d| d.key == p.key) {
                        done.push(p);
                    }
                }
            }
        }
        done
    }

    /// The `--set` overrides that give a trial its values.
    pub fn overrides(params: &Params) -> Vec<String> {
        params.iter().map(|(k, v)| format!("{k}={v}")).collect()
    }
}

/// Walks nested tables; a table holding one of [`KINDS`] is a parameter.
fn collect(table: &toml::Table, prefix: &str, out: &mut Vec<Parameter>) -> Result<(), String> {
    for (name, value) in table {
        let key = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        let Some(t) = value.as_table() else {
            return Err(format!(
                "{key} = {value}: give how to draw it, e.g. {{ choice = [...] }}, {{ uniform = [a, b] }}, {{ log_uniform = [a, b] }} or {{ int = [a, b] }}"
            ));
        };
        if t.keys().any(|k| KINDS.contains(&k.as_str())) {
            out.push(parameter(&key, t)?);
        } else {
            collect(t, &key, out)?;
        }
    }
    Ok(())
}

fn parameter(key: &str, t: &toml::Table) -> Result<Parameter, String> {
    let mut kinds = t.keys().filter(|k| KINDS.contains(&k.as_str()));
    let kind = kinds.next().cloned().unwrap_or_default();
    if let Some(other) = kinds.next() {
        return Err(format!("{key}: both {kind} and {other}; give one"));
    }
    if let Some(unknown) = t
        .keys()
        .find(|k| !KINDS.contains(&k.as_str()) && *k != "when")
    {
        return Err(format!(
            "{key}: unknown field {unknown:?} (a parameter takes one of {} and optionally `when`)",
            KINDS.join(", ")
        ));
    }
    let value = &t[&kind];
    let distribution = match kind.as_str() {
        "choice" => {
            let values = value
                .as_array()
                .ok_or_else(|| format!("{key}: choice takes a list"))?
                .clone();
            if values.is_empty() {
                return Err(format!("{key}: an empty choice"));
            }
            if values.iter().any(|v| v.type_str() != values[0].type_str()) {
                return Err(format!(
                    "{key}: the choices mix types ({}); give values of one type",
                    values
                        .iter()
                        .map(|v| v.type_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            Distribution::Choice(values)
        }
        "int" | "log_int" => {
            let (low, high) = pair(key, &kind, value, |v| v.as_integer())?;
            if low > high {
                return Err(format!("{key}: an empty range [{low}, {high}]"));
            }
            if kind == "log_int" && low <= 0 {
                return Err(format!("{key}: log_int needs a range above 0"));
            }
            if kind == "int" {
                Distribution::Int { low, high }
            } else {
                Distribution::LogInt { low, high }
            }
        }
        _ => {
            let (low, high) = pair(key, &kind, value, |v| {
                v.as_float().or_else(|| v.as_integer().map(|i| i as f64))
            })?;
            if !(low.is_finite() && high.is_finite() && low < high) {
                return Err(format!("{key}: an empty range [{low}, {high}]"));
            }
            if kind == "log_uniform" && low <= 0.0 {
                return Err(format!("{key}: log_uniform needs a range above 0"));
            }
            if kind == "uniform" {
                Distribution::Uniform { low, high }
            } else {
                Distribution::LogUniform { low, high }
            }
        }
    };
    let when = match t.get("when") {
        None => BTreeMap::new(),
        Some(toml::Value::Table(w)) => w.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        Some(_) => {
            return Err(format!(
                "{key}: when takes a table, e.g. when = {{ \"model.core.cell\" = \"transformer\" }}"
            ))
        }
    };
    Ok(Parameter {
        key: key.to_string(),
        distribution,
        when,
    })
}

fn pair<T>(
    key: &str,
    kind: &str,
    value: &toml::Value,
    read: impl Fn(&toml::Value) -> Option<T>,
) -> Result<(T, T), String> {
    let items = value.as_array().filter(|a| a.len() == 2);
    let read_all = items.and_then(|a| Some((read(&a[0])?, read(&a[1])?)));
    read_all.ok_or_else(|| format!("{key}: {kind} takes two numbers [low, high], got {value}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPACE: &str = r#"
optim.lr = { log_uniform = [1e-4, 1e-2] }
model.core.hidden = { choice = [128, 256] }
model.core.layers = { int = [1, 3] }
model.core.cell = { choice = ["lstm", "transformer"] }
model.core.heads = { choice = [2, 4], when = { "model.core.cell" = "transformer" } }
"#;

    #[test]
    fn dotted_keys_become_parameters_with_their_distributions() {
        let space = SearchSpace::parse(SPACE, "s.toml").unwrap();
        let keys: Vec<&str> = space.parameters.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "model.core.cell",
                "model.core.heads",
                "model.core.hidden",
                "model.core.layers",
                "optim.lr"
            ]
        );
        let lr = space.get("optim.lr").unwrap();
        let (lo, hi) = lr.distribution.internal_range().unwrap();
        assert!((lo - 1e-4f64.ln()).abs() < 1e-12 && (hi - 1e-2f64.ln()).abs() < 1e-12);
        let back = lr.distribution.value_of(1e-3f64.ln()).as_float().unwrap();
        assert!((back - 1e-3).abs() < 1e-15);
        let heads = space.get("model.core.heads").unwrap();
        let mut params = Params::new();
        params.insert("model.core.cell".into(), "lstm".into());
        assert!(!space.is_active(heads, &params));
        params.insert("model.core.cell".into(), "transformer".into());
        assert!(space.is_active(heads, &params));
        let order: Vec<&str> = space
            .in_dependency_order()
            .iter()
            .map(|p| p.key.as_str())
            .collect();
        let cell = order.iter().position(|k| *k == "model.core.cell").unwrap();
        let h = order.iter().position(|k| *k == "model.core.heads").unwrap();
        assert!(cell < h);
    }

    #[test]
    fn grids_cover_choices_integers_and_log_ranges() {
        let space = SearchSpace::parse(SPACE, "s.toml").unwrap();
        let layers = &space.get("model.core.layers").unwrap().distribution;
        assert_eq!(layers.grid(5), vec![1.into(), 2.into(), 3.into()]);
        let lr = &space.get("optim.lr").unwrap().distribution;
        let g = lr.grid(3);
        let v: Vec<f64> = g.iter().map(|x| x.as_float().unwrap()).collect();
        assert!(
            (v[0] - 1e-4).abs() < 1e-12
                && (v[1] - 1e-3).abs() < 1e-12
                && (v[2] - 1e-2).abs() < 1e-12
        );
    }

    #[test]
    fn bad_spaces_are_refused_with_the_key() {
        for (text, expected) in [
            ("optim.lr = { uniform = [0.1, 0.1] }", "empty range"),
            ("optim.lr = { log_uniform = [0.0, 0.1] }", "above 0"),
            ("model.core.hidden = { choice = [] }", "empty choice"),
            (
                "model.core.hidden = { choice = [128, \"big\"] }",
                "mix types",
            ),
            ("optim.lr = 0.1", "how to draw"),
            ("optim.lr = { uniform = [0.1] }", "two numbers"),
            (
                "optim.lr = { uniform = [0.1, 0.2], step = 2 }",
                "unknown field",
            ),
            (
                "a.b = { choice = [1], when = { \"x.y\" = 1 } }",
                "not a parameter",
            ),
            ("", "no parameter"),
        ] {
            let e = SearchSpace::parse(text, "s.toml").unwrap_err().to_string();
            assert!(e.contains(expected) && e.contains("s.toml"), "{text}: {e}");
        }
    }
}
