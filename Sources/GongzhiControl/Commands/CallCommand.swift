import ArgumentParser
import GongzhiDocuments
import GongzhiRPC
import GongzhiSchemas

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension GongzhiControl {
    /// `gongzhictl call SERVICE/METHOD -d JSON`.
    struct Call: AdminCommand {
        static let access = HostAccess.administration
        static let configuration = CommandConfiguration(
            abstract: "Call any method of any service the host serves, with the request and answers in JSON.",
            discussion: """
                Works for every module, a third party's too, without code of its own: the request is written \
                in protobuf's JSON mapping and encoded with the descriptors the service's plugin registered \
                with the host (gongzhictl services, gongzhictl describe service NAME show them). Fields may be \
                named as in the .proto (posted_by) or in lowerCamelCase (postedBy); 64-bit integers as numbers \
                or strings; enums by name or number; bytes in base64; google.protobuf.Timestamp as \
                "2025-11-21T15:00:00Z", Duration as "1.5s", wrappers as their bare value, Struct and Value as \
                any JSON, Any as {"@type": "type.googleapis.com/NAME", ...}. Without -d or -f the request is \
                empty ({}).

                The answer is printed in the same mapping, with the .proto's field names (--json-names: \
                lowerCamelCase), fields holding their default left out, and 64-bit integers as strings. For \
                people a unary answer is indented JSON; a server-streaming method's answers come one JSON \
                document a line as they arrive, until the stream ends or Ctrl-C; -o json prints every answer \
                on one line, -o yaml as YAML documents. A client-streaming or bidirectional method takes its \
                requests as several JSON documents (one a line, say) from -d or -f, sends them all and then \
                ends its side of the stream; the answers print as they come. Notes go to standard error: \
                personal data the host withheld (its gongzhi-redacted-fields metadata), and fields of the \
                answer that the descriptors do not define (left out).

                call always calls the admin socket, also while you are logged in (gongzhictl login): it reads \
                the service's descriptors with the Admin service, which only admin.sock serves. To make the \
                call for a person, give --as PERSON; the host then decides it by that person's roles and \
                places.

                Exit codes: 2 for a request that is not JSON or does not fit the method's message (the field \
                path is named, and nothing is sent); 4 for an unknown service or method, or a NOT_FOUND \
                answer; 1 for other refusals and failures, with the plugin's message.
                """
        )

        @Argument(
            help: ArgumentHelp(
                "The method: SERVICE/METHOD, e.g. gongzhi.grid.v1.GridService/Locate (or the end of the "
                    + "service's name when only one service ends so: NoticeBoard/List).",
                valueName: "service/method"
            )
        )
        var target: String

        @Option(
            name: [.customShort("d"), .customLong("data")],
            help: ArgumentHelp(
                "The request in JSON, e.g. '{\"point\": {\"longitude\": 120.1455, \"latitude\": 30.276}}'.",
                valueName: "json"
            )
        )
        var data: String?

        @Option(
            name: [.customShort("f"), .customLong("filename")],
            help: ArgumentHelp("A file holding the request in JSON; - for standard input.", valueName: "file"),
            completion: .file(extensions: ["json", "jsonl", "ndjson"])
        )
        var file: String?

        @Flag(
            help: "Print the answer's fields in lowerCamelCase (protobuf's JSON names), not as the .proto names them."
        )
        var jsonNames = false

        @Option(
            help: ArgumentHelp(
                "Give up after this many seconds (default: 10 for a unary or client-streaming call, no limit "
                    + "for a stream of answers).",
                valueName: "seconds"
            )
        )
        var timeout: Double?

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func validate() throws {
            if data != nil && file != nil {
                throw ValidationError("give the request with -d or with -f, not both")
            }
            if let timeout, !(timeout > 0 && timeout <= 31_536_000) {
                throw ValidationError("--timeout must be a number of seconds above 0 (at most a year)")
            }
            _ = try CallTarget(target)
        }

        func run() async throws {
            let invocation = self.invocation
            let target = try CallTarget(target)
            let requests = try readRequests(context: invocation.context)
            try await invocation.withHost { client in
                let admin = Gongzhi_Host_V1_AdminClient(channel: client)
                let service = try await HostedService.find(
                    target.service,
                    admin: admin,
                    options: invocation.callOptions
                )
                let method = try service.method(target.method)
                let (input, output) = try service.messageTypes(of: method)
                let pool = try service.requirePool()
                let kind = method.kind.rpcKind ?? .unary
                let payloads = try encode(requests, as: input, pool: pool, method: method)
                var printer = AnswerPrinter(
                    context: invocation.context,
                    format: invocation.format,
                    decoder: BinaryToJSON(pool: pool, jsonNames: jsonNames),
                    messageName: output,
                    streaming: kind == .serverStreaming || kind == .bidirectionalStreaming
                )
                let answersOnce = kind == .unary || kind == .clientStreaming
                let limit: Duration? =
                    timeout.map { Duration.milliseconds(Int64($0 * 1000)) }
                    ?? (answersOnce ? Invocation.callTimeout : nil)
                let call = MethodCall(
                    channel: client,
                    service: service.name,
                    method: method.name,
                    kind: kind,
                    timeout: limit
                )
                do {
                    try await call.run(payloads, printer: &printer)
                } catch let error as ControlError {
                    throw error
                } catch {
                    // The admin socket's own check passed (ListServices answered): a refusal now is the plugin's.
                    let rpc = RPCError(wrapping: error)
                    if rpc.code == .permissionDenied {
                        throw ControlError(
                            "permission denied: \(rpc.message.isEmpty ? "the plugin refused the call" : rpc.message)",
                            exitCode: ControlExitCode.permissionDenied
                        )
                    }
                    throw ControlError(
                        callingPlugin: PluginService(name: service.name, plugin: service.info.plugin),
                        at: invocation.adminSocketPath,
                        failedWith: error
                    )
                }
            }
        }

        /// The JSON documents of -d or -f, each with where it stands (none without either).
        private func readRequests(context: ControlContext) throws(ControlError) -> RequestText {
            let name: String
            let bytes: [UInt8]
            if let data {
                (name, bytes) = ("-d", Array(data.utf8))
            } else if let file {
                (name, bytes) = (
                    file == "-" ? "standard input" : file, try DocumentReader.contents(of: file, context: context)
                )
            } else {
                return RequestText(source: "", values: [], multiline: false)
            }
            do {
                let values = try JSONText.values(in: bytes)
                return RequestText(source: name, values: values, multiline: bytes.contains(UInt8(ascii: "\n")))
            } catch {
                let place = name == "-d" ? "-d" : "\(name), line \(error.line)"
                throw ControlError(
                    "the request is not JSON (\(place), column \(error.column)): \(error.problem)",
                    exitCode: ControlExitCode.usage
                )
            }
        }

        /// Each request in protobuf's binary form; a unary or server-streaming method takes one (an empty one
        /// when none is given).
        private func encode(
            _ requests: RequestText,
            as input: String,
            pool: DescriptorPool,
            method: Gongzhi_Host_V1_MethodDescription
        ) throws(ControlError) -> [Data] {
            let kind = method.kind.rpcKind ?? .unary
            let takesOne = kind == .unary || kind == .serverStreaming
            if takesOne && requests.values.count > 1 {
                throw ControlError(
                    "\(method.name) is a \(method.kind.words) method and takes one request, but \(requests.source) "
                        + "holds \(requests.values.count) JSON documents",
                    exitCode: ControlExitCode.usage
                )
            }
            if takesOne && requests.values.isEmpty { return [Data()] }
            let encoder = JSONToBinary(pool: pool)
            var payloads: [Data] = []
            for (index, value) in requests.values.enumerated() {
                do {
                    payloads.append(Data(try encoder.encode(value, messageName: input)))
                } catch {
                    var places: [String] = []
                    if requests.values.count > 1 { places.append("request \(index + 1)") }
                    if requests.multiline, let line = error.line {
                        places.append(requests.source == "-d" ? "line \(line)" : "\(requests.source), line \(line)")
                    }
                    throw ControlError(
                        "the request is not a valid \(input): \(error)"
                            + (places.isEmpty ? "" : " (\(places.joined(separator: ", ")))"),
                        exitCode: ControlExitCode.usage
                    )
                }
            }
            return payloads
        }
    }
}

