import ArgumentParser
import GongzhiMediationSchemas

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `gongzhi-samples`: writes sample districts' objects as JSON lines for `gongzhictl apply -f`.
struct GongzhiSamples: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gongzhi-samples",
        abstract: "Write a sample community's objects as JSON lines for `gongzhictl apply -f`.",
        discussion: """
            Every name, identity number, phone number and place in the data is synthetic, and the data are the \
            same bytes on every run.
            """,
        subcommands: [XCommunityCommand.self, XCommunityPointsCommand.self, XCommunityMediationCommand.self]
    )
}

struct XCommunityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "x-community",
        abstract: "X社区 of 示例区示例街道: 7,191 households, 21,235 residents, 1,192 volunteers, 24 people.",
        discussion: """
            One JSON object a line: {"kind", "id", "parent", "labels", "data"}, where data is the kind's \
            gongzhi.core.v1 message in proto3 JSON. Parents come before their children, and the staff (kind \
            Person) before their role bindings (kind RoleBinding, to built-in roles).
            """
    )

    @Option(name: .shortAndLong, help: "Where to write the objects ('-', the default, for standard output).")
    var output: String?

    @Flag(
        help: """
            Print the number of objects of each kind and other counts. Without --output, the objects are not \
            written; with --output -, the counts go to standard error.
            """
    )
    var summary = false

    func run() throws {
        let community = XCommunity()
        let documents = community.documents()
        let destination = output ?? "-"
        let writesObjects = !summary || output != nil
        if writesObjects {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(24 << 20)
            for document in documents {
                try document.write(to: &bytes)
            }
            try Output.write(bytes, to: destination)
        }
        if summary {
            let text = community.summary(of: documents)
            if writesObjects && destination == "-" {
                Output.standardError(text)
            } else {
                try Output.write(Array(text.utf8), to: "-")
            }
        }
    }
}

struct XCommunityPointsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "x-community-points",
        abstract: "X社区's points exchange: ledgers, rules, a points supermarket, and a month of history.",
        discussion: """
            Writes the files that Deploy/samples/load.sh loads with gongzhictl after the community \
            (x-community): ledgers.commands and load.commands (gongzhictl's arguments, one command a line, \
            separated by tabs, run in order from the folder), accounts.json (a CreateAccounts request), \
            history.json (imported transfers for gongzhictl points transfers --file) and balances.tsv (every \
            account's balance and available points once all is loaded). The history covers the 30 days before \
            the day (in China Standard Time) the volunteer ledger was opened; the same --opened-at gives the \
            same bytes.
            """
    )

    @Option(
        help: ArgumentHelp(
            "When the volunteer ledger was opened, in milliseconds since the epoch (its created_at_ms). "
                + "Default: 2026-12-01 09:00 China Standard Time.",
            valueName: "ms"
        )
    )
    var openedAt: Int64 = 1_796_086_800_000

    @Option(name: .shortAndLong, help: ArgumentHelp("The folder to write the files into.", valueName: "folder"))
    var output: String?

    @Flag(help: "Print what the sample holds, in numbers (to standard error when the files are written).")
    var summary = false

    func validate() throws {
        if output == nil && !summary { throw ValidationError("say where to write the files: --output FOLDER") }
        if openedAt <= 0 { throw ValidationError("--opened-at is a time in milliseconds since the epoch") }
    }

    func run() throws {
        let points = XCommunityPoints(community: XCommunity(), openedAtMs: openedAt)
        if let output {
            if mkdir(output, 0o755) != 0 && errno != EEXIST {
                throw Output.Failure(description: "cannot make \(output): \(String(cString: strerror(errno)))")
            }
            for file in try points.files() {
                try Output.write(file.bytes, to: output + "/" + file.name)
            }
        }
        if summary {
            if output != nil {
                Output.standardError(points.summary())
            } else {
                try Output.write(Array(points.summary().utf8), to: "-")
            }
        }
    }
}

