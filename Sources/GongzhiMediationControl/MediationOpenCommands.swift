import ArgumentParser
import GongzhiControl
import GongzhiDocuments
import GongzhiMediationSchemas

/// The parties of a new dispute: `--party` once for each, or `--parties-file`.
struct PartiesOptions: ParsableArguments {
    @Option(
        name: .customLong("party"),
        help: ArgumentHelp(
            "A party: ROLE:KIND:NAME[:ID[:PHONE]], ROLE applicant, respondent or other, KIND resident or "
                + "organization, ID their Resident's or Organization's id; repeat for each (p1, p2, … in order).",
            valueName: "party"
        ),
        transform: { text in try PartyArgument(parsing: text) }
    )
    var parties: [PartyArgument] = []

    @Option(
        help: ArgumentHelp(
            "The parties from a JSON list of Party (protobuf's JSON mapping; - for standard input), for "
                + "addresses, ID numbers and representatives.",
            valueName: "file"
        ),
        completion: .file()
    )
    var partiesFile: String?

    func validate() throws {
        if !parties.isEmpty && partiesFile != nil {
            throw ValidationError("give the parties with --party or with --parties-file, not both")
        }
    }

    /// Whether any party is given.
    var given: Bool { !parties.isEmpty || partiesFile != nil }

    /// The parties as given, the file read (before anything is sent); a file with fewer than `minimum` is
    /// refused.
    func read(context: ControlContext, minimum: Int) throws(ControlError) -> [Gongzhi_Mediation_V1_Party] {
        guard let partiesFile else { return parties.map(\.party) }
        let bytes = try DocumentReader.contents(of: partiesFile, context: context)
        let name = partiesFile == "-" ? "standard input" : partiesFile
        let read = try MediationJSONFile.parties(in: bytes, name: name)
        if read.count < minimum {
            throw ControlError(
                "\(name) holds \(read.count) part\(read.count == 1 ? "y" : "ies"); a dispute needs at least "
                    + "\(minimum)",
                exitCode: ControlExitCode.failed
            )
        }
        return read
    }
}

