package io.keyward.provider.pkcs11;

import io.keyward.provider.KeyMisconfiguredException;
import io.keyward.provider.KeyUnavailableException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Where the user PIN of a token comes from: the {@code pin} option (a secret keyward stores sealed), an environment
 * variable ({@code pinEnv}), or a file in the operator's {@code keyward.providers.pkcs11.pin-directory}
 * ({@code pinFile}). The last two are bound by name to one token, because C_Login sends the PIN to the token, which
 * for a network HSM is the customer's machine: a tenant must not be able to make keyward send another token's PIN,
 * or any other secret of the pod, to a token it controls.
 */
sealed interface PinSource {
    Pattern FILE_NAME = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]{0,31}");

    /** A fresh copy of the PIN; the caller zeroes it. */
    char[] read();

    record Inline(String pin) implements PinSource {
        @Override
        public char[] read() {
            return pin.toCharArray();
        }

        @Override
        public String toString() {
            return "Inline[pin=<redacted>]";
        }
    }

    record Env(String name) implements PinSource {
        @Override
        public char[] read() {
            String v = System.getenv(name);
            if (v == null || v.isEmpty()) {
                throw new KeyMisconfiguredException("environment variable " + name + " (pinEnv) is not set on keyward");
            }
            return v.toCharArray();
        }
    }

    record File(Path path) implements PinSource {
        @Override
        public char[] read() {
            try {
                byte[] bytes = Files.readAllBytes(path);
                try {
                    String s = new String(bytes, StandardCharsets.UTF_8).strip();
                    if (s.isEmpty()) {
                        throw new KeyMisconfiguredException("PIN file " + path.getFileName() + " (pinFile) is empty");
                    }
                    return s.toCharArray();
                } finally {
                    java.util.Arrays.fill(bytes, (byte) 0);
                }
            } catch (java.nio.file.NoSuchFileException e) {
                throw new KeyMisconfiguredException("PIN file " + path.getFileName() + " (pinFile) does not exist");
            } catch (IOException e) {
                throw new KeyUnavailableException("PIN file " + path.getFileName() + " (pinFile) cannot be read");
            }
        }
    }

    /**
     * Parses the PIN options; exactly one of {@code pin}, {@code pinEnv}, {@code pinFile}. A reference names the
     * token it is for, so it can only ever be sent to that token (whose use the operator assigns to tenants):
     * {@code pinEnv} must be {@code KEYWARD_PKCS11_PIN_<TOKEN LABEL>} (upper case, other characters as {@code _}),
     * {@code pinFile} must be {@code <pin-directory>/<token label>}.
     */
    static PinSource from(Map<String, String> options, String pinDirectory, String tokenLabel) {
        String pin = options.get("pin");
        String env = options.get("pinEnv");
        String file = options.get("pinFile");
        int given = (pin != null ? 1 : 0) + (env != null ? 1 : 0) + (file != null ? 1 : 0);
        if (given != 1) {
            throw new KeyMisconfiguredException("pkcs11 needs exactly one of the options pin, pinEnv, pinFile");
        }
        if (pin != null) {
            if (pin.isEmpty() || pin.length() > 256) {
                throw new KeyMisconfiguredException("pkcs11 option pin must be 1 to 256 characters");
            }
            return new Inline(pin);
        }
        if (env != null) {
            String expected = envName(tokenLabel);
            if (!env.equals(expected)) {
                throw new KeyMisconfiguredException("pkcs11 option pinEnv for token '" + tokenLabel + "' must be "
                        + expected);
            }
            return new Env(env);
        }
        if (pinDirectory == null || pinDirectory.isBlank()) {
            throw new KeyMisconfiguredException("pkcs11 option pinFile is not allowed on this deployment: the operator "
                    + "has not set keyward.providers.pkcs11.pin-directory");
        }
        if (!FILE_NAME.matcher(tokenLabel).matches()) {
            throw new KeyMisconfiguredException("pkcs11 option pinFile needs a token label of letters, digits, '.', "
                    + "'_' and '-' (it names the file); use pin or pinEnv");
        }
        Path expected = Path.of(pinDirectory).toAbsolutePath().normalize().resolve(tokenLabel);
        if (!Path.of(file).equals(expected)) {
            throw new KeyMisconfiguredException("pkcs11 option pinFile for token '" + tokenLabel + "' must be "
                    + expected);
        }
        return new File(expected);
    }

    /** The only environment variable that may hold the PIN of {@code tokenLabel}. */
    static String envName(String tokenLabel) {
        StringBuilder b = new StringBuilder("KEYWARD_PKCS11_PIN_");
        for (char c : tokenLabel.toCharArray()) {
            b.append(c < 128 && Character.isLetterOrDigit(c) ? Character.toUpperCase(c) : '_');
        }
        return b.toString();
    }
}
