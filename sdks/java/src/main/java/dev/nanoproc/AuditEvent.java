package dev.nanoproc;

import java.time.Instant;

/**
 * One thing that happened at a sandbox's boundary: a capability used or refused, a host
 * function called, a limit hit.
 *
 * @param time when it happened (millisecond precision)
 * @param what the kind of capability: {@code fs.mount}, {@code fs.file}, {@code env},
 *     {@code net.connect}, {@code host_fn}, {@code limit.memory}, {@code limit.timeout},
 *     {@code limit.fuel}, {@code limit.output}, {@code trap}, ...
 * @param target what it was about: a path, a variable name, an address, a host function
 * @param decision {@code "allowed"} or {@code "denied"}
 * @param rule the rule that decided it, or how to change the decision
 */
public record AuditEvent(Instant time, String what, String target, String decision, String rule) {
    /** Whether the event is a refusal. */
    public boolean denied() {
        return "denied".equals(decision);
    }
}
