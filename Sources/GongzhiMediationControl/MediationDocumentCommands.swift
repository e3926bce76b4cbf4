import ArgumentParser
import GongzhiControl
import GongzhiDocuments
import GongzhiMediationSchemas
import SwiftProtobuf

/// `--out` of `print` and `package`: where the printable HTML goes.
struct DocumentOutOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The HTML file to write (- for standard output; default: the dispute's id and the document's name "
                + "in the current folder).",
            valueName: "file"
        ),
        completion: .file()
    )
    var out: String?

    func validate() throws {
        if let out, out.isEmpty { throw ValidationError("--out needs a file name, or - for standard output") }
    }
}

/// Where a document goes: a file, standard output, or (with `-o json` and no `--out`) nowhere, the answer itself
/// printed for the script.
enum DocumentTarget: Hashable, Sendable {
    case file(String)
    case standardOutput
    case answer

    /// `--out` as given; else with `-o json` the answer; else `suggested` when it is a plain file name in the
    /// current folder (the plugin does not choose where a file goes), else `fallback`.
    init(out: String?, format: OutputFormat, suggested: String, fallback: String) {
        switch out {
        case "-": self = .standardOutput
        case .some(let path): self = .file(path)
        case nil where format == .json: self = .answer
        case nil:
            let plain =
                !suggested.isEmpty && !suggested.hasPrefix(".") && !suggested.contains("/")
                && !suggested.contains("\\")
            self = .file(plain ? suggested : fallback)
        }
    }
}

extension MediationCommand {
    /// `gongzhictl mediation print ID [--out FILE]`.
    struct Print: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the agreement as a standard 人民调解协议书: printable HTML for the parties to sign.",
            discussion: """
                The agreement holds personal data: the plugin prints it only for a caller who may see the \
                dispute's personal data, and the file is readable by you alone (mode 0600). Open it in a \
                browser and print it. Without --out it is written to MD-…-agreement.html in the current \
                folder; --out - writes the HTML to standard output. With -o json and no --out, the answer \
                (the HTML and its file name) is printed instead.

                Example:
                  gongzhictl mediation print MD-0a1b2c3d4e5f --out 协议书.html
                  wrote the agreement of MD-0a1b2c3d4e5f (人民调解协议书) to 协议书.html: it holds personal data
                """
        )

        @OptionGroup var dispute: DisputeOptions
        @OptionGroup var document: DocumentOutOptions
        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func validate() throws {
            if document.out == "-" && options.output == .json {
                throw ValidationError("--out - writes the HTML to standard output; leave out -o json")
            }
        }

        var request: Gongzhi_Mediation_V1_PrintRequest {
            Gongzhi_Mediation_V1_PrintRequest.with { $0.disputeID = dispute.id }
        }

        func run() async throws {
            let invocation = self.invocation
            let request = self.request
            let answer = try await MediationCalls.call(invocation) { connection in
                try await connection.call(
                    MediationCalls.Method.print,
                    request,
                    answer: Gongzhi_Mediation_V1_PrintResponse.self
                )
            }
            try DocumentWriting.deliver(
                answer,
                html: answer.message.html,
                target: DocumentTarget(
                    out: document.out,
                    format: invocation.format,
                    suggested: answer.message.fileName,
                    fallback: "\(dispute.id)-agreement.html"
                ),
                invocation: invocation,
                disputeID: dispute.id,
                wrote: { file in
                    "wrote the agreement of \(dispute.id) (人民调解协议书) to \(file): it holds personal data\n"
                }
            )
        }
    }

    /// `gongzhictl mediation package ID --court NAME [--out FILE]`.
    struct Package: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the judicial confirmation package: the joint application and the agreement, and list "
                + "the parties' identities and addresses.",
            discussion: """
                For the parties to bring to the court within 30 days of the agreement taking effect (Art 33): \
                one printable HTML file with the joint application (司法确认申请书) and the agreement, each on \
                its own pages. It holds personal data: the plugin makes it only for a caller who may see the \
                dispute's personal data, and the file is readable by you alone (mode 0600). Refused before \
                the agreement takes effect and after the 30 days. Without --out it is written to \
                MD-…-confirmation.html in the current folder; --out - writes the HTML to standard output.

                Example:
                  gongzhictl mediation package MD-0a1b2c3d4e5f --court 杭州市西湖区人民法院
                """
        )

        @OptionGroup var dispute: DisputeOptions

        @Option(help: ArgumentHelp("The court the parties apply to.", valueName: "name"))
        var court: String

        @OptionGroup var document: DocumentOutOptions
        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func validate() throws {
            if court.allSatisfy(\.isWhitespace) { throw ValidationError("--court needs the court's name") }
            if document.out == "-" && options.output == .json {
                throw ValidationError("--out - writes the HTML to standard output; leave out -o json")
            }
        }

        var request: Gongzhi_Mediation_V1_ConfirmationPackageRequest {
            Gongzhi_Mediation_V1_ConfirmationPackageRequest.with {
                $0.disputeID = dispute.id
                $0.court = court
            }
        }

        func run() async throws {
            let invocation = self.invocation
            let request = self.request
            let answer = try await MediationCalls.call(invocation) { connection in
                try await connection.call(
                    MediationCalls.Method.confirmationPackage,
                    request,
                    answer: Gongzhi_Mediation_V1_ConfirmationPackageResponse.self
                )
            }
            let package = answer.message
            let html = PackageDocument.html(
                application: package.applicationHtml,
                agreement: package.agreementHtml,
                title: "司法确认申请材料 \(dispute.id)"
            )
            let time = invocation.context.time()
            try DocumentWriting.deliver(
                answer,
                html: html,
                target: DocumentTarget(
                    out: document.out,
                    format: invocation.format,
                    suggested: "",
                    fallback: "\(dispute.id)-confirmation.html"
                ),
                invocation: invocation,
                disputeID: dispute.id,
                wrote: { file in
                    MediationOutput.packaged(package, disputeID: dispute.id, file: file, court: court, time: time)
                }
            )
        }
    }
}

/// How `print` and `package` hand over their HTML.
enum DocumentWriting {
    /// Writes `html` where `target` says and tells people where it went; with `-o json`, prints the answer when
    /// no file was named, or the file's name once written.
    static func deliver<Message: SwiftProtobuf.Message>(
        _ answer: MediationAnswer<Message>,
        html: String,
        target: DocumentTarget,
        invocation: Invocation,
        disputeID: String,
        wrote: (String) -> String
    ) throws {
        if !answer.withheld.isEmpty {
            // The host removed what the caller may not read: a document without it would mislead.
            throw ControlError(
                "the host withheld the document's personal data (\(answer.withheld.joined(separator: ", "))): "
                    + "printing it needs a role that shows personal data where the dispute lies, such as mediator, "
                    + "or the personal-data grant",
                exitCode: ControlExitCode.permissionDenied
            )
        }
        switch target {
        case .standardOutput:
            invocation.context.writeOutput(html)
        case .answer:
            invocation.print(human: { _ in "" }, message: answer.message)
        case .file(let path):
            try DocumentFile.write(html, to: path)
            if invocation.format == .json {
                let json: JSONValue = .object([("file", .string(path)), ("dispute_id", .string(disputeID))])
                invocation.context.writeOutput(JSONText.compact(json) + "\n")
            } else {
                invocation.context.writeOutput(wrote(path))
            }
        }
    }
}
