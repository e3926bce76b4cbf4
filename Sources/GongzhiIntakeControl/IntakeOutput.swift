import GongzhiControl
import GongzhiHashing
import GongzhiIntakeSchemas
import GongzhiSensorsSchemas

/// What the intake commands print for people. Pure: the time comes in as a `TimeStyle` (its now and offset).
enum IntakeOutput {
    // MARK: Sources and counters

    static func sources(_ response: Gongzhi_Intake_V1_ListSourcesResponse, time: TimeStyle) -> String {
        guard !response.sources.isEmpty else { return "no sources are configured (INTAKE_SOURCES of the plugin)\n" }
        var out = TextLayout.table(
            header: ["NAME", "KIND", "ADDRESS", "STATE", "SINCE", "DETAIL"],
            rows: response.sources.map { s in
                let address = ([s.address] + s.topicFilters).filter { !$0.isEmpty }.joined(separator: " ")
                return [
                    s.name, kind(s.kind), text(address), state(s.state), time.relative(s.sinceMs), s.detail,
                ]
            }
        )
        let stopped = response.sources.filter { $0.state == .stopped || $0.state == .reconnecting }
        if !stopped.isEmpty {
            out +=
                "\n\(stopped.count) of \(response.sources.count) not connected: \(stopped.map(\.name).joined(separator: ", "))\n"
        }
        return out
    }

    /// The counters as a table, then the equation of each source with what is counted beside it.
    static func stats(_ response: Gongzhi_Intake_V1_StatsResponse, time: TimeStyle) -> String {
        guard !response.sources.isEmpty else { return "no sources are configured (INTAKE_SOURCES of the plugin)\n" }
        var out = TextLayout.table(
            header: [
                "SOURCE", "RECEIVED", "ACCEPTED", "DUPLICATES", "DEAD", "IN FLIGHT", "OLDEST", "REFUSED", "PAUSED",
                "RECONNECTS", "SESSIONS LOST",
            ],
            rows: response.sources.map { c in
                [
                    c.source, number(c.received), number(c.accepted), number(c.duplicates), number(c.deadLettered),
                    number(c.inFlight), c.inFlight == 0 ? "-" : time.relative(c.oldestInFlightMs), number(c.refused),
                    c.paused ? "yes (\(c.pauses))" : "no (\(c.pauses))", number(c.reconnects), number(c.sessionsLost),
                ]
            }
        )
        out += "\n"
        for c in response.sources {
            out += conservationLine(c) + "\n"
            var beside: [String] = []
            if c.refused > 0 {
                let reasons = c.refusedByReason.sorted { $0.key < $1.key }.map { "\($0.key) \(number($0.value))" }
                beside.append(
                    "refused before durable \(number(c.refused))"
                        + (reasons.isEmpty ? "" : " (\(reasons.joined(separator: ", ")))")
                )
            }
            if c.deadLettered > 0 || c.discarded > 0 {
                beside.append("of the dead-lettered, discarded \(number(c.discarded))")
            }
            if c.replayed > 0 { beside.append("replayed \(number(c.replayed))") }
            let outcomes = acceptedOutcomes(c)
            if !outcomes.isEmpty { beside.append("accepted as " + outcomes) }
            for line in beside { out += "    \(line)\n" }
        }
        out += "broker dropped \(number(response.brokerDropped)) (the broker's own count, every client)\n"
        return out
    }

    /// `hotline-12345: received 12 = accepted 10 + duplicates 1 + dead-lettered 1 + in flight 0`, as the plugin's
    /// ledger words it, with ` — DOES NOT BALANCE` when the sum is off.
    static func conservationLine(_ c: Gongzhi_Intake_V1_SourceCounters) -> String {
        conservationLine(
            c.source,
            received: c.received,
            accepted: c.accepted,
            duplicates: c.duplicates,
            deadLettered: c.deadLettered,
            inFlight: c.inFlight
        )
    }

