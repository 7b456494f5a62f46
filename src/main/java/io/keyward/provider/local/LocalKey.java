package io.keyward.provider.local;

import java.time.Instant;

/** What the stand-in KMS reports about a key. Holds no key material. */
public record LocalKey(String name, LocalKeyState state, Instant createdAt) {
    public String keyUri() {
        return LocalKeyProvider.SCHEME + name;
    }
}
