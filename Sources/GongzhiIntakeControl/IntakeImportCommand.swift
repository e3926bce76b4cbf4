import ArgumentParser
import GongzhiControl
import GongzhiIntake
import GongzhiIntakeSchemas
import GongzhiRPC

extension IntakeCommand {
    /// `gongzhictl intake import FILE --source NAME [--import-id ID] [--format F] [--encoding E] [--no-wait]`.
    struct Import: AdminCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Import a department's CSV or JSON lines file into a file source.",
            discussion: """
                The file is read as a stream, never whole: a UTF-8 byte order mark is dropped, and it is split \
                into whole records (a CSV record may span lines inside quotes; JSON lines, .jsonl or .ndjson, \
                are one record a line), each with the line it starts on, which dead letters name. The records \
                go to the plugin over the Import stream in chunks of at most 1,000 records or 1 MiB, the first \
                with the CSV header; each chunk is answered once it is durable, and at most two are sent ahead \
                of the answers. A record whose quote is never closed is still sent, for the plugin to keep as \
                a dead letter with its line. On a terminal, progress is shown on standard error.

                At the end it waits until none of the import's records is in flight (--timeout, default 10m; \
                --no-wait does not), and prints the import's conservation line:
                  tickets.csv: received 50,000 = accepted 49,870 + duplicates 100 + dead-lettered 30 + in flight 0

                The import's id defaults to a hash of the source's name and the file's content, so that running \
                the same file again is recognised and counts nothing twice; --import-id names it yourself (to \
                resume an import of a file that has since grown, for example). Excel's exports on Chinese \
                Windows are GB18030 (GBK): read them with --encoding gb18030.

                Examples:
                  gongzhictl intake import 城管导出.csv --source urban-management
                  gongzhictl intake import tickets.jsonl --source hotline-files --no-wait
                  gongzhictl intake import 导出.csv --source urban-management --encoding gb18030

                Exits 1 when the file cannot be read (nothing is sent), when the plugin refuses the import, \
                or when records are still in flight at the timeout.
                """
        )

        @Argument(help: ArgumentHelp("The file to import.", valueName: "file"), completion: .file())
        var file: String

        @Option(
            help: ArgumentHelp("The file source to import into (its name, as sources lists it).", valueName: "name")
        )
        var source: String

        @Option(
            name: .customLong("import-id"),
            help: ArgumentHelp(
                "The import's id (default: a hash of the source and the file's content).",
                valueName: "id"
            )
        )
        var importID: String?

        @Option(
            help: ArgumentHelp(
                "csv or jsonl (default: by the file's name; .jsonl and .ndjson are jsonl).",
                valueName: "format"
            )
        )
        var format: ImportFormatArgument?

        @Option(help: ArgumentHelp("utf-8 (the default) or gb18030.", valueName: "encoding"))
        var encoding: ImportEncodingArgument = .utf8

        @Flag(help: "Do not wait for the records in flight; print the line as the last answer left it.")
        var noWait = false

        @Option(
            help: ArgumentHelp(
                "How long to wait for the records in flight: 90s, 10m, 1h (default 10m).",
                valueName: "time"
            ),
            transform: { text in try WaitDuration(parsing: text) }
        )
        var timeout: WaitDuration?

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func validate() throws {
            if source.allSatisfy(\.isWhitespace) {
                throw ValidationError("--source needs a file source's name; gongzhictl intake sources lists them")
            }
            if let importID {
                guard !importID.isEmpty, importID.utf8.count <= 128,
                    importID.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F })
                else {
                    throw ValidationError("--import-id takes 1 to 128 characters without spaces")
                }
            }
            if noWait && timeout != nil { throw ValidationError("--timeout is for waiting; leave out --no-wait") }
        }

        func run() async throws {
            let invocation = self.invocation
            let format = self.format ?? ImportFormatArgument(fileName: file)
            let importFile = ImportFile(path: file, format: format == .csv ? .csv : .lines, encoding: encoding)
            let survey = try importFile.survey(source: source)
            guard survey.records > (format == .csv ? 1 : 0) else {
                throw ControlError(
                    survey.records == 0
                        ? "\(file) holds no records" : "\(file) holds its header line alone: no records to import",
                    exitCode: ControlExitCode.failed
                )
            }
            if let line = survey.unclosedQuoteLine {
                invocation.context.writeError(
                    "note: \(file) line \(line) opens a quote that is never closed: the rest of the file goes as one "
                        + "record, which the plugin keeps as a dead letter\n"
                )
            }
            let name = file.split(separator: "/").last.map(String.init) ?? file
            let session = ImportSession(
                file: importFile,
                chunker: ImportChunker(
                    source: source,
                    fileName: name,
                    importID: importID ?? "import-" + survey.sha256.prefix(32)
                ),
                records: survey.records,
                reporter: ImportReporter(context: invocation.context, name: name, records: survey.records)
            )
            let wait = noWait ? nil : Duration.seconds(timeout?.seconds ?? 600)
            // The stream has no deadline: a large file takes as long as it takes, answered chunk by chunk.
            let outcome: ImportOutcome
            do {
                outcome = try await IntakeCalls.call(invocation, timeout: nil) { intake, options in
                    try await session.run(intake, options: options, waitingUpTo: wait)
                }
            } catch {
                // The error goes on a line of its own, not after the progress.
                session.reporter.clear()
                throw error
            }
            session.reporter.clear()
            let progress = outcome.progress
            invocation.print(
                human: { _ in
                    var out =
                        IntakeOutput.conservationLine(
                            name,
                            received: progress.recordsReceived,
                            accepted: progress.accepted,
                            duplicates: progress.duplicates,
                            deadLettered: progress.deadLettered,
                            inFlight: progress.inFlight
                        ) + "\n"
                    if progress.deadLettered > 0 {
                        out +=
                            "dead letters: gongzhictl intake dead-letters list --source \(source) --state open\n"
                    }
                    if noWait && progress.inFlight > 0 {
                        out +=
                            "not waiting for the \(IntakeOutput.number(progress.inFlight)) in flight: "
                            + "gongzhictl intake stats --source \(source) shows when they are through\n"
                    }
                    return out
                },
                message: progress
            )
            if outcome.timedOut {
                throw ControlError(
                    "\(IntakeOutput.number(progress.inFlight)) of the import's records are still in flight after "
                        + "\(TimeStyle.duration(seconds: timeout?.seconds ?? 600)); gongzhictl intake stats --source "
                        + "\(source) shows when they are through",
                    exitCode: ControlExitCode.failed
                )
            }
        }
    }
}

