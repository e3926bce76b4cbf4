import ArgumentParser
import GongzhiControl
import GongzhiPointsSchemas
import GongzhiRPC
import SwiftProtobuf

extension PointsCommand {
    /// `gongzhictl points expiring --within 30d`.
    struct Expiring: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the holders whose points expire soon, and how many: who should be told.",
            discussion: """
                Points expire in lots, at the end of the month their ledger says; expiry is posted as \
                transfers to the ledger's expiry account.

                Example:
                  gongzhictl points expiring --within 30d --community 330106001001
                """
        )

        @Option(
            help: ArgumentHelp("The window from now: 30d, 12h, 90m.", valueName: "duration"),
            transform: { text in try PointsDuration(parsing: text) }
        )
        var within: PointsDuration

        @Option(help: .ledgerFilter) var ledger: String?

        @Option(help: .communityFilter) var community: String?

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        var request: Gongzhi_Points_V1_ExpiringRequest {
            Gongzhi_Points_V1_ExpiringRequest.with {
                $0.withinSeconds = within.seconds
                $0.ledger = ledger ?? ""
                $0.communityCode = community ?? ""
            }
        }

        func run() async throws {
            let invocation = self.invocation
            let request = self.request
            let response = try await PointsCalls.call(invocation) { points, options in
                try await points.expiring(request, options: options)
            }
            invocation.print(
                human: { PointsOutput.expiring(response, within: request.withinSeconds, time: $0) },
                message: response
            )
        }
    }

    /// `gongzhictl points honour-roll [--month 2026-11 | --from DATE --to DATE]`.
    struct HonourRoll: AdminCommand {
        static let configuration = CommandConfiguration(
            commandName: "honour-roll",
            abstract: "Show the honour roll (光荣榜): who earned the most points in a period.",
            discussion: """
                Points earned by earning rules in the period count, less their corrections; grants, \
                transfers and redemptions do not. The period is a calendar month (--month 2026-11), or days \
                from --from through --to (China Standard Time); the current month without them.

                Example:
                  gongzhictl points honour-roll --community 330106001001 --month 2025-11
                """
        )

        @Option(help: .ledgerFilter) var ledger: String?

        @Option(help: .communityFilter) var community: String?

        @OptionGroup var period: PeriodOptions

        @Option(parsing: .unconditional, help: ArgumentHelp("How many places (default: the plugin's).", valueName: "n"))
        var limit: Int32?

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func validate() throws { try PointsCalls.checkLimit(limit) }

        func request(nowMs: Int64) throws(ControlError) -> Gongzhi_Points_V1_HonourRollRequest {
            let (fromMs, toMs) = try period.range(nowMs: nowMs)
            return Gongzhi_Points_V1_HonourRollRequest.with {
                $0.ledger = ledger ?? ""
                $0.communityCode = community ?? ""
                $0.fromMs = fromMs
                $0.toMs = toMs
                $0.limit = limit ?? 0
            }
        }

        func run() async throws {
            let invocation = self.invocation
            let request = try self.request(nowMs: invocation.context.time().nowMs)
            let response = try await PointsCalls.call(invocation) { points, options in
                try await points.honourRoll(request, options: options)
            }
            invocation.print(human: { _ in PointsOutput.honourRoll(response) }, message: response)
        }
    }

    /// `gongzhictl points report [--ledger L] [--month …|--from --to]`.
    struct Report: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a period's totals: issued, redeemed, expired; per team, partner type, rule and venue.",
            discussion: """
                The period is a calendar month (--month 2026-11), or days from --from through --to (China \
                Standard Time); the current month without them.

                Example:
                  gongzhictl points report --ledger volunteer --month 2025-11
                """
        )

        @Option(help: .ledgerFilter) var ledger: String?

        @OptionGroup var period: PeriodOptions

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func request(nowMs: Int64) throws(ControlError) -> Gongzhi_Points_V1_ReportRequest {
            let (fromMs, toMs) = try period.range(nowMs: nowMs)
            return Gongzhi_Points_V1_ReportRequest.with {
                $0.ledger = ledger ?? ""
                $0.fromMs = fromMs
                $0.toMs = toMs
            }
        }

        func run() async throws {
            let invocation = self.invocation
            let request = try self.request(nowMs: invocation.context.time().nowMs)
            let response = try await PointsCalls.call(invocation) { points, options in
                try await points.report(request, options: options)
            }
            invocation.print(human: { _ in PointsOutput.report(response) }, message: response)
        }
    }

    /// `gongzhictl points export [--ledger L] [--month …|--from --to] [--csv FILE]`.
    struct Export: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "Export a period's transfers as CSV, for the street's accounts.",
            discussion: """
                The CSV (UTF-8, a header line, RFC 4180 quoting) goes to standard output, or with --csv to \
                a file, written whole or not at all. (-o/--output is gongzhictl's output format, so the file \
                is --csv.) With -o json the answer is printed as JSON: the CSV and the count, or with --csv \
                the file and the count. The period is a calendar month (--month 2026-11), or days from --from \
                through --to (China Standard Time); the current month without them.

                Example:
                  gongzhictl points export --ledger volunteer --month 2025-11 \\
                    --csv volunteer-2025-11.csv
                  wrote 1,204 transfers to volunteer-2025-11.csv
                """
        )

        @Option(help: .ledgerFilter) var ledger: String?

        @OptionGroup var period: PeriodOptions

        @Option(
            help: ArgumentHelp("Write the CSV to this file instead of standard output.", valueName: "file"),
            completion: .file(extensions: ["csv"])
        )
        var csv: String?

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func validate() throws {
            if let csv, csv.isEmpty || csv == "-" {
                throw ValidationError("--csv needs a file name; leave it out to write to standard output")
            }
        }

        func request(nowMs: Int64) throws(ControlError) -> Gongzhi_Points_V1_ExportRequest {
            let (fromMs, toMs) = try period.range(nowMs: nowMs)
            return Gongzhi_Points_V1_ExportRequest.with {
                $0.ledger = ledger ?? ""
                $0.fromMs = fromMs
                $0.toMs = toMs
            }
        }

        func run() async throws {
            let invocation = self.invocation
            let request = try self.request(nowMs: invocation.context.time().nowMs)
            let response = try await PointsCalls.call(invocation) { points, options in
                try await points.export(request, options: options)
            }
            guard let csv else {
                invocation.print(human: { _ in response.csv }, message: response)
                return
            }
            try OutputFile.write(response.csv, to: csv)
            // The file's name quoted as JSON quotes a string; the count as a string, as int64 is in JSON.
            let file = (try? Google_Protobuf_Value(stringValue: csv).jsonString()) ?? "\"\""
            invocation.print(
                human: { _ in PointsOutput.exported(response, file: csv) },
                json: { "{\"file\":\(file),\"transfers\":\"\(response.transfers)\"}\n" }
            )
        }
    }

    /// `gongzhictl points verify`.
    struct Verify: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Recompute the ledger's hash chain and every balance; exits 1 naming the first that does not fit.",
            discussion: """
                Every transfer is chained to the one before it by SHA-256; the plugin recomputes the chain and \
                every account's balances from the transfers the host stores. Write the head down: a chain cut \
                short later ends at another head.

                Example:
                  gongzhictl points verify
                  ledger verified: 1,204 transfers, 388 accounts, head 9f2c…
                """
        )

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func run() async throws {
            let invocation = self.invocation
            let response = try await PointsCalls.call(invocation) { points, options in
                try await points.verify(Gongzhi_Points_V1_VerifyRequest(), options: options)
            }
            invocation.print(human: { _ in PointsOutput.verified(response) }, message: response)
            if !response.ok { throw ExitCode(ControlExitCode.failed) }
        }
    }

    /// `gongzhictl points status`.
    struct Status: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the ledger's figures and its integrations: which earning sources are live and which idle.",
            discussion: """
                Example:
                  gongzhictl points status
                """
        )

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func run() async throws {
            let invocation = self.invocation
            let response = try await PointsCalls.call(invocation) { points, options in
                try await points.status(Gongzhi_Points_V1_StatusRequest(), options: options)
            }
            invocation.print(human: { _ in PointsOutput.status(response) }, message: response)
        }
    }
}
