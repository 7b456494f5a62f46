package io.keyward.testing.vault;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.UUID;

/** What answers the requests behind {@link VaultTestServer}: the in-memory Vault, or a real one (proxied). */
interface VaultBackend {

    Reply handle(Request request);

    /**
     * One HTTP request to {@code /v1/<path>}.
     *
     * @param path      the path after {@code /v1/}, without the query
     * @param query     the raw query string, or null
     * @param token     {@code X-Vault-Token} (or the bearer token), or null
     * @param namespace {@code X-Vault-Namespace}, or null
     */
    record Request(String method, String path, String query, String token, String namespace, byte[] body) {
    }

    /** An HTTP answer; {@code body} is JSON or empty. */
    record Reply(int status, byte[] body, Map<String, String> headers) {
        static final ObjectMapper JSON = new ObjectMapper();

        static Reply noContent() {
            return new Reply(204, new byte[0], Map.of());
        }

        /** Vault's error shape for every status >= 400: {@code {"errors":[...]}}. */
        static Reply error(int status, String... messages) {
            ObjectNode root = JSON.createObjectNode();
            ArrayNode errors = root.putArray("errors");
            for (String m : messages) {
                errors.add(m);
            }
            return new Reply(status, root.toString().getBytes(StandardCharsets.UTF_8), Map.of());
        }

        /** Vault's multierror wrapping of handler errors, e.g. for an ACL denial. */
        static Reply wrappedError(int status, String message) {
            return error(status, "1 error occurred:\n\t* " + message + "\n\n");
        }

        /** A secret response: {@code data} (and {@code auth}) in Vault's standard envelope. */
        static Reply ok(ObjectNode data, ObjectNode auth) {
            ObjectNode root = JSON.createObjectNode();
            root.put("request_id", UUID.randomUUID().toString());
            root.put("lease_id", "");
            root.put("renewable", false);
            root.put("lease_duration", 0);
            root.set("data", data);
            root.putNull("wrap_info");
            root.putNull("warnings");
            root.set("auth", auth);
            return new Reply(200, root.toString().getBytes(StandardCharsets.UTF_8), Map.of());
        }

        static Reply data(ObjectNode data) {
            return ok(data, null);
        }
    }
}
