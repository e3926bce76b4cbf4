import ArgumentParser
import GongzhiControl
import GongzhiDocuments
import GongzhiMediationSchemas

/// `draft --file` and `check --file`: the agreement in protobuf's JSON mapping of Agreement.
struct AgreementFileOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The agreement as JSON (protobuf's mapping of Agreement; - for standard input). An obligation's "
                + "deadline may be \"deadline\": \"2026-12-31\", its last day.",
            valueName: "file"
        ),
        completion: .file()
    )
    var file: String

    /// The agreement, read before anything is sent.
    func read(context: ControlContext) throws(ControlError) -> Gongzhi_Mediation_V1_Agreement {
        let bytes = try DocumentReader.contents(of: file, context: context)
        return try MediationJSONFile.agreement(in: bytes, name: file == "-" ? "standard input" : file)
    }
}

extension MediationCommand {
    /// `gongzhictl mediation draft ID --file agreement.json`.
    struct Draft: DisputeStepCommand {
        static let configuration = CommandConfiguration(
            abstract: "Draft the agreement (人民调解协议书) after a session: it is checked, then signed and sealed.",
            discussion: """
                The file holds the agreement in protobuf's JSON mapping: the parties bound (party_ids), the \
                main facts, the disputed matters, each party's responsibilities, the terms, and for every \
                obligation who owes it (party_id), what (content), how (method) and by when (deadline_ms, or \
                "deadline": "2026-12-31" for its last day). The checker refuses an agreement that lacks any \
                of these, or whose matter a court will not confirm (identity, adoption, marriage), naming \
                every problem; mediation check runs it without storing. A new draft clears the signatures \
                and the seal.

                Example:
                  gongzhictl mediation draft MD-0a1b2c3d4e5f --file agreement.json
                """
        )

        @OptionGroup var dispute: DisputeOptions
        @OptionGroup var agreement: AgreementFileOptions
        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func request(_ agreement: Gongzhi_Mediation_V1_Agreement) -> Gongzhi_Mediation_V1_DraftAgreementRequest {
            Gongzhi_Mediation_V1_DraftAgreementRequest.with {
                $0.disputeID = dispute.id
                $0.agreement = agreement
            }
        }

        func send(
            _ connection: MediationConnection,
            invocation: Invocation
        ) async throws -> MediationAnswer<Gongzhi_Mediation_V1_Dispute> {
            let read = try agreement.read(context: invocation.context)
            return try await connection.call(MediationCalls.Method.draftAgreement, request(read))
        }
    }

