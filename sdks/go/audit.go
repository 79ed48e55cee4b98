package nanoproc

import (
	"encoding/json"
	"time"
)

// AuditEvent is one thing that happened at the sandbox's boundary: a capability used or refused,
// a host function called, a limit hit.
type AuditEvent struct {
	// Time is when it happened (millisecond precision).
	Time time.Time `json:"-"`
	// What is the kind of capability: "fs.mount", "fs.file", "env", "net.connect",
	// "host_fn", "limit.memory", "limit.timeout", "limit.fuel", "limit.output", "trap", ...
	What string `json:"what"`
	// Target is what it was about: a path, a variable name, an address, a host function.
	Target string `json:"target"`
	// Decision is "allowed" or "denied".
	Decision string `json:"decision"`
	// Rule is the rule that decided it, or how to change the decision.
	Rule string `json:"rule"`
}

// Denied reports whether the event is a refusal.
func (e AuditEvent) Denied() bool { return e.Decision == "denied" }

// UnmarshalJSON reads nanoproc's JSON form ({"time_ms":..,"what":..,...}).
func (e *AuditEvent) UnmarshalJSON(b []byte) error {
	type plain AuditEvent
	var v struct {
		plain
		TimeMs int64 `json:"time_ms"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*e = AuditEvent(v.plain)
	e.Time = time.UnixMilli(v.TimeMs)
	return nil
}

// MarshalJSON writes nanoproc's JSON form.
func (e AuditEvent) MarshalJSON() ([]byte, error) {
	type plain AuditEvent
	return json.Marshal(struct {
		TimeMs int64 `json:"time_ms"`
		plain
	}{e.Time.UnixMilli(), plain(e)})
}
