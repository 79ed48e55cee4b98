//! Counts what plugins log (target `nanoproc::plugin`), so a log flood can be measured.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use tracing::field::{Field, Visit};
use tracing::{Event, Metadata, Subscriber, span};

static EVENTS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

struct Counter;

struct Message(usize);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            self.0 += format!("{value:?}").len();
        }
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0 += value.len();
        }
    }
}

impl Subscriber for Counter {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.target().starts_with("nanoproc::plugin")
    }
    fn new_span(&self, _: &span::Attributes<'_>) -> span::Id {
        span::Id::from_u64(1)
    }
    fn record(&self, _: &span::Id, _: &span::Record<'_>) {}
    fn record_follows_from(&self, _: &span::Id, _: &span::Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut m = Message(0);
        event.record(&mut m);
        EVENTS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(m.0 as u64, Ordering::Relaxed);
    }
    fn enter(&self, _: &span::Id) {}
    fn exit(&self, _: &span::Id) {}
}

/// Installs the counter as the process's tracing subscriber (once; `false` if another
/// subscriber was installed first).
pub fn install() -> bool {
    tracing::subscriber::set_global_default(Counter).is_ok()
}

/// Plugin log events and message bytes since the last [`reset`].
pub fn counts() -> (u64, u64) {
    (
        EVENTS.load(Ordering::Relaxed),
        BYTES.load(Ordering::Relaxed),
    )
}

/// Starts counting from zero.
pub fn reset() {
    EVENTS.store(0, Ordering::Relaxed);
    BYTES.store(0, Ordering::Relaxed);
}
