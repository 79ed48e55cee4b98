package dev.nanoproc;

import java.util.List;

/**
 * The audit events a plugin kept since the last {@link Plugin#takeAudit()}.
 *
 * @param events the events, oldest first
 * @param dropped how many older events were left out (more happened than the keep limit)
 */
public record AuditTrail(List<AuditEvent> events, long dropped) {}
