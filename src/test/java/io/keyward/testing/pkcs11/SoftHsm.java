package io.keyward.testing.pkcs11;

import io.keyward.provider.pkcs11.Cryptoki;
import io.keyward.testing.Dirs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real SoftHSM2 for the test JVM: its own token directory under {@code target/softhsm2} (surefire points
 * {@code SOFTHSM2_CONF} there), a supply of initialised tokens, and a second, separate instance of the library
 * that plays the customer's HSM console (generate, disable, enable, destroy keys), so that what keyward sees is
 * what another program did to the token, as in production.
 *
 * <p>A SoftHSM2 library only sees the tokens that exist when it is initialised, and a JVM initialises it once, so
 * every token a run may need is created up front, before any library is loaded. Each key gets a token of its own,
 * which lets a test remove "the token" without touching other tests' keys.
 */
public final class SoftHsm {
    /** Where Debian's softhsm2 package puts the library (also the path keyward's test config allows). */
    public static final String LIBRARY = "/usr/lib/softhsm/libsofthsm2.so";
    private static final int TOKENS = 64;
    private static SoftHsm instance;

    /** A token of this run: its label, serial and user PIN. */
    public record Token(String label, String pin) {
    }

    /** Surefire sets this variable; one token's PIN is its value, to prove the pinEnv option. */
    public static final String ENV_PIN = "KEYWARD_PKCS11_PIN_TEST";
    private final Token envToken;
    private final Path home;
    private final List<Token> tokens = new ArrayList<>();
    private final Cryptoki console;
    private final java.util.Map<String, Long> consoleSessions = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * The run's shared state. @QuarkusTest classes and plain tests are loaded by different class loaders, so this
     * class can exist twice in one JVM while the SoftHSM2 library (and its token list) exists once: the run id and
     * the next free token live in the JVM's system properties (as strings: other libraries read them all), the one
     * map both class loaders see, guarded by its own monitor.
     */
    private static final String RUN = "io.keyward.testing.softhsm.run";
    private static final String NEXT = "io.keyward.testing.softhsm.next";

    public static SoftHsm get() {
        synchronized (System.getProperties()) {
            if (instance == null) {
                instance = new SoftHsm();
            }
            return instance;
        }
    }

    private SoftHsm() {
        String existing = System.getProperty(RUN);
        boolean first = existing == null;
        String run = first ? ProcessHandle.current().pid() + "x" + Long.toString(System.nanoTime() % 100_000, 36)
                : existing;
        String conf = System.getenv("SOFTHSM2_CONF");
        if (conf == null) {
            throw new AssertionError("SOFTHSM2_CONF is not set: run the tests through Maven (surefire sets it)");
        }
        if (!Files.isRegularFile(Path.of(LIBRARY))) {
            throw new AssertionError("SoftHSM2 is not installed (" + LIBRARY + "): apt-get install -y softhsm2");
        }
        try {
            home = Path.of(conf).toAbsolutePath().getParent();
            Path tokenDir = home.resolve("tokens");
            String envPin = System.getenv(ENV_PIN);
            // Labelled "test" so that its PIN variable is KEYWARD_PKCS11_PIN_TEST (the one surefire sets).
            envToken = envPin == null ? null : new Token("test", envPin);
            for (int i = 0; i < TOKENS; i++) {
                tokens.add(new Token("kw-" + run + "-" + i, "pin-" + i + "-" + run));
            }
            if (first) {
                Dirs.deleteTree(tokenDir);
                Files.createDirectories(tokenDir);
                Files.writeString(Path.of(conf), "directories.tokendir = " + tokenDir + "\nobjectstore.backend = file\n"
                        + "log.level = ERROR\nslots.removable = true\n", StandardCharsets.UTF_8);
                if (envToken != null) {
                    util("--init-token", "--free", "--label", envToken.label(), "--pin", envPin, "--so-pin", "so-" + envPin);
                }
                for (Token t : tokens) {
                    util("--init-token", "--free", "--label", t.label(), "--pin", t.pin(), "--so-pin", "so-" + t.pin());
                }
                System.setProperty(RUN, run);
            }
            // The console: the same library under another path is a separate SoftHSM2 instance in this process.
            // Copied once per run: overwriting a library that is already mapped would corrupt it.
            Path copy = home.resolve("libsofthsm2-console.so");
            if (first) {
                Files.copy(Path.of(LIBRARY), copy, StandardCopyOption.REPLACE_EXISTING);
            }
            console = Cryptoki.load(copy.toString());
        } catch (IOException e) {
            throw new AssertionError("cannot prepare SoftHSM2: " + e, e);
        }
    }

