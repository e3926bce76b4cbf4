/// The PostgreSQL peer's schema, functions and pgbench scripts: a standard double-entry design. Account 1 is the
/// community's issuing account (no limit); accounts 2 to holders + 1 are the holders, each with the
/// debits-must-not-exceed-credits flag (bit 1 of `flags`), funded from account 1 by one transfer each.
enum PeerSQL {
    /// Bit of `accounts.flags`: debits must not exceed credits.
    static let debitsMustNotExceedCredits = 1
    /// The ledger and code of every transfer.
    static let ledger = 1
    static let code = 1

    /// Tables, and the functions that record transfers. `create_transfer` is one transfer in one transaction (the
    /// caller's): lock both accounts in id order, check the debit's limit, update both balances, insert the
    /// transfer; it answers 0 (recorded), 1 (the debit exceeds its credits) or 2 (an account is unknown).
    /// `create_random_transfers` is a batch in one transaction: it draws `p_count` pairs of distinct accounts
    /// uniformly among `p_lowest` to `p_highest`, locks every account of the batch in id order, then records each
    /// transfer as `create_transfer` does (skipping those whose debit exceeds its credits), and answers how many it
    /// skipped.
    static let schema = """
        CREATE TABLE accounts (
            id bigint PRIMARY KEY,
            debits_pending bigint NOT NULL DEFAULT 0,
            debits_posted bigint NOT NULL DEFAULT 0,
            credits_pending bigint NOT NULL DEFAULT 0,
            credits_posted bigint NOT NULL DEFAULT 0,
            flags int NOT NULL DEFAULT 0
        );

        CREATE TABLE transfers (
            id bigint PRIMARY KEY,
            debit_account_id bigint NOT NULL,
            credit_account_id bigint NOT NULL,
            amount bigint NOT NULL,
            ledger int NOT NULL,
            code int NOT NULL,
            timestamp bigint NOT NULL
        );

        CREATE FUNCTION create_transfer(
            p_id bigint, p_debit bigint, p_credit bigint, p_amount bigint, p_ledger int, p_code int
        ) RETURNS int LANGUAGE plpgsql AS $$
        DECLARE
            locked int;
        BEGIN
            SELECT count(*) INTO locked FROM (
                SELECT id FROM accounts WHERE id IN (p_debit, p_credit) ORDER BY id FOR UPDATE
            ) AS both_accounts;
            IF locked <> 2 THEN
                RETURN 2;
            END IF;
            UPDATE accounts SET debits_posted = debits_posted + p_amount
                WHERE id = p_debit
                AND (flags & 1 = 0 OR debits_pending + debits_posted + p_amount <= credits_posted);
            IF NOT FOUND THEN
                RETURN 1;
            END IF;
            UPDATE accounts SET credits_posted = credits_posted + p_amount WHERE id = p_credit;
            INSERT INTO transfers VALUES (
                p_id, p_debit, p_credit, p_amount, p_ledger, p_code,
                (extract(epoch FROM clock_timestamp()) * 1000)::bigint
            );
            RETURN 0;
        END $$;

        CREATE FUNCTION create_random_transfers(
            p_first_id bigint, p_count int, p_lowest bigint, p_highest bigint, p_amount bigint, p_ledger int,
            p_code int
        ) RETURNS int LANGUAGE plpgsql AS $$
        DECLARE
            span bigint := p_highest - p_lowest + 1;
            debits bigint[] := '{}';
            credits bigint[] := '{}';
            debit bigint;
            skipped int := 0;
        BEGIN
            FOR i IN 1 .. p_count LOOP
                debit := p_lowest + floor(random() * span)::bigint;
                debits := debits || debit;
                credits := credits
                    || (p_lowest + (debit - p_lowest + 1 + floor(random() * (span - 1))::bigint) % span);
            END LOOP;
            PERFORM 1 FROM accounts WHERE id = ANY(debits || credits) ORDER BY id FOR UPDATE;
            FOR i IN 1 .. p_count LOOP
                UPDATE accounts SET debits_posted = debits_posted + p_amount
                    WHERE id = debits[i]
                    AND (flags & 1 = 0 OR debits_pending + debits_posted + p_amount <= credits_posted);
                IF NOT FOUND THEN
                    skipped := skipped + 1;
                    CONTINUE;
                END IF;
                UPDATE accounts SET credits_posted = credits_posted + p_amount WHERE id = credits[i];
                INSERT INTO transfers VALUES (
                    p_first_id + i - 1, debits[i], credits[i], p_amount, p_ledger, p_code,
                    (extract(epoch FROM clock_timestamp()) * 1000)::bigint
                );
            END LOOP;
            RETURN skipped;
        END $$;

        """