/// The end of an import: the import's last progress, and whether waiting for its records in flight timed out.
struct ImportOutcome: Sendable {
    var progress: Gongzhi_Intake_V1_ImportProgress
    var timedOut: Bool
}

/// One import over the `Import` stream: the file's records in chunks, at most ``window`` chunks ahead of the
/// plugin's answers, then, unless told not to, waiting until none of its records is in flight.
struct ImportSession: Sendable {
    /// How many chunks may go unanswered.
    static let window = 2

    let file: ImportFile
    let chunker: ImportChunker
    /// How many records the file holds, for the progress.
    let records: Int
    let reporter: ImportReporter

    /// Sends the file and returns its last progress; waits up to `wait` (nil: not at all) for its records in
    /// flight, asking again with an empty last chunk of the same import, which counts nothing.
    func run(
        _ intake: Gongzhi_Intake_V1_IntakeClient,
        options: CallOptions,
        waitingUpTo wait: Duration?
    ) async throws -> ImportOutcome {
        var progress = try await send(intake, options: options)
        guard let wait, progress.inFlight > 0 else { return ImportOutcome(progress: progress, timedOut: false) }
        let clock = ContinuousClock()
        let deadline = clock.now + wait
        var pause = Duration.milliseconds(100)
        while progress.inFlight > 0 {
            reporter.waiting(progress)
            guard clock.now + pause < deadline else { return ImportOutcome(progress: progress, timedOut: true) }
            try await Task.sleep(for: pause)
            pause = min(pause * 2, .seconds(2))
            progress = try await ask(intake, options: options)
        }
        return ImportOutcome(progress: progress, timedOut: false)
    }

