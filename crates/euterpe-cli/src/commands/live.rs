//! `euterpe live`: endless generation played in real time, to a MIDI port (`--midi-out`, with the
//! `midi-out` cargo feature) or as note events on stdout.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Args;
use euterpe_generate::{
    LiveEvent, LiveSettings, LoadedGenerator, SamplingConfig, DEFAULT_GUIDANCE,
};
use euterpe_models::backend::Cpu;
use euterpe_store::ModelSource;

use super::controls::ControlArgs;

/// Arguments of `live`.
#[derive(Args)]
pub struct LiveArgs {
    /// A built-in model's name or a model directory (default: `piano` with an emotion or style,
    /// else the default model).
    #[arg(long)]
    model: Option<String>,
    #[command(flatten)]
    controls: ControlArgs,
    /// Tempo in BPM.
    #[arg(long, default_value_t = 110.0)]
    tempo: f64,
    /// Sampling temperature.
    #[arg(long, default_value_t = 1.0)]
    temperature: f64,
    /// Note density, 0.25–4 (1: the model's own).
    #[arg(long, default_value_t = 1.0)]
    density: f32,
    /// Centre of the register as a MIDI pitch (e.g. 48 low, 72 high).
    #[arg(long)]
    register: Option<f32>,
    /// Seed of the sampler (default: from the clock, printed).
    #[arg(long)]
    seed: Option<u64>,
    /// Stop after this many bars (default: play until Ctrl-C).
    #[arg(long)]
    bars: Option<usize>,
    /// Send the notes to a MIDI output port: its number or part of its name (no value: the first
    /// port). Needs a build with `--features midi-out`.
    #[arg(long, num_args = 0..=1, default_missing_value = "")]
    midi_out: Option<String>,
    /// List the MIDI output ports and exit.
    #[arg(long)]
    list_ports: bool,
}

/// Set by SIGINT so that sounding notes are released before exit.
static STOP: AtomicBool = AtomicBool::new(false);

#[cfg(unix)]
extern "C" fn on_interrupt(_: libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
}

fn catch_interrupt() {
    #[cfg(unix)]
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe; installing it
    // replaces the default action of SIGINT for this process only.
    unsafe {
        libc::signal(
            libc::SIGINT,
            on_interrupt as extern "C" fn(libc::c_int) as libc::sighandler_t,
        );
    }
}

/// Where the events go.
trait Sink {
    fn send(&mut self, bar: usize, event: &LiveEvent, seconds: f64) -> Result<()>;
}

/// Note events as JSON lines on stdout.
struct Print;

impl Sink for Print {
    fn send(&mut self, bar: usize, e: &LiveEvent, seconds: f64) -> Result<()> {
        let kind = if e.velocity > 0 {
            "note_on"
        } else {
            "note_off"
        };
        println!(
            "{}",
            serde_json::json!({"type": kind, "bar": bar, "time": seconds, "beat": e.beat,
                "pitch": e.pitch, "velocity": e.velocity, "channel": e.channel})
        );
        Ok(())
    }
}

#[cfg(feature = "midi-out")]
mod port {
    //! A MIDI output port through `midir`.
    use anyhow::{anyhow, Result};
    use euterpe_generate::LiveEvent;
    use midir::{MidiOutput, MidiOutputConnection};

    pub struct Port(pub MidiOutputConnection);

    fn output() -> Result<MidiOutput> {
        MidiOutput::new("euterpe").map_err(|e| anyhow!("no MIDI output: {e}"))
    }

    pub fn names() -> Result<Vec<String>> {
        let out = output()?;
        Ok(out
            .ports()
            .iter()
            .map(|p| out.port_name(p).unwrap_or_else(|_| "?".into()))
            .collect())
    }

    /// The port numbered `spec`, or whose name contains it (`""`: the first).
    pub fn open(spec: &str) -> Result<Port> {
        let out = output()?;
        let ports = out.ports();
        let names = names()?;
        let index = match spec.parse::<usize>() {
            Ok(i) => Some(i),
            Err(_) => names.iter().position(|n| n.contains(spec)),
        };
        let port = index.and_then(|i| ports.get(i)).ok_or_else(|| {
            anyhow!(
                "no MIDI output port {spec:?}; ports: {}",
                if names.is_empty() {
                    "none".into()
                } else {
                    names.join(", ")
                }
            )
        })?;
        let name = out.port_name(port).unwrap_or_default();
        let connection = out
            .connect(port, "euterpe-live")
            .map_err(|e| anyhow!("connecting to {name}: {e}"))?;
        eprintln!("playing to MIDI port {name}");
        Ok(Port(connection))
    }