extension MediationCommand {
    /// `gongzhictl mediation apply --type T --place CODE --title TEXT --party … --party …`.
    struct Apply: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "Open a dispute (申请): a party's application, the committee's initiative, or a referral.",
            discussion: """
                The dispute lies in --place: its grid's 15-digit code when it is in a grid, else its \
                community's 12-digit code; the plugin fills in the community and the street. A referral from \
                the police or a court gives its reference with --referral; a grid case is handed over with \
                mediation hand-off. The facts and the narrative are personal data, shown only to those who \
                may see the dispute's personal data. With --key, running the same application again (e.g. \
                after a timeout) answers the dispute the first run opened.

                Example:
                  gongzhictl mediation apply --type neighbour --place 330106001001003 \\
                    --title 楼上漏水 --building B-12 --compound 西溪花园 \\
                    --facts "楼上卫生间漏水至楼下天花板" \\
                    --party applicant:resident:张伟:R0001:13800000001 \\
                    --party respondent:resident:李娜:R0002
                  Opened dispute MD-0a1b2c3d4e5f: 楼上漏水 (neighbour), applied in 330106001001003.
                  …
                """
        )

        @Option(help: ArgumentHelp("The kind of dispute.", valueName: "type"))
        var type: DisputeTypeArgument

        @Option(
            help: ArgumentHelp(
                "How it came: application (default), initiative (the committee's own), police or court.",
                valueName: "source"
            )
        )
        var source: DisputeSourceArgument = .application

        @Option(help: ArgumentHelp("The police's or the court's reference, for a referral.", valueName: "ref"))
        var referral: String?

        @Option(help: ArgumentHelp("The grid's (15 digits) or community's (12 digits) code.", valueName: "code"))
        var place: String

        @Option(help: ArgumentHelp("A short title anyone following it may read, e.g. 楼上漏水.", valueName: "text"))
        var title: String

        @Option(help: ArgumentHelp("Where it arose: the Building's id.", valueName: "id"))
        var building: String?

        @Option(help: ArgumentHelp("Where it arose: the compound (小区).", valueName: "name"))
        var compound: String?

        @Option(
            help: ArgumentHelp(
                "The committee that mediates: grid, community (default), street or above.",
                valueName: "level"
            )
        )
        var level: MediationLevelArgument?

        @Option(help: ArgumentHelp("The main facts (personal data).", valueName: "text"))
        var facts: String?

        @Option(help: ArgumentHelp("The parties' accounts of the dispute (personal data).", valueName: "text"))
        var narrative: String?

        @OptionGroup var parties: PartiesOptions

        @Option(
            help: ArgumentHelp(
                "An idempotency key: the same application again answers the first one's dispute (at most 128).",
                valueName: "key"
            )
        )
        var key: String?

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func validate() throws {
            if source == .gridCase {
                throw ValidationError(
                    "a grid case comes to mediation by hand-off: gongzhictl mediation hand-off CASE-ID --party …"
                )
            }
            if (source == .police || source == .court) && (referral ?? "").allSatisfy(\.isWhitespace) {
                throw ValidationError("a referral from the \(source.rawValue) needs its reference: --referral REF")
            }
            if source != .police && source != .court && referral != nil {
                throw ValidationError("--referral goes with --source police or --source court")
            }
            guard place.count == 12 || place.count == 15, place.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                throw ValidationError(
                    "--place \(place) is neither a grid's code (15 digits) nor a community's (12 digits)"
                )
            }
            if title.allSatisfy(\.isWhitespace) { throw ValidationError("--title needs a short title, e.g. 楼上漏水") }
            if !parties.given {
                throw ValidationError(
                    "name the parties: --party applicant:resident:NAME[:ID] --party respondent:resident:NAME[:ID], "
                        + "or --parties-file"
                )
            }
            let minimum = source == .initiative ? 1 : 2
            if parties.partiesFile == nil && parties.parties.count < minimum {
                throw ValidationError(
                    "a dispute needs at least two parties; give --party for each"
                        + (source == .application ? " (one of them the applicant)" : "")
                )
            }
            if let key, key.count > 128 {
                throw ValidationError("--key has \(key.count) characters; at most 128 are allowed")
            }
        }

        /// The request, with the parties given.
        func request(parties: [Gongzhi_Mediation_V1_Party]) -> Gongzhi_Mediation_V1_ApplyRequest {
            Gongzhi_Mediation_V1_ApplyRequest.with {
                $0.type = type.type
                $0.source = source.source
                $0.referralID = referral ?? ""
                $0.placeCode = place
                $0.buildingID = building ?? ""
                $0.compound = compound ?? ""
                $0.level = level?.level ?? .unspecified
                $0.title = title
                $0.facts = facts ?? ""
                $0.narrative = narrative ?? ""
                $0.parties = parties
                $0.idempotencyKey = key ?? ""
            }
        }

        func run() async throws {
            let invocation = self.invocation
            let minimum = source == .initiative ? 1 : 2
            let request = request(parties: try parties.read(context: invocation.context, minimum: minimum))
            let answer = try await MediationCalls.call(invocation) { connection in
                try await connection.call(
                    MediationCalls.Method.apply,
                    request,
                    answer: Gongzhi_Mediation_V1_Dispute.self
                )
            }
            MediationCalls.print(answer, invocation: invocation) { MediationOutput.opened(answer.message, time: $0) }
        }
    }

    /// `gongzhictl mediation hand-off CASE-ID --party … --party …`.
    struct HandOff: AdminCommand {
        static let configuration = CommandConfiguration(
            commandName: "hand-off",
            abstract:
                "Hand a grid case in a dispute category to mediation: it waits on the dispute and closes with it.",
            discussion: """
                The dispute takes the case's grid, category and description; a grid case does not name its \
                parties, so give them here. A case handed over before answers with the dispute it went to. On \
                a host without the grid module, open the dispute with mediation apply.

                Example:
                  gongzhictl mediation hand-off C1a2b3 --type neighbour \\
                    --party applicant:resident:张伟:R0001 --party respondent:resident:李娜:R0002
                """
        )

        @Argument(help: ArgumentHelp("The grid case's id, as grid list shows it.", valueName: "case-id"))
        var caseID: String

        @OptionGroup var parties: PartiesOptions

        @Option(help: ArgumentHelp("The kind of dispute (default: neighbour).", valueName: "type"))
        var type: DisputeTypeArgument?

        @Option(
            help: ArgumentHelp(
                "The committee that mediates: grid, community (default), street or above.",
                valueName: "level"
            )
        )
        var level: MediationLevelArgument?

        @Option(help: .note) var note: String?

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func validate() throws {
            if caseID.allSatisfy(\.isWhitespace) { throw ValidationError("the case id is empty; grid list shows them") }
            if !parties.given || (parties.partiesFile == nil && parties.parties.count < 2) {
                throw ValidationError(
                    "a grid case does not name its parties: give at least two, --party applicant:resident:NAME[:ID] "
                        + "--party respondent:resident:NAME[:ID]"
                )
            }
        }

        func request(parties: [Gongzhi_Mediation_V1_Party]) -> Gongzhi_Mediation_V1_HandOffRequest {
            Gongzhi_Mediation_V1_HandOffRequest.with {
                $0.caseID = caseID
                $0.parties = parties
                $0.type = type?.type ?? .unspecified
                $0.level = level?.level ?? .unspecified
                $0.note = note ?? ""
            }
        }

        func run() async throws {
            let invocation = self.invocation
            let request = request(parties: try parties.read(context: invocation.context, minimum: 2))
            let answer = try await MediationCalls.call(invocation) { connection in
                try await connection.call(
                    MediationCalls.Method.handOff,
                    request,
                    answer: Gongzhi_Mediation_V1_Dispute.self
                )
            }
            MediationCalls.print(answer, invocation: invocation) { MediationOutput.opened(answer.message, time: $0) }
        }
    }
}
