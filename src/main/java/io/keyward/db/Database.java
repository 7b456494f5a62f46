package io.keyward.db;

import io.agroal.api.AgroalDataSource;
import io.quarkus.agroal.runtime.AgroalDataSourceUtil;
import jakarta.inject.Singleton;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.function.Supplier;

/**
 * The one active datasource (H2 embedded default or PostgreSQL, see config.DatabaseSelection) and the few JDBC
 * shapes the stores need. Plain JDBC on purpose: four small tables, and the same SQL must run on both engines.
 */
@Singleton
public class Database {
    public static final String H2 = "h2";
    public static final String POSTGRESQL = "pg";

    private final AgroalDataSource dataSource;
    private final String name;
    /** The connection of a {@link #inTransactionWithNotify} running on this thread; every call here joins it. */
    private final ThreadLocal<Connection> bound = new ThreadLocal<>();

    public Database() {
        Optional<AgroalDataSource> pg = AgroalDataSourceUtil.dataSourceIfActive(POSTGRESQL);
        if (pg.isPresent()) {
            this.dataSource = pg.get();
            this.name = POSTGRESQL;
        } else {
            this.dataSource = AgroalDataSourceUtil.dataSourceIfActive(H2)
                    .orElseThrow(() -> new IllegalStateException("no active datasource"));
            this.name = H2;
        }
    }

    /** {@code h2} on the embedded default, {@code pg} on PostgreSQL. */
    public String name() {
        return name;
    }

    public boolean embedded() {
        return H2.equals(name);
    }

    @FunctionalInterface
    public interface RowMapper<T> {
        T map(ResultSet rs) throws SQLException;
    }

    @FunctionalInterface
    public interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    public <T> List<T> query(String sql, RowMapper<T> mapper, Object... params) {
        return withConnection(c -> query(c, sql, mapper, params));
    }

    public <T> Optional<T> queryOne(String sql, RowMapper<T> mapper, Object... params) {
        List<T> rows = query(sql, mapper, params);
        return rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(0));
    }

    public int update(String sql, Object... params) {
        return withConnection(c -> update(c, sql, params));
    }

    public static <T> List<T> query(Connection c, String sql, RowMapper<T> mapper, Object... params)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            bind(ps, params);
            try (ResultSet rs = ps.executeQuery()) {
                List<T> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(mapper.map(rs));
                }
                return out;
            }
        }
    }

    public static int update(Connection c, String sql, Object... params) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            bind(ps, params);
            return ps.executeUpdate();
        }
    }

    public <T> T withConnection(Work<T> work) {
        Connection joined = bound.get();
        if (joined != null) {
            try {
                return work.run(joined);
            } catch (SQLException e) {
                throw new DatabaseException(e);
            }
        }
        try (Connection c = dataSource.getConnection()) {
            return work.run(c);
        } catch (SQLException e) {
            throw new DatabaseException(e);
        }
    }

    /** Runs {@code work} in one transaction; rolls back on any exception. */
    public <T> T inTransaction(Work<T> work) {
        if (bound.get() != null) {
            return withConnection(work);
        }
        try (Connection c = dataSource.getConnection()) {
            boolean auto = c.getAutoCommit();
            c.setAutoCommit(false);
            try {
                T result = work.run(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(auto);
            }
        } catch (SQLException e) {
            throw new DatabaseException(e);
        }
    }

    /**
     * Runs {@code change} in one transaction (every call to this class on this thread joins it) and, on
     * PostgreSQL, sends {@code NOTIFY channel, payload} inside that same transaction: listeners hear of the change
     * exactly when it commits, and never of one that rolled back. On H2 (one embedded instance, nobody to tell)
     * it just runs {@code change}.
     */
    public <T> T inTransactionWithNotify(String channel, String payload, Supplier<T> change) {
        if (embedded()) {
            return change.get();
        }
        if (bound.get() != null) {
            T result = change.get();
            withConnection(c -> notify(c, channel, payload));
            return result;
        }
        try (Connection c = dataSource.getConnection()) {
            boolean auto = c.getAutoCommit();
            c.setAutoCommit(false);
            bound.set(c);
            try {
                T result = change.get();
                notify(c, channel, payload);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                bound.remove();
                c.setAutoCommit(auto);
            }
        } catch (SQLException e) {
            throw new DatabaseException(e);
        }
    }

    private static Void notify(Connection c, String channel, String payload) throws SQLException {
        // pg_notify takes the channel as a value, so it needs no quoting; NOTIFY is transactional either way.
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_notify(?, ?)")) {
            ps.setString(1, channel);
            ps.setString(2, payload);
            ps.execute();
        }
        return null;
    }

    /**
     * A new PostgreSQL connection outside the pool, for a long-lived {@code LISTEN} (a pooled connection would
     * be taken from the working set for good and could be validated or closed under the listener). Same URL and
     * credentials as the {@code pg} datasource; {@code applicationName} shows in {@code pg_stat_activity}.
     */
    public Connection openListenerConnection(String applicationName) throws SQLException {
        if (embedded()) {
            throw new IllegalStateException("LISTEN needs PostgreSQL");
        }
        org.eclipse.microprofile.config.Config config = org.eclipse.microprofile.config.ConfigProvider.getConfig();
        Properties props = new Properties();
        config.getOptionalValue("quarkus.datasource.pg.username", String.class)
                .ifPresent(u -> props.setProperty("user", u));
        config.getOptionalValue("quarkus.datasource.pg.password", String.class)
                .ifPresent(p -> props.setProperty("password", p));
        props.setProperty("ApplicationName", applicationName);
        props.setProperty("tcpKeepAlive", "true");
        props.setProperty("connectTimeout", "5");
        // Bounds a round trip on a silently dead network; waiting for notifications sets its own timeout.
        props.setProperty("socketTimeout", "30");
        Connection c = new org.postgresql.Driver().connect(
                config.getValue("quarkus.datasource.pg.jdbc.url", String.class), props);
        if (c == null) {
            throw new SQLException("quarkus.datasource.pg.jdbc.url is not a PostgreSQL URL");
        }
        c.setAutoCommit(true);
        return c;
    }

    public static Instant instant(ResultSet rs, String column) throws SQLException {
        Timestamp t = rs.getTimestamp(column);
        return t == null ? null : t.toInstant();
    }

    private static void bind(PreparedStatement ps, Object[] params) throws SQLException {
        for (int i = 0; i < params.length; i++) {
            Object p = params[i];
            if (p instanceof Instant in) {
                ps.setTimestamp(i + 1, Timestamp.from(in));
            } else {
                ps.setObject(i + 1, p);
            }
        }
    }

    /** SQL failures, with the SQL state kept for diagnosis; messages never contain bound values. */
    public static final class DatabaseException extends RuntimeException {
        private final String sqlState;

        public DatabaseException(SQLException e) {
            super("database error (SQL state " + e.getSQLState() + ")", null, false, true);
            this.sqlState = e.getSQLState();
        }

        public String sqlState() {
            return sqlState;
        }

        public boolean isUniqueViolation() {
            return "23505".equals(sqlState);
        }
    }
}
