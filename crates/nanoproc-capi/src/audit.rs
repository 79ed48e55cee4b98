//! Audit trails for C: events kept per plugin (read as JSON) or streamed to a callback.

use crate::host_fn::UserData;
use nanoproc::{AuditEvent, AuditSink};
use std::collections::VecDeque;
use std::ffi::c_char;
use std::sync::Mutex;

/// Receives each audit event as one JSON object (`{"time_ms":..,"what":..,"target":..,
/// "decision":"allowed"|"denied","rule":..}`), `json_len` bytes, not NUL-terminated, valid
/// during the callback. Called from the thread that made the call, possibly concurrently.
#[allow(non_camel_case_types)]
pub type nanoproc_audit_fn = Option<
    unsafe extern "C" fn(user_data: *mut std::ffi::c_void, json: *const c_char, json_len: usize),
>;

/// The most recent events of a plugin, up to a cap; older ones are dropped and counted.
pub(crate) struct Kept {
    cap: usize,
    state: Mutex<(VecDeque<AuditEvent>, u64)>,
}

impl Kept {
    pub(crate) fn new(cap: usize) -> Self {
        Kept {
            cap,
            state: Mutex::new((VecDeque::new(), 0)),
        }
    }

    /// The kept events as `{"events":[...],"dropped":N}`, emptying the store.
    pub(crate) fn take_json(&self) -> Vec<u8> {
        let (events, dropped) = {
            let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
            let events: Vec<AuditEvent> = s.0.drain(..).collect();
            let dropped = std::mem::take(&mut s.1);
            (events, dropped)
        };
        serde_json::to_vec(&serde_json::json!({ "events": events, "dropped": dropped }))
            .unwrap_or_else(|_| b"{\"events\":[],\"dropped\":0}".to_vec())
    }
}

impl AuditSink for Kept {
    fn record(&self, event: &AuditEvent) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if s.0.len() >= self.cap {
            s.0.pop_front();
            s.1 += 1;
        }
        s.0.push_back(event.clone());
    }
}

/// Streams events to a C callback.
pub(crate) struct Callback {
    pub(crate) f: unsafe extern "C" fn(*mut std::ffi::c_void, *const c_char, usize),
    pub(crate) data: UserData,
}

impl AuditSink for Callback {
    fn record(&self, event: &AuditEvent) {
        if let Ok(json) = serde_json::to_vec(event) {
            // SAFETY: a C function registered with this user data; the JSON lives for the call.
            unsafe { (self.f)(self.data.ptr, json.as_ptr().cast(), json.len()) }
        }
    }
}