struct XCommunityMediationCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "x-community-mediation",
        abstract: "X社区's people's mediation committee: its part-time mediators and eight disputes in every state.",
        discussion: """
            Writes the files that Deploy/samples/load.sh loads with gongzhictl after the community (x-community): \
            mediators.jsonl (people bound as mediator, for gongzhictl apply -f), applications.commands and \
            steps.commands (gongzhictl's arguments, one command a line, separated by tabs, run in order from the \
            folder), the parties-NN.json and agreement-NN.json they read, and disputes.tsv (each dispute, its \
            parties and the state it is left in). Give the plugin's answers with --disputes and the commands are \
            those still to run: applications for the disputes the host does not hold (found by their keys, \
            x-mediation-01 …), and the steps their histories do not hold yet, with their ids. The README's dispute \
            (x-mediation-01, 楼上漏水) is applied for and goes no further. The same --at gives the same bytes.
            """
    )

    @Option(
        help: ArgumentHelp(
            "When the sample is loaded, in milliseconds since the epoch: the agreements' deadlines count from its "
                + "day. Default: 2026-12-01 09:00 China Standard Time.",
            valueName: "ms"
        )
    )
    var at: Int64 = 1_796_086_800_000

    @Option(name: .shortAndLong, help: ArgumentHelp("The folder to write the files into.", valueName: "folder"))
    var output: String?

    @Option(
        help: ArgumentHelp(
            "A file of the mediation plugin's answers in JSON, one a line (ListDisputes, or a dispute as apply "
                + "prints it with -o json): the disputes the host holds. Repeat for more files.",
            valueName: "file"
        )
    )
    var disputes: [String] = []

    @Flag(help: "Print the mediators and the disputes (to standard error when the files are written).")
    var summary = false

    func validate() throws {
        if output == nil && !summary { throw ValidationError("say where to write the files: --output FOLDER") }
        if at <= 0 { throw ValidationError("--at is a time in milliseconds since the epoch") }
    }

    func run() throws {
        let mediation = XCommunityMediation(community: XCommunity(), atMs: at)
        if let output {
            var known: [Gongzhi_Mediation_V1_Dispute] = []
            for path in disputes {
                known += try XCommunityMediation.known(fromJSONLines: try Input.text(of: path), name: path)
            }
            let files = try mediation.files(known: known)
            if mkdir(output, 0o755) != 0 && errno != EEXIST {
                throw Output.Failure(description: "cannot make \(output): \(String(cString: strerror(errno)))")
            }
            for file in files {
                try Output.write(file.bytes, to: output + "/" + file.name)
            }
        }
        if summary {
            if output != nil {
                Output.standardError(mediation.summary())
            } else {
                try Output.write(Array(mediation.summary().utf8), to: "-")
            }
        }
    }
}

enum Input {
    /// The text of the file at `path`, read whole.
    static func text(of path: String) throws -> String {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw Output.Failure(description: "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { systemRead(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw Output.Failure(description: "cannot read \(path): \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            bytes += buffer[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

enum Output {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Writes `bytes` to the file at `path`, replacing it, or to standard output for "-".
    static func write(_ bytes: [UInt8], to path: String) throws {
        let name = path == "-" ? "standard output" : path
        let descriptor = path == "-" ? 1 : open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else {
            throw Failure(description: "cannot open \(name): \(String(cString: strerror(errno)))")
        }
        defer { if descriptor != 1 { close(descriptor) } }
        try write(bytes[...], to: descriptor, name: name)
    }

    static func standardError(_ text: String) {
        try? write(Array(text.utf8)[...], to: 2, name: "standard error")
    }

    private static func write(_ bytes: ArraySlice<UInt8>, to descriptor: Int32, name: String) throws {
        var offset = bytes.startIndex
        while offset < bytes.endIndex {
            let written = bytes[offset...].withUnsafeBytes { buffer in
                systemWrite(descriptor, buffer.baseAddress, buffer.count)
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw Failure(description: "cannot write \(name): \(String(cString: strerror(errno)))")
            }
            offset += written
        }
    }
}

#if canImport(Darwin)
private let systemWrite = Darwin.write
private let systemRead = Darwin.read
#elseif canImport(Musl)
private let systemWrite = Musl.write
private let systemRead = Musl.read
#else
private let systemWrite = Glibc.write
private let systemRead = Glibc.read
#endif

GongzhiSamples.main()
