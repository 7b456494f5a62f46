package io.keyward.keys;

import io.keyward.tenant.KeyHealth;

/** The provider's verdict on a key, as {@code POST .../keys/{k}:check} reports it. */
public record CheckResult(KeyHealth status, String detail, long latencyMs) {
}