    static func conservationLine(
        _ name: String,
        received: UInt64,
        accepted: UInt64,
        duplicates: UInt64,
        deadLettered: UInt64,
        inFlight: UInt64
    ) -> String {
        let sum = accepted &+ duplicates &+ deadLettered &+ inFlight
        return "\(name): received \(number(received)) = accepted \(number(accepted)) + duplicates "
            + "\(number(duplicates)) + dead-lettered \(number(deadLettered)) + in flight \(number(inFlight))"
            + (sum == received ? "" : " — DOES NOT BALANCE")
    }

    /// A warning for each source whose equation does not hold, for standard error.
    static func unbalanced(_ response: Gongzhi_Intake_V1_StatsResponse) -> String {
        var out = ""
        for c in response.sources {
            let sum = c.accepted &+ c.duplicates &+ c.deadLettered &+ c.inFlight
            guard sum != c.received else { continue }
            let gap = sum > c.received ? "\(number(sum - c.received)) more" : "\(number(c.received - sum)) fewer"
            out +=
                "warning: \(c.source)'s counters do not balance: the outcomes count \(gap) than received; inputs "
                + "may have been lost or counted twice (see the plugin's log: gongzhictl plugins logs intake)\n"
        }
        return out
    }

    private static func acceptedOutcomes(_ c: Gongzhi_Intake_V1_SourceCounters) -> String {
        let parts: [(String, UInt64)] = [
            ("readings stored", c.readingsStored), ("alerts", c.alerts), ("reports", c.reports),
            ("reports joined", c.reportsJoined), ("items", c.items), ("waiting for a person", c.waitingForPerson),
            ("dispatched to departments", c.dispatchedToDepartment), ("unlocated", c.unlocated),
        ]
        return parts.filter { $0.1 > 0 }.map { "\($0.0) \(number($0.1))" }.joined(separator: ", ")
    }

    // MARK: Items

    static func items(_ response: Gongzhi_Intake_V1_ListItemsResponse, time: TimeStyle) -> String {
        var out = ""
        if !response.items.isEmpty {
            out = TextLayout.table(
                header: ["ID", "STATE", "TYPE", "SOURCE", "CATEGORY", "GRID", "RECEIVED", "DESCRIPTION"],
                rows: response.items.map { i in
                    [
                        i.id, state(i.state), type(i.type), i.source,
                        text(i.categoryCode.isEmpty ? i.serviceCode : i.categoryCode),
                        text(i.gridCode), time.timestamp(i.receivedAtMs), short(i.description_p, 40),
                    ]
                }
            )
            out += "\n"
        }
        return out + footer(response.items.count, noun: "item", next: response.nextPageToken)
    }

    static func item(_ i: Gongzhi_Intake_V1_IntakeItem, time: TimeStyle) -> String {
        var fields: [(key: String, values: [String])] = [
            ("id", [i.id]),
            ("state", [state(i.state)]),
            ("type", [type(i.type)]),
            ("source", ["\(i.source) (\(kind(i.sourceKind)))"]),
            ("external id", [text(i.externalID)]),
            ("service request", [text(i.serviceRequestID) + (i.token.isEmpty ? "" : " (token \(i.token))")]),
            ("service code", [text(i.serviceCode)]),
            ("category", [text(i.categoryCode)]),
            ("description", [text(i.description_p)]),
            ("location", [i.hasLocation ? "\(i.location.latitude), \(i.location.longitude)" : "-"]),
            ("address", [text(i.address) + (i.addressID.isEmpty ? "" : " (building \(i.addressID))")]),
            ("grid", [place(i)]),
            ("requester", [requester(i.requester)]),
        ]
        if !i.attributes.isEmpty {
            fields.append(("attributes", i.attributes.map { "\($0.code) = \($0.values.joined(separator: ", "))" }))
        }
        if !i.media.isEmpty { fields.append(("media", i.media)) }
        if !i.caseID.isEmpty {
            fields.append(
                ("case", ["\(i.caseID)\(i.joinedOpenCase ? " (joined an open case)" : "")"])
            )
        }
        if !i.agency.isEmpty { fields.append(("agency", [i.agency])) }
        if !i.statusNotes.isEmpty { fields.append(("status notes", [i.statusNotes])) }
        if i.expectedAtMs != 0 { fields.append(("expected", [time.timestampAndRelative(i.expectedAtMs)])) }
        if !i.answer.isEmpty { fields.append(("answer", [i.answer])) }
        fields += [
            ("submitted by", [text(i.submittedBy)]),
            ("inbox sequence", [String(i.inboxSequence)]),
            ("received", [time.timestampAndRelative(i.receivedAtMs)]),
            ("updated", [time.timestampAndRelative(i.updatedAtMs)]),
        ]
        if i.closedAtMs != 0 { fields.append(("closed", [time.timestampAndRelative(i.closedAtMs)])) }
        return TextLayout.fields(fields) + history(i.history, time: time)
    }