    /// `gongzhictl mediation check ID --file agreement.json`.
    struct Check: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check an agreement without storing it: every problem the checker finds, or none.",
            discussion: """
                Exits 1 when the checker finds a problem, so that a draft is fixed in one pass before it is \
                stored with mediation draft.

                Example:
                  gongzhictl mediation check MD-0a1b2c3d4e5f --file agreement.json
                  the checker found 2 problems:
                    - the parties' responsibilities (各方当事人的责任) are missing
                    - obligation o1 has no method of performance (履行方式)
                  error: the agreement cannot be signed as it is: 2 problems (listed above)
                """
        )

        @OptionGroup var dispute: DisputeOptions
        @OptionGroup var agreement: AgreementFileOptions
        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func request(_ agreement: Gongzhi_Mediation_V1_Agreement) -> Gongzhi_Mediation_V1_CheckAgreementRequest {
            Gongzhi_Mediation_V1_CheckAgreementRequest.with {
                $0.disputeID = dispute.id
                $0.agreement = agreement
            }
        }

        func run() async throws {
            let invocation = self.invocation
            let request = request(try agreement.read(context: invocation.context))
            let answer = try await MediationCalls.call(invocation) { connection in
                try await connection.call(
                    MediationCalls.Method.checkAgreement,
                    request,
                    answer: Gongzhi_Mediation_V1_CheckAgreementResponse.self
                )
            }
            MediationCalls.print(answer, invocation: invocation) { _ in MediationOutput.checked(answer.message) }
            let count = answer.message.problems.count
            if count > 0 {
                throw ControlError(
                    "the agreement cannot be signed as it is: \(count) problem\(count == 1 ? "" : "s") "
                        + (invocation.format == .table ? "(listed above)" : "(see problems)"),
                    exitCode: ControlExitCode.failed
                )
            }
        }
    }

    /// `gongzhictl mediation sign ID --party p1 | --mediator PERSON`.
    struct Sign: DisputeStepCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record a signature on the drafted agreement: a party's, or an assigned mediator's.",
            discussion: """
                A party signs, seals or leaves a fingerprint (签名、盖章或者按指印); a mediator signs. With \
                every party's and a mediator's signature and the committee's seal the agreement takes effect \
                (agreed) and the 30 days to apply for judicial confirmation start.

                Examples:
                  gongzhictl mediation sign MD-0a1b2c3d4e5f --party p1
                  gongzhictl mediation sign MD-0a1b2c3d4e5f --mediator wang-xiuying
                """
        )

        @OptionGroup var dispute: DisputeOptions

        @Option(help: ArgumentHelp("The party who signs (p1, p2, …).", valueName: "party"))
        var party: String?

        @Option(help: ArgumentHelp("The mediator who signs, by Person id or name.", valueName: "person"))
        var mediator: String?

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func validate() throws {
            switch (party, mediator) {
            case (nil, nil): throw ValidationError("say who signs: --party p1, or --mediator PERSON")
            case (.some, .some): throw ValidationError("one signature at a time: give --party or --mediator, not both")
            case (.some(let id), nil) where id.allSatisfy(\.isWhitespace):
                throw ValidationError("--party needs the party's id, e.g. p1")
            case (nil, .some(let id)) where id.allSatisfy(\.isWhitespace):
                throw ValidationError("--mediator needs the mediator's id or name")
            default: break
            }
        }

        /// The request, with the mediator as the Person id they were found as.
        func request(mediatorID: String? = nil) -> Gongzhi_Mediation_V1_SignRequest {
            Gongzhi_Mediation_V1_SignRequest.with {
                $0.disputeID = dispute.id
                if let party {
                    $0.role = .party
                    $0.signerID = party
                } else {
                    $0.role = .mediator
                    $0.signerID = mediatorID ?? mediator ?? ""
                }
            }
        }

        func send(
            _ connection: MediationConnection,
            invocation: Invocation
        ) async throws -> MediationAnswer<Gongzhi_Mediation_V1_Dispute> {
            var mediatorID: String?
            if let mediator { mediatorID = try await connection.personID(mediator, option: "--mediator") }
            return try await connection.call(MediationCalls.Method.sign, request(mediatorID: mediatorID))
        }
    }

    /// `gongzhictl mediation seal ID --number "(2026)某调字第12号"`.
    struct Seal: DisputeStepCommand {
        static let configuration = CommandConfiguration(
            abstract: "Seal the drafted agreement with the committee's seal (人民调解委员会印章), numbering it.",
            discussion: """
                Example:
                  gongzhictl mediation seal MD-0a1b2c3d4e5f --number "(2025)西溪调字第12号"
                """
        )

        @OptionGroup var dispute: DisputeOptions

        @Option(
            help: ArgumentHelp("The document's number the committee gives it (printed on it).", valueName: "number")
        )
        var number: String?

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func validate() throws {
            if let number, number.allSatisfy(\.isWhitespace) {
                throw ValidationError("--number needs the agreement's number, e.g. \"(2026)某调字第12号\"")
            }
        }

        var request: Gongzhi_Mediation_V1_SealRequest {
            Gongzhi_Mediation_V1_SealRequest.with {
                $0.disputeID = dispute.id
                $0.number = number ?? ""
            }
        }

        func send(
            _ connection: MediationConnection,
            invocation: Invocation
        ) async throws -> MediationAnswer<Gongzhi_Mediation_V1_Dispute> {
            try await connection.call(MediationCalls.Method.seal, request)
        }
    }
}