    private static void util(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("softhsm2-util"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new AssertionError("softhsm2-util " + args[0] + " failed: " + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** The token whose PIN is in {@link #ENV_PIN}. */
    public Token envToken() {
        if (envToken == null) {
            throw new AssertionError(ENV_PIN + " is not set: run the tests through Maven (surefire sets it)");
        }
        return envToken;
    }

    /** This run's SoftHSM2 directory (target/softhsm2). */
    public Path home() {
        return home;
    }

    /** A token no test has used yet. */
    public Token newToken() {
        int i;
        synchronized (System.getProperties()) {
            i = Integer.parseInt(System.getProperty(NEXT, "0"));
            System.setProperty(NEXT, Integer.toString(i + 1));
        }
        if (i >= tokens.size()) {
            throw new AssertionError("the run used all " + tokens.size() + " SoftHSM2 tokens; raise SoftHsm.TOKENS");
        }
        return tokens.get(i);
    }

    /** The token's slot as the console sees it. */
    private long slot(Cryptoki module, Token token) {
        for (long slot : module.slotsWithToken()) {
            try {
                if (module.tokenInfo(slot).label().equals(token.label())) {
                    return slot;
                }
            } catch (RuntimeException absent) {
                // a removed token
            }
        }
        throw new AssertionError("token " + token.label() + " is not present");
    }

    private synchronized long consoleSession(Token token) {
        return consoleSessions.computeIfAbsent(token.label(), l -> {
            long slot = slot(console, token);
            long s = console.openSession(slot, true);
            console.login(s, slot, token.pin().toCharArray());
            return s;
        });
    }

    /** The customer creates a 256-bit AES key on the token, non-extractable unless asked otherwise. */
    public long createKey(Token token, String label, boolean extractable) {
        return console.generateAesKey(consoleSession(token), label, 32, extractable);
    }

    private long handle(Token token, String label) {
        long[] found = console.findSecretKeys(consoleSession(token), label);
        if (found.length != 1) {
            throw new AssertionError("expected one key " + label + " on " + token.label() + ", found " + found.length);
        }
        return found[0];
    }

    /** The customer disables the key (CKA_ENCRYPT and CKA_DECRYPT false) or enables it again. */
    public void setUsable(Token token, String label, boolean usable) {
        console.setUsable(consoleSession(token), handle(token, label), usable);
    }

    /** The customer destroys the key object. */
    public void destroyKey(Token token, String label) {
        console.destroyObject(consoleSession(token), handle(token, label));
    }

    /** The token goes away: its directory is deleted by SoftHSM2's own tool, from another process. */
    public void removeToken(Token token) {
        try {
            util("--delete-token", "--token", token.label());
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        consoleSessions.remove(token.label());
    }

    /** keyward's own view of the module (the library at its real path). */
    public Cryptoki keywardModule() {
        return Cryptoki.load(LIBRARY);
    }

    /** The slot of a token as keyward's module sees it. */
    public long keywardSlot(Token token) {
        return slot(keywardModule(), token);
    }

    /**
     * Sessions the library itself holds open on {@code slot} in this process, counted without keyward's own
     * bookkeeping: SoftHSM2 does not report a session count ({@code ulSessionCount} is unavailable), but it hands out
     * handles in increasing order and answers {@code C_GetSessionInfo} only for a session that exists, so every
     * handle below a fresh one is asked.
     */
    public long librarySessions(long slot) {
        Cryptoki module = keywardModule();
        long probe = module.openSession(slot, false);
        long open = 0;
        try {
            for (long h = 1; h < probe; h++) {
                try {
                    if (module.sessionInfo(h).slot() == slot) {
                        open++;
                    }
                } catch (RuntimeException notASession) {
                    // an object handle, or a closed session
                }
            }
        } finally {
            module.closeSession(probe);
        }
        return open;
    }

    /** The console's binding, for tests that act on the token directly. */
    public Cryptoki console() {
        return console;
    }

    public long consoleSessionFor(Token token) {
        return consoleSession(token);
    }
}