    /// Streams the chunks; returns the last answer.
    func send(
        _ intake: Gongzhi_Intake_V1_IntakeClient,
        options: CallOptions
    ) async throws
        -> Gongzhi_Intake_V1_ImportProgress
    {
        let file = self.file
        let reporter = self.reporter
        var chunker = self.chunker
        return try await intake.import(options: options) { writer, responses in
            var answers = responses.makeAsyncIterator()
            var sent = 0
            var answered = 0
            var recordsSent = 0
            var latest: Gongzhi_Intake_V1_ImportProgress?

            func nextAnswer() async throws -> Bool {
                guard let answer = try await answers.next() else { return false }
                answered += 1
                latest = answer
                reporter.sent(recordsSent, progress: answer)
                return true
            }
            func write(_ chunk: Gongzhi_Intake_V1_ImportChunk) async throws {
                while sent - answered >= Self.window {
                    guard try await nextAnswer() else {
                        throw ControlError(
                            "the intake plugin ended the import after \(answered) of its chunks without saying why "
                                + "(see gongzhictl plugins logs intake)",
                            exitCode: ControlExitCode.failed
                        )
                    }
                }
                do {
                    try await writer.write(chunk)
                } catch {
                    // The plugin ended the stream: its answer says why.
                    while try await nextAnswer() {}
                    throw error
                }
                sent += 1
                recordsSent += chunk.records.count
                reporter.sent(recordsSent, progress: latest)
            }

            try await file.forEachRecord { record in
                if let chunk = chunker.add(record.text, line: record.line) { try await write(chunk) }
            }
            try await write(chunker.finish())
            try await writer.finishWriting()
            while try await nextAnswer() {}
            guard let latest, answered >= sent else {
                throw ControlError(
                    "the intake plugin answered \(answered) of the import's \(sent) chunks and ended the stream; "
                        + "run the same import again: what was received is not counted twice",
                    exitCode: ControlExitCode.failed
                )
            }
            return latest
        }
    }

    /// The import's progress now: an empty last chunk of the same import.
    func ask(
        _ intake: Gongzhi_Intake_V1_IntakeClient,
        options: CallOptions
    ) async throws
        -> Gongzhi_Intake_V1_ImportProgress
    {
        let query = Gongzhi_Intake_V1_ImportChunk.with {
            $0.source = chunker.source
            $0.fileName = chunker.fileName
            $0.importID = chunker.importID
            $0.last = true
        }
        return try await intake.import(options: options) { writer, responses in
            try await writer.write(query)
            try await writer.finishWriting()
            var latest: Gongzhi_Intake_V1_ImportProgress?
            for try await answer in responses { latest = answer }
            guard let latest else {
                throw ControlError(
                    "the intake plugin did not answer for import \(chunker.importID)",
                    exitCode: ControlExitCode.failed
                )
            }
            return latest
        }
    }
}

/// The import's progress on standard error, one line redrawn in place, when standard error is a terminal;
/// nothing otherwise.
struct ImportReporter: Sendable {
    let context: ControlContext
    let name: String
    let records: Int

    func sent(_ sent: Int, progress: Gongzhi_Intake_V1_ImportProgress?) {
        guard context.errorIsTerminal else { return }
        let percent = records == 0 ? 100 : sent * 100 / records
        var line = "\(name): sent \(TextLayout.grouped(sent)) of \(TextLayout.grouped(records)) records (\(percent)%)"
        if let progress {
            line +=
                ", received \(IntakeOutput.number(progress.recordsReceived)), in flight "
                + IntakeOutput.number(progress.inFlight)
        }
        context.writeError("\r\u{1B}[K" + line)
    }

    func waiting(_ progress: Gongzhi_Intake_V1_ImportProgress) {
        guard context.errorIsTerminal else { return }
        context.writeError(
            "\r\u{1B}[K\(name): all sent; waiting for \(IntakeOutput.number(progress.inFlight)) in flight"
        )
    }

    /// Clears the progress line before the result is printed.
    func clear() {
        guard context.errorIsTerminal else { return }
        context.writeError("\r\u{1B}[K")
    }
}