    impl super::Sink for Port {
        fn send(&mut self, _bar: usize, e: &LiveEvent, _seconds: f64) -> Result<()> {
            let status = if e.velocity > 0 { 0x90 } else { 0x80 } | (e.channel & 0x0f);
            self.0
                .send(&[status, e.pitch & 0x7f, e.velocity & 0x7f])
                .map_err(|err| anyhow!("sending to the MIDI port: {err}"))
        }
    }
}

fn sink(a: &LiveArgs) -> Result<Box<dyn Sink>> {
    match &a.midi_out {
        None => Ok(Box::new(Print)),
        #[cfg(feature = "midi-out")]
        Some(spec) => Ok(Box::new(port::open(spec)?)),
        #[cfg(not(feature = "midi-out"))]
        Some(_) => bail!(
            "--midi-out needs euterpe built with MIDI output: cargo build --release --features euterpe/midi-out"
        ),
    }
}

fn settings(a: &LiveArgs) -> Result<LiveSettings> {
    let emotion = a.controls.emotion()?;
    let style = a.controls.style()?;
    let guidance = if emotion.is_some() || style.is_some() {
        DEFAULT_GUIDANCE
    } else {
        1.0
    };
    let settings = LiveSettings {
        emotion,
        style,
        sampling: SamplingConfig {
            temperature: a.temperature,
            ..SamplingConfig::default()
        },
        guidance,
        density: a.density,
        register: a.register,
    };
    settings.validate()?;
    Ok(settings)
}

/// Runs `live`.
pub fn run(a: &LiveArgs) -> Result<()> {
    if a.list_ports {
        #[cfg(feature = "midi-out")]
        for (i, name) in port::names()?.iter().enumerate() {
            println!("{i}\t{name}");
        }
        #[cfg(not(feature = "midi-out"))]
        bail!("listing MIDI ports needs euterpe built with --features euterpe/midi-out");
        #[cfg(feature = "midi-out")]
        return Ok(());
    }
    if !(a.tempo.is_finite() && (20.0..=400.0).contains(&a.tempo)) {
        bail!("--tempo must be 20–400 BPM, got {}", a.tempo);
    }
    let settings = settings(a)?;
    let mut out = sink(a)?;
    let model = a.model.clone().or_else(|| {
        (settings.emotion.is_some() || settings.style.is_some()).then(|| "piano".to_string())
    });
    let source = ModelSource::resolve(model.as_deref())?;
    let generator = LoadedGenerator::<Cpu>::load(&source, Default::default())?;
    let seed = a.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64 % 1_000_000)
    });
    eprintln!(
        "{}: live at {} BPM, seed {seed} (Ctrl-C stops)",
        generator.name, a.tempo
    );
    let mut session = generator
        .live(settings, seed)
        .context("starting the stream")?;
    catch_interrupt();
    let seconds_per_beat = 60.0 / a.tempo;
    let start = Instant::now() + Duration::from_millis(200);
    let mut pending: Vec<(usize, LiveEvent)> = Vec::new();
    let mut bar_index = 0;
    while a.bars.is_none_or(|n| bar_index < n) && !STOP.load(Ordering::SeqCst) {
        let bar = session.next_bar()?;
        bar_index = bar.index + 1;
        pending.extend(bar.events().into_iter().map(|e| (bar.index, e)));
        pending.sort_by(|x, y| x.1.beat.total_cmp(&y.1.beat));
        let bar_end = bar.start_beats + bar.beats;
        let due = pending.partition_point(|(_, e)| e.beat < bar_end);
        let mut now_due = pending.drain(..due).collect::<Vec<_>>().into_iter();
        while let Some((index, event)) = now_due.next() {
            let at = event.beat * seconds_per_beat;
            if !wait_until(start + Duration::from_secs_f64(at)) {
                // Interrupted: keep the rest, so their note-offs are sent below.
                pending.extend(std::iter::once((index, event)).chain(now_due));
                break;
            }
            out.send(index, &event, at)?;
        }
    }
    // Release whatever still sounds: on time after the last bar, at once after Ctrl-C.
    for (index, event) in pending.iter().filter(|(_, e)| e.velocity == 0) {
        let at = event.beat * seconds_per_beat;
        wait_until(start + Duration::from_secs_f64(at));
        out.send(*index, event, at)?;
    }
    Ok(())
}

/// Sleeps until `when`, in short steps so that Ctrl-C is noticed; false when interrupted.
fn wait_until(when: Instant) -> bool {
    loop {
        if STOP.load(Ordering::SeqCst) {
            return false;
        }
        let now = Instant::now();
        if now >= when {
            return true;
        }
        std::thread::sleep((when - now).min(Duration::from_millis(50)));
    }
}