    /// The item after answer, close or route: its last step and its state, `T…: routed, now in case (by 胡伟)`.
    static func stepped(_ i: Gongzhi_Intake_V1_IntakeItem) -> String {
        guard let last = i.history.last else { return "\(i.id): \(state(i.state))\n" }
        var line = "\(i.id): \(last.action), now \(state(i.state)) (by \(text(last.actor)))"
        if !last.note.isEmpty { line += ": \(last.note)" }
        var out = TextLayout.oneLine(line) + "\n"
        if !i.caseID.isEmpty && i.state == .inCase { out += "case: \(i.caseID)\n" }
        if !i.agency.isEmpty { out += "agency: \(i.agency)\n" }
        return out
    }

    static func history(_ events: [Gongzhi_Intake_V1_ItemEvent], time: TimeStyle) -> String {
        guard !events.isEmpty else { return "" }
        return "\nhistory:\n"
            + TextLayout.table(
                header: ["  AT", "ACTION", "BY", "NOTE"],
                rows: events.map { e in
                    ["  " + time.timestamp(e.atMs), e.action, text(e.actor.isEmpty ? e.principal : e.actor), e.note]
                }
            )
    }

    // MARK: Dead letters

    static func deadLetters(_ response: Gongzhi_Intake_V1_ListDeadLettersResponse, time: TimeStyle) -> String {
        var out = ""
        if !response.deadLetters.isEmpty {
            out = TextLayout.table(
                header: ["ID", "STATE", "SOURCE", "STAGE", "REASON", "ORIGIN", "DEAD", "WHY"],
                rows: response.deadLetters.map { d in
                    [
                        d.id, deadState(d.state), d.source, stage(d.stage), d.reasonCode, text(d.origin),
                        time.timestamp(d.deadAtMs), short(d.reason, 60),
                    ]
                }
            )
            out += "\n"
        }
        return out + footer(response.deadLetters.count, noun: "dead letter", next: response.nextPageToken)
    }

    static func deadLetter(_ d: Gongzhi_Intake_V1_DeadLetter, time: TimeStyle) -> String {
        var fields: [(key: String, values: [String])] = [
            ("id", [d.id]),
            ("state", [deadState(d.state)]),
            ("source", ["\(d.source) (\(kind(d.sourceKind)))"]),
            ("origin", [text(d.origin)]),
            ("stage", [stage(d.stage)]),
            ("reason", ["\(d.reasonCode): \(d.reason)"]),
            ("external id", [text(d.externalID)]),
            ("device", [text(d.deviceID)]),
            ("grid", [text(d.gridCode)]),
            ("inbox sequence", [String(d.inboxSequence)]),
            ("received", [time.timestampAndRelative(d.receivedAtMs)]),
            ("dead", [time.timestampAndRelative(d.deadAtMs)]),
            ("replays", [String(d.replays)]),
        ]
        if !d.outcome.isEmpty { fields.append(("outcome", [d.outcome])) }
        if !d.resolvedBy.isEmpty {
            fields.append(("resolved", ["by \(d.resolvedBy), \(time.timestampAndRelative(d.resolvedAtMs))"]))
        }
        if !d.discardReason.isEmpty { fields.append(("discarded for", [d.discardReason])) }
        fields += [
            ("content type", [text(d.contentType)]),
            (
                "size",
                [
                    "\(number(d.rawSize)) bytes"
                        + (d.rawTruncated ? ", the first \(number(UInt64(d.raw.count))) kept" : "")
                ]
            ),
            ("sha256", [text(d.rawSha256)]),
        ]
        var out = TextLayout.fields(fields)
        out += "\nraw:\n" + raw(d)
        return out + history(d.history, time: time)
    }

