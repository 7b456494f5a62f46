package io.keyward.bench;

/**
 * Hook for scenario "streaming": {@code encrypt:stream}/{@code decrypt:stream} against Tink's raw streaming AEAD
 * (AES-GCM-HKDF streaming) in the same run, target ≥ 0.8× (issue 7, scope 3). NOT BUILT: the stream endpoints and
 * codec are another change. It writes a MISSING row so the table and results.json say so; replace the body with a
 * JMH benchmark (raw StreamingAead vs keyward's stream codec) and an HTTP run of the endpoints.
 */
final class StreamingScenario {
    static void run(BenchSettings s, BenchResults out) {
        out.add(BenchRow.missing("streaming", "stream encrypt/decrypt vs raw Tink streaming AEAD",
                "not built: needs encrypt:stream/decrypt:stream; target ≥ 0.8×"));
    }

    private StreamingScenario() {
    }
}
