import GongzhiPointsSchemas
import SwiftProtobuf

/// The files that load X社区's points exchange with `gongzhictl`, as `Deploy/samples/load.sh` runs them:
///
/// - `ledgers.commands`, then `load.commands`: gongzhictl's arguments, one command a line, separated by tabs,
///   run in order from the folder (files are named relative to it);
/// - `accounts.json`: the CreateAccounts request that opens every account the history needs;
/// - `history.json`: the imported transfers, for `gongzhictl points transfers --file`;
/// - `balances.tsv`: every account's balance and available points once everything is loaded.
extension XCommunityPoints {
    /// A file's name and its bytes.
    struct File {
        var name: String
        var bytes: [UInt8]
    }

    func files() throws -> [File] {
        [
            File(name: "ledgers.commands", bytes: Self.commands(ledgerCommands())),
            File(name: "load.commands", bytes: Self.commands(loadCommands())),
            File(name: "accounts.json", bytes: try Self.list("accounts", accounts)),
            File(name: "history.json", bytes: try Self.list("transfers", history)),
            File(name: "balances.tsv", bytes: balanceTable()),
        ]
    }

    /// Creates the ledgers: the volunteer ledger's creation time decides the history's days.
    func ledgerCommands() -> [[String]] {
        Plan.ledgers.map { ledger in
            [
                "points", "ledger", "create", ledger.code, "--name", ledger.name, "--lot-months",
                String(ledger.lotMonths),
            ]
        }
    }

    /// Everything else, in order: rules, the supermarket, the accounts, the history, then the opening day's
    /// service records and the redemption held at the counter.
    func loadCommands() -> [[String]] {
        var commands: [[String]] = []
        for rule in Plan.rules {
            var command = [
                "points", "rules", "put", rule.code, "--ledger", rule.ledger, "--name", rule.name, "--source",
                rule.source, "--points", String(rule.points),
            ]
            if rule.perHour { command.append("--per-hour") }
            if rule.monthlyCap > 0 { command += ["--cap", String(rule.monthlyCap), "--per", "month"] }
            if !rule.evidence.isEmpty { command += ["--evidence", rule.evidence] }
            if !rule.description.isEmpty { command += ["--description", rule.description] }
            if rule.includeAcceptable { command.append("--include-acceptable") }
            commands.append(command)
        }
        commands.append([
            "points", "venues", "put", Plan.venue.id, "--name", Plan.venue.name, "--community",
            XCommunityPlan.communityCode, "--address", Plan.venue.address, "--opening-hours", Plan.venue.openingHours,
        ])
        for good in Plan.goods {
            var command = [
                "points", "goods", "put", good.id, "--venue", Plan.venue.id, "--name", good.name, "--price",
                String(good.price), "--stock", String(good.stock), "--unit", good.unit, "--ledger",
                Plan.volunteerLedger,
            ]
            if good.minimumBalance > 0 { command += ["--minimum-balance", String(good.minimumBalance)] }
            commands.append(command)
        }
        commands.append(["call", "gongzhi.points.v1.Points/CreateAccounts", "-f", "accounts.json", "-o", "json"])
        commands.append(["points", "transfers", "--file", "history.json"])
        for record in records {
            commands.append([
                "points", "records", "add", "--rule", Plan.volunteerHour, "--resident", record.holder.id, "--team",
                "P-team-" + Codes.pad(Plan.serviceTeam + 1, width: 2), "--minutes", String(record.minutes),
                "--served-at", Self.isoMinute(record.servedAtMs), "--description", record.description, "--evidence",
                record.evidence, "--id", record.id, "--as", record.recordedBy,
            ])
            switch record.decision {
            case .confirmed:
                commands.append(["points", "records", "confirm", record.id, "--as", Plan.staffMember])
            case .rejected(let reason):
                commands.append([
                    "points", "records", "reject", record.id, "--reason", reason, "--as", Plan.staffMember,
                ])
            case .waiting:
                break
            }
        }
        if let held = heldRedemption {
            commands.append([
                "points", "redeem", held.holder.account(Plan.volunteerLedger), held.good.id, "--id", held.id,
                "--note", held.note, "--as", Plan.clerk,
            ])
        }
        return commands
    }