    /// The issuer and `holders` funded holders, each with `funding` points from the issuer by a transfer whose id
    /// is the holder's (2 to holders + 1; measured transfers have ids from 10^15 up), then statistics.
    static func accounts(holders: Int, funding: Int64) -> String {
        let last = holders + 1
        return """
            INSERT INTO accounts (id, flags) VALUES (1, 0);
            INSERT INTO accounts (id, credits_posted, flags)
                SELECT g, \(funding), \(debitsMustNotExceedCredits) FROM generate_series(2, \(last)) AS g;
            UPDATE accounts SET debits_posted = \(funding)::bigint * \(holders) WHERE id = 1;
            INSERT INTO transfers
                SELECT g, 1, g, \(funding), \(ledger), \(code), (extract(epoch FROM clock_timestamp()) * 1000)::bigint
                FROM generate_series(2, \(last)) AS g;
            VACUUM ANALYZE;

            """
    }

    /// The pgbench variables every transfer script takes: `base` (the run's first transfer id) and `n` (0: each
    /// client counts its transactions in it).
    ///
    /// A transfer's id is base + client × 10^10 + n (a batch's first: base + client × 10^10 + n × batch).
    static let clientStride = "10000000000"

    /// One transfer between two distinct holders drawn uniformly.
    static func singleScript(holders: Int) -> String {
        """
        \\set n :n + 1
        \\set debit random(2, \(holders + 1))
        \\set credit 2 + (:debit - 2 + random(1, \(holders - 1))) % \(holders)
        SELECT create_transfer(:base + :client_id * \(clientStride) + :n, :debit, :credit, 1, \(ledger), \(code));

        """
    }

    /// `batch` transfers between distinct holders drawn uniformly, in one transaction. The pairs are drawn in the
    /// statement: pgbench has no arrays, a prepared statement takes at most 255 parameters, and drawing 2,000
    /// values with `\set` costs pgbench itself about 24 ms of CPU a batch here, which the server would lose.
    static func batchScript(holders: Int, batch: Int) -> String {
        """
        \\set n :n + 1
        SELECT create_random_transfers(:base + :client_id * \(clientStride) + :n * \(batch), \(batch), 2, \
        \(holders + 1), 1, \(ledger), \(code));

        """
    }

    /// One transfer from the issuer (account 1, no limit) to a holder drawn uniformly.
    static func hotScript(holders: Int) -> String {
        """
        \\set n :n + 1
        \\set credit random(2, \(holders + 1))
        SELECT create_transfer(:base + :client_id * \(clientStride) + :n, 1, :credit, 1, \(ledger), \(code));

        """
    }

    /// One holder's balances by primary key, drawn uniformly.
    static func readScript(holders: Int) -> String {
        """
        \\set id random(2, \(holders + 1))
        SELECT debits_pending, debits_posted, credits_pending, credits_posted, flags FROM accounts WHERE id = :id;

        """
    }

    /// The settings that make the peer durable, and its version, as `name=value` lines.
    static let settings = """
        SELECT 'version=' || current_setting('server_version')
        UNION ALL SELECT 'fsync=' || current_setting('fsync')
        UNION ALL SELECT 'synchronous_commit=' || current_setting('synchronous_commit')
        UNION ALL SELECT 'wal_sync_method=' || current_setting('wal_sync_method')
        UNION ALL SELECT 'full_page_writes=' || current_setting('full_page_writes')
        UNION ALL SELECT 'shared_buffers=' || current_setting('shared_buffers');

        """

    /// Zero when every point debited was credited; the transfers recorded.
    static let check = """
        SELECT 'sum=' || sum(credits_posted - debits_posted) FROM accounts
        UNION ALL SELECT 'transfers=' || count(*) FROM transfers;

        """
}