    /// The raw input as text when it is UTF-8 (indented, line by line), else in hex, 32 bytes a line; what the
    /// host withheld says so.
    static func raw(_ d: Gongzhi_Intake_V1_DeadLetter) -> String {
        guard !d.raw.isEmpty else {
            return d.rawSize == 0
                ? "  (empty)\n" : "  withheld (it is personal data: it needs the personal-data grant)\n"
        }
        let bytes = [UInt8](d.raw)
        if let text = String(validating: bytes, as: UTF8.self),
            !text.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\n" && $0 != "\r" && $0 != "\t" })
        {
            var out = ""
            for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
                var line = Substring(line)
                if line.last == "\r" { line = line.dropLast() }
                out += "  " + line.replacingTabs() + "\n"
            }
            return out + (d.rawTruncated ? "  … (truncated)\n" : "")
        }
        var out = "  (not UTF-8 text; in hex)\n"
        var offset = 0
        while offset < bytes.count {
            let row = bytes[offset..<min(bytes.count, offset + 32)]
            out += "  \(hexString(Array(row)))\n"
            offset += 32
        }
        return out + (d.rawTruncated ? "  … (truncated)\n" : "")
    }

    static func replayed(_ response: Gongzhi_Intake_V1_ReplayDeadLettersResponse, dryRun: Bool) -> String {
        guard !response.outcomes.isEmpty else { return "no dead letters matched: nothing to replay\n" }
        var out = TextLayout.table(
            header: ["ID", dryRun ? "WOULD" : "OUTCOME", "OK"],
            rows: response.outcomes.map { [$0.id, $0.outcome, $0.succeeded ? "yes" : "no"] }
        )
        let succeeded = response.outcomes.filter(\.succeeded).count
        let failed = response.outcomes.count - succeeded
        out +=
            dryRun
            ? "\ndry run: \(succeeded) would succeed, \(failed) would stay dead; nothing was changed\n"
            : "\nreplayed \(response.outcomes.count): \(succeeded) succeeded, \(failed) dead again\n"
        return out
    }

    static func discarded(_ response: Gongzhi_Intake_V1_DiscardDeadLettersResponse) -> String {
        let ids = response.deadLetters.map(\.id)
        return "discarded \(ids.count) dead letter\(ids.count == 1 ? "" : "s"): \(ids.joined(separator: ", ")) "
            + "(they stay counted as dead-lettered)\n"
    }

    // MARK: Devices and readings

    static func devices(_ devices: [Gongzhi_Intake_V1_SensorDevice], time: TimeStyle) -> String {
        guard !devices.isEmpty else { return "no devices\n" }
        return TextLayout.table(
            header: [
                "ID", "KINDS", "NAME", "GRID", "COMMUNITY", "LOCATION", "GATEWAY", "VENDOR", "ACTIVE", "REGISTERED",
            ],
            rows: devices.map { d in
                [
                    d.id, d.kinds.joined(separator: ","), text(d.name), text(d.gridCode), text(d.communityCode),
                    d.hasLocation ? "\(d.location.latitude), \(d.location.longitude)" : "-", text(d.gatewayID),
                    text(d.vendor), d.active ? "yes" : "no", time.timestamp(d.registeredAtMs),
                ]
            }
        ) + "\n\(devices.count) device\(devices.count == 1 ? "" : "s")\n"
    }

    static func put(_ response: Gongzhi_Intake_V1_PutDevicesResponse, time: TimeStyle) -> String {
        let unlocated = response.devices.filter { $0.gridCode.isEmpty }.map(\.id)
        var out = "registered \(response.devices.count) device\(response.devices.count == 1 ? "" : "s")\n"
        if !unlocated.isEmpty {
            out += "not in any grid: \(unlocated.joined(separator: ", ")) (their readings will be dead letters)\n"
        }
        return out + "\n" + devices(response.devices, time: time)
    }

    static func readings(_ readings: [Gongzhi_Sensors_V1_Reading], time: TimeStyle) -> String {
        guard !readings.isEmpty else { return "no readings\n" }
        return TextLayout.table(
            header: ["DEVICE", "KIND", "VALUE", "AT", "AGE"],
            rows: readings.map { r in
                [r.deviceID, r.kind, value(r.value), time.timestamp(r.timeUnixMs), time.relative(r.timeUnixMs)]
            }
        ) + "\n\(readings.count) reading\(readings.count == 1 ? "" : "s")\n"
    }

    // MARK: Words

    static func kind(_ kind: Gongzhi_Intake_V1_SourceKind) -> String {
        switch kind {
        case .mqtt: "mqtt"
        case .open311: "open311"
        case .file: "file"
        default: "-"
        }
    }

    static func state(_ state: Gongzhi_Intake_V1_SourceState) -> String {
        switch state {
        case .connected: "connected"
        case .paused: "paused"
        case .reconnecting: "reconnecting"
        case .stopped: "stopped"
        default: "-"
        }
    }

    static func state(_ state: Gongzhi_Intake_V1_ItemState) -> String {
        ItemStateArgument(state)?.rawValue ?? "-"
    }

    static func type(_ type: Gongzhi_Intake_V1_ItemType) -> String {
        ItemTypeArgument(type)?.rawValue ?? "-"
    }

    static func deadState(_ state: Gongzhi_Intake_V1_DeadLetterState) -> String {
        DeadLetterStateArgument(state)?.rawValue ?? "-"
    }

    static func stage(_ stage: Gongzhi_Intake_V1_Stage) -> String {
        StageArgument(stage)?.rawValue ?? "-"
    }

    static func requester(_ r: Gongzhi_Intake_V1_Requester) -> String {
        let parts = [r.name, r.phone, r.email].filter { !$0.isEmpty }
        return parts.isEmpty ? "-" : parts.joined(separator: ", ")
    }

    static func place(_ i: Gongzhi_Intake_V1_IntakeItem) -> String {
        guard !i.gridCode.isEmpty else { return "not located" }
        let above = [i.communityCode, i.streetCode].filter { !$0.isEmpty }
        return i.gridCode + (above.isEmpty ? "" : " (in \(above.joined(separator: ", ")))")
    }

    /// `30,000`.
    static func number(_ value: UInt64) -> String {
        value <= UInt64(Int.max) ? TextLayout.grouped(Int(value)) : String(value)
    }

    /// A reading's value without a needless `.0`.
    static func value(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)
    }

    static func text(_ value: String) -> String { value.isEmpty ? "-" : value }

    static func short(_ value: String, _ limit: Int) -> String {
        let line = TextLayout.oneLine(value)
        guard line.count > limit else { return text(line) }
        return String(line.prefix(limit - 1)) + "…"
    }

    static func footer(_ count: Int, noun: String, next: String) -> String {
        let counted = count == 0 ? "no \(noun)s" : "\(count) \(noun)\(count == 1 ? "" : "s")"
        return next.isEmpty ? "\(counted)\n" : "\(counted); more with --page \(next)\n"
    }
}

extension Substring {
    fileprivate func replacingTabs() -> String {
        String(self.map { $0 == "\t" ? " " : $0 })
    }
}
