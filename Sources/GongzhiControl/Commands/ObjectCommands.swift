import ArgumentParser
import GongzhiDocuments
import GongzhiRPC
import GongzhiSchemas

/// The kind an object command acts on.
struct KindArgument: ParsableArguments {
    @Argument(
        help: ArgumentHelp(
            "The kind: Resident, residents, grid … (any case, singular or plural); gongzhictl get kinds lists them.",
            valueName: "kind"
        )
    )
    var kind: String
}

extension GongzhiControl {
    /// `gongzhictl get KIND [ID]`, `gongzhictl get kinds`.
    struct Get: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the objects of a kind, or show one; gongzhictl get kinds lists the kinds.",
            discussion: """
                Without an id, every object of the kind (read 500 at a time), or those that -l and --parent \
                choose; --limit stops early. The table shows ID, NAME (when the kind's message has a name), \
                PARENT, REVISION, AGE and UPDATED; -o json and -o yaml print documents that gongzhictl apply \
                reads back: a list without an id, one document with it.
                """
        )

        @OptionGroup var kindArgument: KindArgument

        @Argument(help: ArgumentHelp("The object's id; without it, the objects of the kind.", valueName: "id"))
        var id: String?

        @Option(
            name: [.customShort("l"), .customLong("selector")],
            help: ArgumentHelp(
                "Only objects whose labels match, e.g. 'grid=110105001001001,tag!=elderly' "
                    + "(=, !=, key, !key, key in (a,b)).",
                valueName: "selector"
            )
        )
        var selector: String?

        @Option(help: ArgumentHelp("Only objects whose parent has this id.", valueName: "id"))
        var parent: String?

        @Option(help: ArgumentHelp("At most this many objects (default: all).", valueName: "n"))
        var limit: UInt32?

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func validate() throws {
            if id != nil && (selector != nil || parent != nil || limit != nil) {
                throw ValidationError("-l, --parent and --limit choose from the list; leave them out with an id")
            }
            if limit == 0 { throw ValidationError("--limit must be 1 or more; leave it out for every object") }
        }

        func run() async throws {
            let invocation = self.invocation
            if kindArgument.kind.lowercased() == "kinds" {
                if id != nil { throw ValidationError("gongzhictl get kinds takes no id") }
                let kinds = try await invocation.withObjects { objects in
                    try await objects.listKinds(Gongzhi_Host_V1_ListKindsRequest(), options: invocation.callOptions)
                        .kinds.sorted { $0.name < $1.name }
                }
                invocation.printObjects(
                    human: { _ in ObjectOutput.kindTable(kinds) },
                    document: { ObjectOutput.kindsDocument(kinds) }
                )
                return
            }
            let (kind, objects) = try await invocation.withObjects { objects in
                let kind = try await KindCatalog.load(from: objects, options: invocation.callOptions)
                    .resolve(kindArgument.kind)
                if let id {
                    let object = try await objects.get(
                        .with {
                            $0.kind = kind.name
                            $0.id = id
                        },
                        options: invocation.callOptions
                    )
                    return (kind, [object])
                }
                return (kind, try await list(kind, objects: objects, options: invocation.callOptions))
            }
            invocation.printObjects(
                human: { ObjectOutput.table(objects, kind: kind, time: $0) },
                document: {
                    id != nil && objects.count == 1
                        ? ObjectDocument.json(objects[0], kind: kind)
                        : .array(objects.map { ObjectDocument.json($0, kind: kind) })
                }
            )
        }

        /// Every page, or until `--limit`.
        private func list(
            _ kind: ObjectKind,
            objects: Gongzhi_Host_V1_ObjectsClient,
            options: CallOptions
        ) async throws -> [Gongzhi_Host_V1_Object] {
            var found: [Gongzhi_Host_V1_Object] = []
            var token = ""
            repeat {
                let wanted = limit.map { Int($0) - found.count } ?? Int.max
                let request = Gongzhi_Host_V1_ListRequest.with {
                    $0.kind = kind.name
                    $0.labelSelector = selector ?? ""
                    $0.parent = parent ?? ""
                    $0.pageSize = UInt32(min(500, wanted))
                    $0.pageToken = token
                }
                let page = try await objects.list(request, options: options)
                found += page.objects.prefix(wanted)
                token = page.nextPageToken
            } while !token.isEmpty && found.count < limit.map(Int.init) ?? Int.max
            return found
        }
    }

    /// `gongzhictl describe KIND ID`, `gongzhictl describe service NAME[/METHOD]`, `gongzhictl describe message NAME`.
    struct Describe: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show an object for people (metadata, labels, data, withheld fields), or a service's schema.",
            discussion: """
                gongzhictl describe service NAME shows a service the host serves (gongzhictl services lists \
                them): its methods with their shapes, requests and answers, and every message and enum they \
                use with their fields, marking the sensitive ones (personal data, withheld from callers \
                without the grant). describe service NAME/METHOD shows one method; describe message NAME (or \
                describe enum NAME) a message or enum that a service's descriptors define. -o json and -o yaml \
                print the same as a document. (A kind of objects named Service, Message or Enum is reached by \
                its plural: describe services ID.)
                """
        )

        @OptionGroup var kindArgument: KindArgument

        @Argument(help: ArgumentHelp("The object's id.", valueName: "id"))
        var id: String

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func run() async throws {
            let invocation = self.invocation
            if let schema = SchemaDescription(kind: kindArgument.kind, name: id) {
                try await schema.run(invocation)
                return
            }
            let (kind, object) = try await invocation.withObjects { objects in
                let kind = try await KindCatalog.load(from: objects, options: invocation.callOptions)
                    .resolve(kindArgument.kind)
                let object = try await objects.get(
                    .with {
                        $0.kind = kind.name
                        $0.id = id
                    },
                    options: invocation.callOptions
                )
                return (kind, object)
            }
            invocation.printObjects(
                human: { ObjectOutput.detail(object, kind: kind, time: $0) },
                document: { ObjectDocument.json(object, kind: kind) }
            )
        }
    }

    /// `gongzhictl watch KIND`.
    struct Watch: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print every change of a kind as it happens, until Ctrl-C.",
            discussion: """
                One line an event: ADDED|MODIFIED|DELETED KIND/ID revision N at TIME (when it was committed, \
                UTC); with -o json one JSON object a line (type, revision, committedAt, object), with -o yaml one \
                YAML document an event. --since REVISION \
                starts after that revision (e.g. the revision a list was read at), so that no change is \
                missed; the host refuses a revision it no longer keeps the history of: list again, then \
                watch from the list's revision.
                """
        )

        @OptionGroup var kindArgument: KindArgument

        @Option(
            name: [.customShort("l"), .customLong("selector")],
            help: ArgumentHelp("Only objects whose labels match (as for get).", valueName: "selector")
        )
        var selector: String?

        @Option(
            help: ArgumentHelp("Start with the changes after this revision (default: from now).", valueName: "revision")
        )
        var since: Int64?

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func validate() throws {
            if let since, since < 0 { throw ValidationError("--since must be a revision, 0 or more") }
        }

        func run() async throws {
            let invocation = self.invocation
            try await invocation.withObjects { objects in
                let kind = try await KindCatalog.load(from: objects, options: invocation.callOptions)
                    .resolve(kindArgument.kind)
                let request = Gongzhi_Host_V1_WatchRequest.with {
                    $0.kind = kind.name
                    $0.afterRevision = since ?? 0
                    $0.fromNow = since == nil
                    $0.labelSelector = selector ?? ""
                }
                try await objects.watch(request, options: CallOptions(timeout: nil)) { events in
                    for try await event in events {
                        switch invocation.format {
                        case .table:
                            invocation.context.writeOutput(ObjectOutput.watchLine(event))
                        case .json:
                            invocation.context.writeOutput(
                                JSONText.compact(ObjectOutput.watchDocument(event, kind: kind)) + "\n"
                            )
                        case .yaml:
                            invocation.context.writeOutput(
                                "---\n" + YAMLText.document(ObjectOutput.watchDocument(event, kind: kind))
                            )
                        }
                    }
                }
            }
        }
    }

    /// `gongzhictl delete KIND ID`.
    struct Delete: AdminCommand {
        static let access = HostAccess.administration
        static let configuration = CommandConfiguration(
            abstract: "Delete an object; with --revision, only if it is still at that revision."
        )

        @OptionGroup var kindArgument: KindArgument

        @Argument(help: ArgumentHelp("The object's id.", valueName: "id"))
        var id: String

        @Option(
            help: ArgumentHelp(
                "Delete only if the object is at this revision (default: whatever it is at).",
                valueName: "n"
            )
        )
        var revision: Int64?

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func validate() throws {
            if let revision, revision <= 0 {
                throw ValidationError("--revision must be 1 or more; leave it out to delete at any revision")
            }
        }

        func run() async throws {
            let invocation = self.invocation
            let (kind, revision) = try await invocation.withObjects { objects in
                let kind = try await KindCatalog.load(from: objects, options: invocation.callOptions)
                    .resolve(kindArgument.kind)
                let response = try await objects.delete(
                    .with {
                        $0.kind = kind.name
                        $0.id = id
                        $0.expectedRevision = self.revision ?? 0
                    },
                    options: invocation.callOptions
                )
                return (kind.name, response.revision)
            }
            invocation.printObjects(
                human: { _ in ObjectOutput.deleted(kind: kind, id: id, revision: revision) },
                document: { ObjectOutput.deletedDocument(kind: kind, id: id, revision: revision) }
            )
        }
    }

    /// `gongzhictl apply -f FILE`.
    struct Apply: AdminCommand {
        static let access = HostAccess.administration
        static let configuration = CommandConfiguration(
            abstract: "Create or update the objects that files describe.",
            discussion: """
                A file is JSON (.json: one document or a list of them; .jsonl or .ndjson: one a line) or YAML \
                (.yaml, .yml: documents separated by ---, each a document or a list); - reads standard input, \
                whose format is told by its first character. A document has kind, id, data and optionally \
                parent, labels and revision, as gongzhictl get -o json|yaml prints them.

                Every document is checked before anything is written. Objects that do not exist are created, \
                256 to a transaction; existing ones are updated when their labels, parent or data differ \
                (expecting the document's revision, when it has one) and left alone otherwise. A document \
                that was read with personal data withheld (redactedFields) is refused: applying it would \
                erase that data.
                """
        )

        @Option(
            name: [.customShort("f"), .customLong("filename")],
            help: ArgumentHelp(
                "A file of documents; - for standard input. Repeat for more files.",
                valueName: "file"
            ),
            completion: .file(extensions: ["json", "jsonl", "ndjson", "yaml", "yml"])
        )
        var files: [String] = []

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func validate() throws {
            if files.isEmpty {
                throw ValidationError("say what to apply: -f FILE (repeat for more files; -f - reads standard input)")
            }
        }

        func run() async throws {
            let invocation = self.invocation
            let context = invocation.context
            let documents = try Self.read(files, context: context)
            let started = ContinuousClock.now
            let counts = try await invocation.withObjects { objects in
                let catalog = try await KindCatalog.load(from: objects, options: invocation.callOptions)
                let items = try Self.items(documents, catalog: catalog)
                var progress = ApplyProgress(
                    total: items.count,
                    terminal: context.errorIsTerminal,
                    write: context.writeError
                )
                progress.start()
                do {
                    let counts = try await Applier(objects: objects, socketPath: invocation.socketPath)
                        .apply(items) { progress.update(done: $0) }
                    progress.finish()
                    return counts
                } catch {
                    progress.finish()
                    throw error
                }
            }
            let elapsed = ContinuousClock.now - started
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            invocation.printObjects(
                human: { _ in ObjectOutput.applySummary(counts, seconds: seconds) },
                document: { ObjectOutput.applySummaryDocument(counts, seconds: seconds) }
            )
        }

        /// Reads the files and checks each document's shape; refuses them all if any has a problem.
        static func read(_ files: [String], context: ControlContext) throws(ControlError) -> [InputDocument] {
            var sources: [(name: String, bytes: [UInt8])] = []
            for path in files {
                sources.append((path == "-" ? "stdin" : path, try DocumentReader.contents(of: path, context: context)))
            }
            return try documents(in: sources)
        }

        /// The documents of files already read, each named as messages name it.
        static func documents(in sources: [(name: String, bytes: [UInt8])]) throws(ControlError) -> [InputDocument] {
            var documents: [InputDocument] = []
            var problems: [String] = []
            for source in sources {
                for (value, place) in try DocumentReader.documents(in: source.bytes, name: source.name) {
                    do {
                        documents.append(try InputDocument(value, place: place))
                    } catch {
                        problems.append("\(place.at(line: error.line)): \(error.problem)")
                    }
                }
            }
            try refuse(problems)
            guard !documents.isEmpty else {
                let names = sources.map { $0.name == "stdin" ? "standard input" : $0.name }.joined(separator: ", ")
                throw ControlError("\(names) holds no documents; nothing to apply", exitCode: ControlExitCode.failed)
            }
            return documents
        }

        /// The objects to write: each document's kind known to the host, its data valid for the kind, and
        /// no object given twice.
        static func items(_ documents: [InputDocument], catalog: KindCatalog) throws(ControlError) -> [ApplyItem] {
            var items: [ApplyItem] = []
            items.reserveCapacity(documents.count)
            var problems: [String] = []
            var seen: [String: String] = [:]
            for document in documents {
                let place = document.place.at(line: document.line)
                do {
                    let (object, kind) = try document.object(in: catalog)
                    let item = ApplyItem(object: object, kind: kind, expectedRevision: document.revision, place: place)
                    if let first = seen.updateValue(place, forKey: item.name) {
                        seen[item.name] = first
                        problems.append("\(place): \(item.name) is also at \(first); give each object once")
                        continue
                    }
                    items.append(item)
                } catch {
                    problems.append("\(document.place.at(line: error.line)): \(error.problem)")
                }
            }
            try refuse(problems)
            return items
        }

        /// The first problem, and how many more there are.
        private static func refuse(_ problems: [String]) throws(ControlError) {
            guard let first = problems.first else { return }
            let more = problems.count > 1 ? " (and \(problems.count - 1) more)" : ""
            throw ControlError("\(first)\(more); nothing was applied", exitCode: ControlExitCode.failed)
        }
    }
}
