import ArgumentParser
import GongzhiControl
import GongzhiGeo
import GongzhiRPC
import GongzhiSchemas

extension GridCommand {
    /// `gongzhictl grid import FILE.geojson`.
    struct Import: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create or update Grid objects from a GeoJSON file of grid boundaries.",
            discussion: """
                The file is a GeoJSON FeatureCollection: each feature a Polygon (or a MultiPolygon of one \
                polygon) in WGS-84 [longitude, latitude] with properties code (15 digits), name, and \
                optionally community_code (else the code's first 12 digits); - reads standard input.

                Everything is checked before anything is written: the GeoJSON (rings closed, no \
                self-intersections, codes well formed and each given once), and that each grid's community \
                exists as a Region object. Every problem is listed with its line, and then nothing is \
                written. Otherwise a grid that does not exist is created (its community as the parent), one \
                that differs is updated (polygon, name and community from the file; its workers and labels \
                are kept), and one that is as the file has it is left alone. --dry-run checks and says what \
                would be done, writing nothing.

                Example:
                  gongzhictl grid import xixi-grids.geojson
                  48 grids: 3 created, 2 updated, 43 unchanged
                """
        )

        @Argument(
            help: ArgumentHelp("The GeoJSON file; - for standard input.", valueName: "file"),
            completion: .file(extensions: ["geojson", "json"])
        )
        var file: String

        @Flag(help: "Check the file and the communities and say what would change; write nothing.")
        var dryRun = false

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func run() async throws {
            let invocation = self.invocation
            if invocation.format == .yaml {
                throw ControlError(
                    "-o yaml is for the object commands; use -o json or -o table",
                    exitCode: ControlExitCode.usage
                )
            }
            let context = invocation.context
            let name = file == "-" ? "stdin" : file
            let bytes = try DocumentReader.contents(of: file, context: context)
            let features = try Self.features(in: bytes, name: name, context: context)
            let counts = try await invocation.withObjects { objects in
                let plan = try await Self.plan(features, file: name, objects: objects, invocation: invocation)
                try Self.refuse(plan.problems, file: name, context: context)
                let counts = GridImportCounts(created: plan.created, updated: plan.updated, unchanged: plan.unchanged)
                if !dryRun { try await Self.write(plan, file: name, objects: objects, invocation: invocation) }
                return counts
            }
            invocation.print(
                human: { _ in GridOutput.imported(counts, dryRun: dryRun) },
                json: { GridOutput.importedDocument(counts, dryRun: dryRun) }
            )
        }

        /// The grids of the file, or every problem with it (on standard error when there are several).
        static func features(
            in bytes: [UInt8],
            name: String,
            context: ControlContext
        ) throws(ControlError) -> [GridImportFeature] {
            let parsed: [GridFeature]
            do {
                parsed = try GridGeoJSON.parse(bytes, name: name)
            } catch {
                try refuse(error.problems.map(\.description), file: name, context: context)
                throw refusal(["\(name): not a GeoJSON file of grids"], file: name)
            }
            guard !parsed.isEmpty else {
                throw ControlError("\(name) holds no grids; nothing to import", exitCode: ControlExitCode.failed)
            }
            return parsed.enumerated().map { index, feature in
                GridImportFeature(
                    index: index,
                    line: feature.line,
                    code: feature.code,
                    name: feature.name,
                    communityCode: feature.communityCode,
                    polygon: Gongzhi_Core_V1_Polygon.with {
                        $0.outer = ring(feature.polygon.outer)
                        $0.holes = feature.polygon.holes.map(ring)
                    }
                )
            }
        }

        private static func ring(_ points: [GeoPoint]) -> Gongzhi_Core_V1_Ring {
            Gongzhi_Core_V1_Ring.with {
                $0.points = points.map { point in
                    Gongzhi_Core_V1_Point.with {
                        $0.longitude = point.longitude
                        $0.latitude = point.latitude
                    }
                }
            }
        }

        /// Reads each community's Region and each grid's Grid, and plans the writes.
        static func plan(
            _ features: [GridImportFeature],
            file: String,
            objects: Gongzhi_Host_V1_ObjectsClient,
            invocation: Invocation
        ) async throws -> GridImportPlan {
            let context = invocation.context
            var progress = GridImportProgress(
                "checking",
                total: features.count,
                terminal: context.errorIsTerminal,
                write: context.writeError
            )
            defer { progress.finish() }
            var regions: Set<String> = []
            var checked: Set<String> = []
            var grids: [String: Gongzhi_Host_V1_Object] = [:]
            for (done, feature) in features.enumerated() {
                let place = feature.place(in: file)
                if checked.insert(feature.communityCode).inserted,
                    try await read(
                        "Region",
                        feature.communityCode,
                        objects: objects,
                        invocation: invocation,
                        place: place
                    )
                        != nil
                {
                    regions.insert(feature.communityCode)
                }
                grids[feature.code] = try await read(
                    "Grid",
                    feature.code,
                    objects: objects,
                    invocation: invocation,
                    place: place
                )
                progress.update(done: done + 1)
            }
            return GridImportPlan.make(features, file: file, regions: regions, grids: grids)
        }

        /// The object, or nil when there is none.
        private static func read(
            _ kind: String,
            _ id: String,
            objects: Gongzhi_Host_V1_ObjectsClient,
            invocation: Invocation,
            place: String
        ) async throws -> Gongzhi_Host_V1_Object? {
            do {
                return try await objects.get(
                    .with {
                        $0.kind = kind
                        $0.id = id
                    },
                    options: invocation.callOptions
                )
            } catch let error where RPCError(wrapping: error).code == .notFound {
                return nil
            } catch {
                throw ControlError(objectCall: invocation.socketPath, failedWith: error).at("\(place): \(kind)/\(id)")
            }
        }

        /// Creates and updates the grids the plan says, one by one, showing progress for a large file.
        static func write(
            _ plan: GridImportPlan,
            file: String,
            objects: Gongzhi_Host_V1_ObjectsClient,
            invocation: Invocation
        ) async throws {
            let context = invocation.context
            let writes = plan.writes
            var progress = GridImportProgress(
                "importing",
                total: writes.count,
                terminal: context.errorIsTerminal,
                write: context.writeError
            )
            defer { progress.finish() }
            for (done, step) in writes.enumerated() {
                do {
                    switch step.action {
                    case .create:
                        _ = try await objects.create(.with { $0.object = step.object }, options: invocation.callOptions)
                    case .update(let revision):
                        _ = try await objects.update(
                            .with {
                                $0.object = step.object
                                $0.expectedRevision = revision
                            },
                            options: invocation.callOptions
                        )
                    case .unchanged:
                        break
                    }
                } catch {
                    throw failure(
                        error,
                        at: step.feature.place(in: file),
                        step: step,
                        done: done,
                        of: writes.count,
                        socketPath: invocation.socketPath
                    )
                }
                progress.update(done: done + 1)
            }
        }

        /// A failed write, named by its feature, with how far the import got.
        private static func failure(
            _ error: any Error,
            at place: String,
            step: GridImportPlan.Step,
            done: Int,
            of total: Int,
            socketPath: String
        ) -> ControlError {
            let rpc = RPCError(wrapping: error)
            let base: ControlError
            switch rpc.code {
            case .aborted, .alreadyExists:
                base = ControlError(
                    "Grid/\(step.feature.code) changed while it was being imported (\(rpc.message)); import again",
                    exitCode: ControlExitCode.failed
                )
            default:
                base = ControlError(objectCall: socketPath, failedWith: error)
            }
            guard base.exitCode != ControlExitCode.unreachable else { return base }
            let written =
                done == 0
                ? ""
                : " (\(GridOutput.grouped(done)) of \(GridOutput.grouped(total)) writes were done before this; "
                    + "import again to finish)"
            return ControlError("\(place): \(base.message)\(written)", exitCode: base.exitCode)
        }

        /// Refuses the import when there are problems: each on standard error, then one line that ends it.
        static func refuse(_ problems: [String], file: String, context: ControlContext) throws(ControlError) {
            guard !problems.isEmpty else { return }
            if problems.count > 1 {
                for problem in problems { context.writeError(problem + "\n") }
            }
            throw refusal(problems, file: file)
        }

        /// The error that ends an import with problems: the problem itself when there is one, else how many
        /// (listed before it).
        static func refusal(_ problems: [String], file: String) -> ControlError {
            if problems.count == 1 {
                return ControlError("\(problems[0]); nothing was imported", exitCode: ControlExitCode.failed)
            }
            return ControlError(
                "\(file) has \(problems.count) problems (listed above); nothing was imported",
                exitCode: ControlExitCode.failed
            )
        }
    }
}
