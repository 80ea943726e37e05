package dev.haul.queue;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.StringJoiner;

/** What both stores' SQL needs alike: state checks, placeholders, the new order of a move. */
final class StoreSql {
    private StoreSql() {
    }

    /** Refuses an operation the job's state does not allow, naming both. */
    static void requireState(Job job, String operation, JobState... allowed) {
        for (JobState s : allowed) {
            if (job.state() == s) {
                return;
            }
        }
        throw new QueueException(QueueException.Code.INVALID_STATE, "cannot " + operation
                + " job " + job.id() + ": it is " + job.state().wireName());
    }

    /** {@code (?, ?, ...)} with {@code n} placeholders. */
    static String placeholders(int n) {
        StringJoiner j = new StringJoiner(", ", "(", ")");
        for (int i = 0; i < n; i++) {
            j.add("?");
        }
        return j.toString();
    }

    /** Binds the states' wire names from parameter {@code from}; returns the next index. */
    static int bindStates(PreparedStatement ps, Set<JobState> states, int from)
            throws SQLException {
        int i = from;
        for (JobState s : states) {
            ps.setString(i++, s.wireName());
        }
        return i;
    }

    /** Binds what {@code update} changes, in its order, from parameter {@code from}. */
    static int bindChange(PreparedStatement ps, JobRequest r, int from) throws SQLException {
        int i = from;
        ps.setString(i++, r.uri().toString());
        ps.setString(i++, Codec.mirrors(r.mirrors()));
        ps.setString(i++, Codec.headers(r.headers()));
        ps.setString(i++, r.expectedSha256());
        ps.setLong(i++, r.maxBytesPerSecond());
        ps.setInt(i++, r.connections());
        return i;
    }

    /** The columns {@link #bindChange} binds, as {@code SET} assignments. */
    static final String CHANGE = "url = ?, mirrors = ?, headers = ?, sha256 = ?,"
            + " max_bytes_per_second = ?, connections = ?";

    /**
     * The positions that change when job {@code id} moves to {@code index} among the live jobs
     * ({@code {id, position}} in queue order): the live jobs keep their set of positions and only
     * their order changes, so the finished jobs between them and every later add stay where
     * they are.
     *
     * @return {@code {id, new position}} of each job that moves
     */
    static List<long[]> reorder(List<long[]> live, long id, long index) {
        List<Long> order = new ArrayList<>();
        live.forEach(r -> order.add(r[0]));
        order.remove(Long.valueOf(id));
        order.add((int) Math.min(index, order.size()), id);
        List<long[]> moves = new ArrayList<>();
        for (int i = 0; i < order.size(); i++) {
            if (order.get(i).longValue() != live.get(i)[0]) {
                moves.add(new long[] {order.get(i), live.get(i)[1]});
            }
        }
        return moves;
    }
}
