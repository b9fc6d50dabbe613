package portfoliograph;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;

/**
 * Neo4j (embedded DBMS, Community) with Bolt on 127.0.0.1 and authentication on.
 *
 * Usage: Neo4jLauncher DATA_DIR. The store lives in DATA_DIR/neo4j and the password of
 * the `neo4j` user, generated on the first start, in DATA_DIR/password (mode 0600), so a
 * new start on the same dir finds its data and credentials again. When the database is
 * ready, exactly one JSON line {"uri", "user", "password"} goes to stdout (everything else
 * Neo4j prints goes to stderr); the process then runs until SIGTERM or until its stdin
 * closes, and shuts the DBMS down cleanly either way.
 */
public final class Neo4jLauncher {
    private static final String USER = "neo4j";
    private static final int PORT_ATTEMPTS = 5;

    private Neo4jLauncher() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: Neo4jLauncher DATA_DIR");
            System.exit(2);
        }
        // Only the ready line may reach stdout: the caller parses it.
        PrintStream stdout = System.out;
        System.setOut(System.err);

        Path dataDir = Path.of(args[0]).toAbsolutePath();
        Files.createDirectories(dataDir);
        String password = password(dataDir.resolve("password"));

        DatabaseManagementService dbms = null;
        int port = 0;
        for (int attempt = 1; dbms == null; attempt++) {
            port = freePort();
            try {
                dbms = start(dataDir.resolve("neo4j"), port);
            } catch (RuntimeException e) {
                // Another process may have taken the port between the probe and the bind.
                if (attempt >= PORT_ATTEMPTS || !isBindFailure(e)) {
                    throw e;
                }
            }
        }
        DatabaseManagementService started = dbms;
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            started.shutdown();
            stopped.countDown();
        }, "neo4j-launcher-shutdown"));

        setPassword(started.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME), password);
        GraphDatabaseService db = started.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME);
        if (!db.isAvailable(Duration.ofMinutes(5).toMillis())) {
            System.err.println("Neo4j: the default database did not become available");
            System.exit(1);
        }

        stdout.println("{\"uri\": \"bolt://127.0.0.1:" + port + "\", \"user\": \"" + USER
                + "\", \"password\": \"" + password + "\"}");
        stdout.flush();

        Thread stdinWatch = new Thread(() -> {
            try {
                InputStream in = System.in;
                byte[] buffer = new byte[256];
                while (in.read(buffer) >= 0) {
                    // Input is ignored; only its end matters.
                }
            } catch (IOException ignored) {
                // A broken stdin means the parent is gone, the same as end of input.
            }
            System.exit(0); // runs the shutdown hook
        }, "neo4j-launcher-stdin");
        stdinWatch.setDaemon(true);
        stdinWatch.start();
        stopped.await();
    }

    private static DatabaseManagementService start(Path home, int port) {
        return new DatabaseManagementServiceBuilder(home)
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
                .setConfig(BoltConnector.advertised_address, new SocketAddress("127.0.0.1", port))
                .setConfig(GraphDatabaseSettings.auth_enabled, true)
                // Statement timeouts are enforced by a monitor that looks every 2 s by
                // default; the engine promises its bound within a fraction of a second.
                .setConfig(GraphDatabaseSettings.transaction_monitor_check_interval,
                        Duration.ofMillis(100))
                // Modest memory: the machines running this are small and shared.
                .setConfig(GraphDatabaseSettings.pagecache_memory, 256L * 1024 * 1024)
                .build();
    }

    /** The stored password, or a new random one written (0600, atomically) before first use. */
    private static String password(Path file) throws IOException {
        if (Files.exists(file)) {
            String stored = Files.readString(file, StandardCharsets.UTF_8).strip();
            if (!stored.isEmpty()) {
                return stored;
            }
        }
        byte[] bytes = new byte[24];
        new SecureRandom().nextBytes(bytes);
        String fresh = HexFormat.of().formatHex(bytes);
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tmp, fresh + "\n", StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return fresh;
    }

    /** Give `neo4j` the stored password; a rerun with the same password is a no-op. */
    private static void setPassword(GraphDatabaseService system, String password) {
        try {
            system.executeTransactionally(
                    "ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED",
                    Map.of("password", password));
        } catch (RuntimeException e) {
            if (!String.valueOf(messages(e)).contains("cannot be the same")) {
                throw e;
            }
        }
    }

    private static String messages(Throwable e) {
        StringBuilder all = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            all.append(t.getMessage()).append('\n');
        }
        return all.toString();
    }

    private static boolean isBindFailure(Throwable e) {
        String all = messages(e);
        return all.contains("Address already in use") || all.contains("bind");
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
