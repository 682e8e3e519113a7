import Billing
import BillingCore
import Foundation
import PostgresNIO
import Storage
import Testing

/// A transaction whose connection PostgreSQL terminates (a restart, a failover, an operator's
/// pg_terminate_backend) fails at once with an error the caller can report, never hangs, and the
/// pool serves the next call. Found by scripts/ops/pg_restart.py: with PostgresNIO 1.33.2 a
/// statement sent on a connection the server is closing is sometimes never answered (this test hung
/// about one run in three); `ConnectionWatch` now fails such statements when the connection closes.
@Suite struct ConnectionLossTests {
    @Test(.timeLimit(.minutes(2)))
    func transactionsOnTerminatedConnectionsFailPromptlyAndThePoolRecovers() async throws {
        let environment = try await TestEnvironment.isolated(plugins: .none, claims: ClaimConfiguration())
        let database = environment.database
        let name = environment.applicationURL.database
        let calls = 8
        let outcomes = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<calls {
                group.addTask {
                    do {
                        try await database.withTransaction { transaction in
                            _ = try await transaction.rows("select pg_sleep(20)")
                        }
                        return "finished"
                    } catch {
                        return "failed"
                    }
                }
            }
            // Once every call is inside its sleep, end their backends as a restart would.
            for _ in 0..<200 {
                let sleeping = try await environment.count("""
                    select count(*)::int from pg_stat_activity where datname = \(name) and query like 'select pg_sleep%'
                    """)
                if sleeping == calls { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            let ended = ContinuousClock.now
            _ = try await environment.count("""
                select count(pg_terminate_backend(pid))::int from pg_stat_activity
                where datname = \(name) and usename = 'ledgerline_app'
                """)
            var outcomes: [String] = []
            for try await outcome in group { outcomes.append(outcome) }
            let took = ContinuousClock.now - ended
            #expect(took < .seconds(15), "the calls took \(took) to come back after their connections ended")
            return outcomes
        }
        #expect(outcomes == Array(repeating: "failed", count: calls))
        // The pool replaces the dead connections (an idle one it still held may fail once).
        var answer: Int?
        for _ in 0..<3 where answer == nil {
            answer = try? await database.withTransaction { transaction in
                try await transaction.firstRow("select 1::int as one").map { try $0.decode(Int.self) }
            }
        }
        #expect(answer == 1)
    }
}
