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
 * variable named {@code KEYWARD_PKCS11_PIN_*} ({@code pinEnv}), or a file under the operator's
 * {@code keyward.providers.pkcs11.pin-directory} ({@code pinFile}). The last two are restricted because C_Login
 * sends the PIN to the token, which for a network HSM is the customer's machine: a tenant must not be able to make
 * keyward send it any other secret of the pod.
 */
sealed interface PinSource {
    Pattern ENV_NAME = Pattern.compile("KEYWARD_PKCS11_PIN_[A-Z0-9_]{1,64}");

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

    /** Parses the PIN options; exactly one of {@code pin}, {@code pinEnv}, {@code pinFile}. */
    static PinSource from(Map<String, String> options, String pinDirectory) {
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
            if (!ENV_NAME.matcher(env).matches()) {
                throw new KeyMisconfiguredException("pkcs11 option pinEnv must name a variable KEYWARD_PKCS11_PIN_<NAME> "
                        + "(A-Z, 0-9, _)");
            }
            return new Env(env);
        }
        if (pinDirectory == null || pinDirectory.isBlank()) {
            throw new KeyMisconfiguredException("pkcs11 option pinFile is not allowed on this deployment: the operator "
                    + "has not set keyward.providers.pkcs11.pin-directory");
        }
        Path dir = Path.of(pinDirectory).toAbsolutePath().normalize();
        Path p = Path.of(file);
        if (!p.isAbsolute() || !p.normalize().equals(p) || !p.startsWith(dir) || p.equals(dir)) {
            throw new KeyMisconfiguredException("pkcs11 option pinFile must be an absolute path inside the operator's "
                    + "PIN directory " + dir);
        }
        return new File(p);
    }
}