    /// `account  holder  balance  available`, a header and a line an account, in the order of their ids.
    func balanceTable() -> [UInt8] {
        let names = Dictionary(uniqueKeysWithValues: accounts.map { ($0.id, $0.holderName) })
        var text = "account\tholder\tbalance\tavailable\n"
        for id in balances.keys.sorted() {
            let balance = balances[id]!
            text += "\(id)\t\(names[id] ?? "")\t\(balance.balance)\t\(balance.available)\n"
        }
        return Array(text.utf8)
    }

    /// One command a line, its arguments separated by tabs.
    static func commands(_ commands: [[String]]) -> [UInt8] {
        var text = ""
        for command in commands {
            for argument in command {
                precondition(
                    !argument.isEmpty && !argument.contains("\t") && !argument.contains("\n"),
                    "an argument of \(command) cannot be written on a tab-separated line"
                )
            }
            text += command.joined(separator: "\t") + "\n"
        }
        return Array(text.utf8)
    }

    /// `{"NAME": [` and the messages in protobuf's JSON mapping with the .proto's field names, one a line.
    static func list(_ name: String, _ messages: [some SwiftProtobuf.Message]) throws -> [UInt8] {
        var options = JSONEncodingOptions()
        options.preserveProtoFieldNames = true
        var bytes = Array("{\"\(name)\": [\n".utf8)
        for (index, message) in messages.enumerated() {
            bytes += try message.jsonString(options: options).utf8
            bytes += Array((index + 1 < messages.count ? ",\n" : "\n").utf8)
        }
        bytes += Array("]}\n".utf8)
        return bytes
    }

    // MARK: - Summary

    /// What the sample holds, in numbers, for `--summary`.
    func summary() -> String {
        func row(_ name: String, _ value: String) -> String {
            name + String(repeating: " ", count: max(1, 30 - name.count))
                + String(repeating: " ", count: max(0, 7 - value.count)) + value
        }
        var lines = [
            "\(XCommunityPlan.communityName) (\(XCommunityPlan.communityCode)) points exchange (积分兑换), opened "
                + "\(Self.isoDay(openedAtMs)): synthetic sample data",
            "history: \(Self.isoDay(historyStartMs)) to \(Self.isoDay(openingDayMs - Self.dayMs)), imported",
            "",
            row("ledgers", String(Plan.ledgers.count)),
            row("earning rules", String(Plan.rules.count)),
            row("venues", "1"),
            row("goods", String(Plan.goods.count)),
            row("accounts opened", String(accounts.count)),
            row("imported transfers", String(history.count)),
        ]
        var codes: [String] = []
        var counts: [String: Int] = [:]
        var amounts: [String: Int64] = [:]
        for transfer in history {
            if counts[transfer.code] == nil { codes.append(transfer.code) }
            counts[transfer.code, default: 0] += 1
            amounts[transfer.code, default: 0] += transfer.amount
        }
        for code in codes.sorted() {
            lines.append(row("  \(code)", String(counts[code]!)) + "  (\(amounts[code]!) points)")
        }
        let credited = records.filter { if case .confirmed = $0.decision { true } else { false } }.count
        let rejected = records.filter { if case .rejected = $0.decision { true } else { false } }.count
        lines += [
            row("service records", String(records.count))
                + "  (\(credited) credited, \(records.count - credited - rejected) waiting, \(rejected) rejected)",
            row("held redemptions", heldRedemption == nil ? "0" : "1"),
            "",
            "people of the README's walk (person, resident, name, balance after the load)",
        ]
        for (person, holder) in [(leaderPerson, leader), (volunteerPerson, volunteer)] {
            let balance = balances[holder.account(Plan.volunteerLedger)]?.balance ?? 0
            lines.append("\(person)  \(holder.id)  \(holder.name)  \(balance)")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
