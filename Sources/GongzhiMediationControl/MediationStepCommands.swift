import ArgumentParser
import GongzhiControl
import GongzhiMediationSchemas

extension MediationCommand {
    /// `gongzhictl mediation accept ID --consent p1 --consent p2`.
    struct Accept: DisputeStepCommand {
        static let configuration = CommandConfiguration(
            abstract: "Accept (受理) a dispute with every party's answer: the month to mediate starts.",
            discussion: """
                Mediation needs the consent of every party (Art 17): give each party's answer, --consent for \
                one who agrees and --refuse for one who does not. A party who refuses ends the dispute \
                (refused); it may not be mediated.

                Examples:
                  gongzhictl mediation accept MD-0a1b2c3d4e5f --consent p1 --consent p2
                  MD-0a1b2c3d4e5f: accept, applied → accepted (by 李强)
                  next: mediation to finish by 2025-12-21 (in 30d 1h)
                  gongzhictl mediation accept MD-0a1b2c3d4e5f --consent p1 --refuse p2 \\
                    --reason 不愿调解
                """
        )

        @OptionGroup var dispute: DisputeOptions

        @Option(
            name: .customLong("consent"),
            help: ArgumentHelp("A party who consents to mediation (p1, p2, …); repeat for each.", valueName: "party")
        )
        var consenting: [String] = []

        @Option(
            name: .customLong("refuse"),
            help: ArgumentHelp("A party who does not consent; the dispute ends (refused).", valueName: "party")
        )
        var refusing: [String] = []

        @Option(
            help: ArgumentHelp(
                "Why the refusing party refuses, kept with their answer (personal data).",
                valueName: "text"
            )
        )
        var reason: String?

        @Option(help: .note) var note: String?

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func validate() throws {
            if consenting.isEmpty && refusing.isEmpty {
                throw ValidationError("give every party's answer: --consent p1 --consent p2 (or --refuse p2)")
            }
            try PartyIDs.checkDistinct(consenting + refusing, option: "--consent and --refuse", each: "answer")
            if reason != nil && refusing.isEmpty {
                throw ValidationError("--reason is the refusing party's reason: it goes with --refuse PARTY")
            }
        }

        var request: Gongzhi_Mediation_V1_AcceptRequest {
            Gongzhi_Mediation_V1_AcceptRequest.with {
                $0.disputeID = dispute.id
                $0.consents =
                    consenting.map { id in
                        .with {
                            $0.partyID = id
                            $0.consents = true
                        }
                    }
                    + refusing.map { id in
                        .with {
                            $0.partyID = id
                            $0.consents = false
                            $0.note = reason ?? ""
                        }
                    }
                $0.note = note ?? ""
            }
        }

        func send(
            _ connection: MediationConnection,
            invocation: Invocation
        ) async throws -> MediationAnswer<Gongzhi_Mediation_V1_Dispute> {
            try await connection.call(MediationCalls.Method.accept, request)
        }
    }

    /// `gongzhictl mediation decline ID --reason TEXT`.
    struct Decline: DisputeStepCommand {
        static let configuration = CommandConfiguration(
            abstract: "Decline (不予受理) a dispute the committee may not mediate, with the reason; this is final.",
            discussion: """
                Example:
                  gongzhictl mediation decline MD-0a1b2c3d4e5f --reason "已起诉至法院"
                """
        )

        @OptionGroup var dispute: DisputeOptions

        @Option(help: ArgumentHelp("Why the committee declines it (personal data).", valueName: "text"))
        var reason: String

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func validate() throws {
            if reason.allSatisfy(\.isWhitespace) { throw ValidationError("--reason needs the reason for declining") }
        }

        var request: Gongzhi_Mediation_V1_DeclineRequest {
            Gongzhi_Mediation_V1_DeclineRequest.with {
                $0.disputeID = dispute.id
                $0.reason = reason
            }
        }

        func send(
            _ connection: MediationConnection,
            invocation: Invocation
        ) async throws -> MediationAnswer<Gongzhi_Mediation_V1_Dispute> {
            try await connection.call(MediationCalls.Method.decline, request)
        }
    }