/// `SERVICE/METHOD`, or `SERVICE.METHOD` as grpcurl also takes it.
struct CallTarget: Sendable, Equatable {
    var service: String
    var method: String

    init(_ text: String) throws(ValidationError) {
        let separator = text.lastIndex(of: "/") ?? text.lastIndex(of: ".")
        guard let separator, separator != text.startIndex, separator != text.index(before: text.endIndex) else {
            throw ValidationError(
                "name the method as SERVICE/METHOD, e.g. gongzhi.grid.v1.GridService/Locate, not \"\(text)\" "
                    + "(gongzhictl services lists the services)"
            )
        }
        service = String(text[..<separator])
        method = String(text[text.index(after: separator)...])
    }
}

/// The requests as read, and where from, for messages.
struct RequestText: Sendable {
    /// `-d`, `standard input` or the file's name.
    var source: String
    var values: [SourceValue]
    /// Whether lines are worth naming in messages.
    var multiline: Bool
}

/// One call of a method on serialized messages, in whichever of the four shapes it has.
struct MethodCall: Sendable {
    let channel: any RPCClientChannel
    let service: String
    let method: String
    let kind: RPCKind
    let timeout: Duration?

    /// Sends the requests and prints every answer as it comes.
    func run(_ payloads: [Data], printer: inout AnswerPrinter) async throws {
        let options = CallOptions(timeout: timeout)
        switch kind {
        case .unary:
            let response = try await channel.unary(
                service: service,
                method: method,
                payload: payloads.first ?? Data(),
                options: options
            )
            try printer.print(response.payload)
            printer.noteWithheld(response.metadata)
        case .serverStreaming:
            let stream = try await channel.openStream(
                service: service,
                method: method,
                kind: kind,
                payload: payloads.first ?? Data(),
                options: options
            )
            defer { stream.cancel() }
            for try await payload in stream.responses { try printer.print(payload) }
            printer.noteWithheld(try await stream.finalResponse().metadata)
        case .clientStreaming:
            let stream = try await channel.openStream(
                service: service,
                method: method,
                kind: kind,
                payload: Data(),
                options: options
            )
            defer { stream.cancel() }
            for payload in payloads { try await stream.send(payload) }
            try await stream.closeSend()
            let response = try await stream.finalResponse()
            try printer.print(response.payload)
            printer.noteWithheld(response.metadata)
        case .bidirectionalStreaming:
            let stream = try await channel.openStream(
                service: service,
                method: method,
                kind: kind,
                payload: Data(),
                options: options
            )
            defer { stream.cancel() }
            // The requests go out while the answers are read, so that a server answering each at once never
            // waits on a reader that is still sending.
            let sending = Task {
                for payload in payloads { try await stream.send(payload) }
                try await stream.closeSend()
            }
            do {
                for try await payload in stream.responses { try printer.print(payload) }
                try await sending.value
            } catch {
                sending.cancel()
                throw error
            }
            printer.noteWithheld(try await stream.finalResponse().metadata)
        }
    }
}