    /// `gongzhictl mediation refuse ID --party p2`.
    struct Refuse: DisputeStepCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record that a party refuses mediation or asks to end it (Art 23): refused; this is final.",
            discussion: """
                Example:
                  gongzhictl mediation refuse MD-0a1b2c3d4e5f --party p2 --reason 要求终止调解
                """
        )

        @OptionGroup var dispute: DisputeOptions

        @Option(help: ArgumentHelp("The party who refuses (p1, p2, …).", valueName: "party"))
        var party: String

        @Option(help: ArgumentHelp("Why (personal data).", valueName: "text"))
        var reason: String?

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func validate() throws {
            if party.allSatisfy(\.isWhitespace) { throw ValidationError("--party needs the party's id, e.g. p2") }
        }

        var request: Gongzhi_Mediation_V1_RefuseRequest {
            Gongzhi_Mediation_V1_RefuseRequest.with {
                $0.disputeID = dispute.id
                $0.partyID = party
                $0.reason = reason ?? ""
            }
        }

        func send(
            _ connection: MediationConnection,
            invocation: Invocation
        ) async throws -> MediationAnswer<Gongzhi_Mediation_V1_Dispute> {
            try await connection.call(MediationCalls.Method.refuse, request)
        }
    }

    /// `gongzhictl mediation assign ID --mediator PERSON [--chosen-by p1]`.
    struct Assign: DisputeStepCommand {
        static let configuration = CommandConfiguration(
            abstract: "Assign mediators (Art 19): by the committee, or chosen by the parties (--chosen-by).",
            discussion: """
                A mediator is a person bound to the role mediator (or street-admin) for the dispute's place, \
                by id or name. One who is a party, lives in a party's household or belongs to a party's \
                organisation is refused, naming why. Without --chosen-by the committee assigns them (指定); \
                with it, the parties named chose them (选择).

                Examples:
                  gongzhictl mediation assign MD-0a1b2c3d4e5f --mediator wang-xiuying
                  gongzhictl mediation assign MD-0a1b2c3d4e5f --mediator 王秀英 \\
                    --chosen-by p1 --chosen-by p2
                """
        )

        @OptionGroup var dispute: DisputeOptions

        @Option(
            name: .customLong("mediator"),
            help: ArgumentHelp("A mediator, by Person id or name; repeat for more.", valueName: "person")
        )
        var mediators: [String] = []

        @Option(
            name: .customLong("chosen-by"),
            help: ArgumentHelp("A party who chose the mediators (p1, p2, …); repeat for each.", valueName: "party")
        )
        var chosenBy: [String] = []

        @Option(help: .note) var note: String?

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func validate() throws {
            if mediators.isEmpty { throw ValidationError("name the mediators: --mediator PERSON (an id or a name)") }
            try PartyIDs.checkDistinct(mediators, option: "--mediator", each: "mediator", example: "wang-xiuying")
            try PartyIDs.checkDistinct(chosenBy, option: "--chosen-by", each: "party")
        }

        /// The request, with the mediators as the Person ids they were found as.
        func request(mediatorIDs: [String]? = nil) -> Gongzhi_Mediation_V1_AssignMediatorsRequest {
            Gongzhi_Mediation_V1_AssignMediatorsRequest.with {
                $0.disputeID = dispute.id
                $0.mediators = (mediatorIDs ?? mediators).map { id in
                    .with {
                        $0.personID = id
                        $0.appointment = chosenBy.isEmpty ? .assigned : .chosen
                        $0.chosenByPartyIds = chosenBy
                    }
                }
                $0.note = note ?? ""
            }
        }

        func send(
            _ connection: MediationConnection,
            invocation: Invocation
        ) async throws -> MediationAnswer<Gongzhi_Mediation_V1_Dispute> {
            var ids: [String] = []
            for typed in mediators { ids.append(try await connection.personID(typed, option: "--mediator")) }
            return try await connection.call(MediationCalls.Method.assignMediators, request(mediatorIDs: ids))
        }
    }

    /// `gongzhictl mediation session ID --mediator PERSON --party p1 --party p2 --record-file notes.txt`.
    struct Session: DisputeStepCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record a mediation session and its record (笔录), held by an assigned mediator.",
            discussion: """
                The record is personal data; give it with --record, or --record-file for a file (- for \
                standard input). Sessions are numbered 1, 2, … in the order recorded.

                Example:
                  gongzhictl mediation session MD-0a1b2c3d4e5f --mediator wang-xiuying \\
                    --party p1 --party p2 --location 社区调解室 --at 2025-11-21T14:00 \\
                    --record-file notes.txt
                """
        )

        @OptionGroup var dispute: DisputeOptions

        @Option(
            name: .customLong("mediator"),
            help: ArgumentHelp("A mediator who held it, by Person id or name; repeat for more.", valueName: "person")
        )
        var mediators: [String] = []

        @Option(
            name: .customLong("party"),
            help: ArgumentHelp("A party present (p1, p2, …); repeat for each.", valueName: "party")
        )
        var parties: [String] = []

        @Option(help: ArgumentHelp("Where it was held, e.g. 社区调解室.", valueName: "place"))
        var location: String?

        @Option(help: ArgumentHelp("The record (笔录), as text (personal data).", valueName: "text"))
        var record: String?

        @Option(
            help: ArgumentHelp("The record from a UTF-8 text file (- for standard input).", valueName: "file"),
            completion: .file()
        )
        var recordFile: String?

        @Option(help: ArgumentHelp("Who recorded it (记录人), by Person id or name.", valueName: "person"))
        var recorder: String?

        @Option(help: .at("it was held"), transform: { text in try MediationTime(parsing: text) })
        var at: MediationTime?

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func validate() throws {
            if mediators.isEmpty {
                throw ValidationError("name who held it: --mediator PERSON (an assigned mediator, by id or name)")
            }
            switch (record, recordFile) {
            case (nil, nil):
                throw ValidationError("give the session's record (笔录): --record TEXT or --record-file FILE")
            case (.some, .some):
                throw ValidationError("give the record with --record or with --record-file, not both")
            case (.some(let text), nil) where text.allSatisfy(\.isWhitespace):
                throw ValidationError("--record is empty; give the session's record (笔录)")
            default:
                break
            }
            try PartyIDs.checkDistinct(parties, option: "--party", each: "party")
        }

        /// The request with `record` as the session's record and the people as the ids they were found as.
        func request(
            record: String,
            mediatorIDs: [String]? = nil,
            recorderID: String? = nil
        ) -> Gongzhi_Mediation_V1_RecordSessionRequest {
            Gongzhi_Mediation_V1_RecordSessionRequest.with {
                $0.disputeID = dispute.id
                $0.session = .with {
                    $0.heldAtMs = at?.milliseconds ?? 0
                    $0.mediatorIds = mediatorIDs ?? mediators
                    $0.partyIds = parties
                    $0.location = location ?? ""
                    $0.record = record
                    $0.recorderID = recorderID ?? recorder ?? ""
                }
            }
        }

        /// The record as given, the file read.
        func recordText(context: ControlContext) throws(ControlError) -> String {
            guard let recordFile else { return record ?? "" }
            let bytes = try DocumentReader.contents(of: recordFile, context: context)
            guard let text = String(validating: bytes, as: UTF8.self) else {
                throw ControlError("\(recordFile) is not UTF-8 text", exitCode: ControlExitCode.failed)
            }
            if text.allSatisfy(\.isWhitespace) {
                throw ControlError(
                    "\(recordFile) is empty; it should hold the session's record",
                    exitCode: ControlExitCode.failed
                )
            }
            return text
        }

        func send(
            _ connection: MediationConnection,
            invocation: Invocation
        ) async throws -> MediationAnswer<Gongzhi_Mediation_V1_Dispute> {
            let text = try recordText(context: invocation.context)
            var ids: [String] = []
            for typed in mediators { ids.append(try await connection.personID(typed, option: "--mediator")) }
            var recorderID: String?
            if let recorder { recorderID = try await connection.personID(recorder, option: "--recorder") }
            return try await connection.call(
                MediationCalls.Method.recordSession,
                request(record: text, mediatorIDs: ids, recorderID: recorderID)
            )
        }
    }

    /// `gongzhictl mediation extend ID --days N --consent p1 --consent p2`.
    struct Extend: DisputeStepCommand {
        static let configuration = CommandConfiguration(
            abstract: "Extend the month to mediate by some days, with every party's consent.",
            discussion: """
                Each extension adds 1 to 90 days and needs every party's consent.

                Example:
                  gongzhictl mediation extend MD-0a1b2c3d4e5f --days 15 \\
                    --consent p1 --consent p2 --reason 等待维修鉴定
                """
        )

        @OptionGroup var dispute: DisputeOptions

        @Option(help: ArgumentHelp("How many days to add, 1 to 90.", valueName: "n"))
        var days: Int

        @Option(
            name: .customLong("consent"),
            help: ArgumentHelp("A party who consents (p1, p2, …); repeat for every party.", valueName: "party")
        )
        var consenting: [String] = []

        @Option(help: ArgumentHelp("Why (personal data).", valueName: "text"))
        var reason: String?

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func validate() throws {
            if !(1...90).contains(days) { throw ValidationError("--days adds 1 to 90 days; \(days) given") }
            if consenting.isEmpty {
                throw ValidationError("an extension needs every party's consent: --consent p1 --consent p2")
            }
            try PartyIDs.checkDistinct(consenting, option: "--consent", each: "party")
        }

        var request: Gongzhi_Mediation_V1_ExtendRequest {
            Gongzhi_Mediation_V1_ExtendRequest.with {
                $0.disputeID = dispute.id
                $0.days = UInt32(days)
                $0.consentingPartyIds = consenting
                $0.reason = reason ?? ""
            }
        }

        func send(
            _ connection: MediationConnection,
            invocation: Invocation
        ) async throws -> MediationAnswer<Gongzhi_Mediation_V1_Dispute> {
            try await connection.call(MediationCalls.Method.extend, request)
        }
    }

    /// `gongzhictl mediation fail ID --reason TEXT --route judicial --told p1 --told p2`.
    struct Fail: DisputeStepCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record that mediation failed (调解不成), with the routes every party was told of (Art 26).",
            discussion: """
                Name each route the parties were told of (arbitration, administrative, judicial) and every \
                party told. An agreement in effect fails only after a court refused to confirm it.

                Example:
                  gongzhictl mediation fail MD-0a1b2c3d4e5f --reason "双方分歧过大" \\
                    --route judicial --route arbitration --told p1 --told p2
                """
        )

        @OptionGroup var dispute: DisputeOptions

        @Option(help: ArgumentHelp("Why mediation failed (personal data).", valueName: "text"))
        var reason: String

        @Option(
            name: .customLong("route"),
            help: ArgumentHelp(
                "A route the parties were told of: arbitration, administrative or judicial; repeat for each.",
                valueName: "route"
            )
        )
        var routes: [RouteArgument] = []

        @Option(
            name: .customLong("told"),
            help: ArgumentHelp("A party told of the routes (p1, p2, …); repeat for every party.", valueName: "party")
        )
        var told: [String] = []

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func validate() throws {
            if reason.allSatisfy(\.isWhitespace) { throw ValidationError("--reason needs why mediation failed") }
            if routes.isEmpty {
                throw ValidationError(
                    "record the routes the parties were told of (Art 26): --route judicial, --route arbitration or "
                        + "--route administrative"
                )
            }
            if Set(routes).count != routes.count { throw ValidationError("a --route is given twice") }
            if told.isEmpty { throw ValidationError("name every party told of the routes: --told p1 --told p2") }
            try PartyIDs.checkDistinct(told, option: "--told", each: "party")
        }

        var request: Gongzhi_Mediation_V1_FailRequest {
            Gongzhi_Mediation_V1_FailRequest.with {
                $0.disputeID = dispute.id
                $0.reason = reason
                $0.routes = routes.map(\.route)
                $0.toldPartyIds = told
            }
        }

        func send(
            _ connection: MediationConnection,
            invocation: Invocation
        ) async throws -> MediationAnswer<Gongzhi_Mediation_V1_Dispute> {
            try await connection.call(MediationCalls.Method.fail, request)
        }
    }
}

/// Checks of the party ids and people a step names.
enum PartyIDs {
    /// Refuses an empty value, and one given twice.
    static func checkDistinct(_ values: [String], option: String, each: String, example: String = "p1") throws {
        if values.contains(where: { $0.allSatisfy(\.isWhitespace) }) {
            throw ValidationError("\(option) needs a value, e.g. \(example)")
        }
        var seen: Set<String> = []
        for value in values where !seen.insert(value).inserted {
            throw ValidationError("\(value) is given twice with \(option): give each \(each) once")
        }
    }
}
