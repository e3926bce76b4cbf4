import GongzhiControl
import GongzhiDocuments
import GongzhiSchemas
import SwiftProtobuf

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One grid of a GeoJSON file, as `grid import` writes it.
struct GridImportFeature: Sendable, Equatable {
    /// The feature's index in the file's `features`, from 0.
    var index: Int
    /// The line (from 1) where the feature starts.
    var line: Int
    var code: String
    var name: String
    var communityCode: String
    var polygon: Gongzhi_Core_V1_Polygon

    init(
        index: Int,
        line: Int,
        code: String,
        name: String,
        communityCode: String,
        polygon: Gongzhi_Core_V1_Polygon
    ) {
        self.index = index
        self.line = line
        self.code = code
        self.name = name
        self.communityCode = communityCode
        self.polygon = polygon
    }

    /// `grids.geojson:12: feature 3 (code 330106001001003)`, as the GeoJSON reader names features.
    func place(in file: String) -> String {
        "\(file):\(line): feature \(index) (code \(code))"
    }
}

/// What `grid import` does with each grid of a file: which Grid objects it creates, which it updates
/// (keeping their workers and labels) and which are already as the file has them; and what stops it.
struct GridImportPlan: Sendable {
    enum Action: Sendable, Equatable {
        case create
        /// Update the object, expecting it at the revision it was read at.
        case update(expectedRevision: Int64)
        case unchanged
    }

    struct Step: Sendable {
        var feature: GridImportFeature
        var action: Action
        /// The object to write (for `unchanged`, the object as it is).
        var object: Gongzhi_Host_V1_Object
    }

    var steps: [Step] = []
    /// One line each, `FILE:LINE: feature N (code …): problem`; the import writes nothing when there are any.
    var problems: [String] = []

    var created: Int { steps.count { $0.action == .create } }
    var updated: Int { steps.count { if case .update = $0.action { true } else { false } } }
    var unchanged: Int { steps.count { $0.action == .unchanged } }
    /// The steps that write.
    var writes: [Step] { steps.filter { $0.action != .unchanged } }

    /// The plan for `features` of `file`, given which community codes are Regions and the Grid objects that
    /// exist (by code).
    static func make(
        _ features: [GridImportFeature],
        file: String,
        regions: Set<String>,
        grids: [String: Gongzhi_Host_V1_Object]
    ) -> GridImportPlan {
        var plan = GridImportPlan()
        for feature in features {
            let place = feature.place(in: file)
            guard regions.contains(feature.communityCode) else {
                plan.problems.append(
                    "\(place): community \(feature.communityCode) is not a Region; create it first"
                )
                continue
            }
            guard let current = grids[feature.code] else {
                plan.steps.append(Step(feature: feature, action: .create, object: newObject(feature)))
                continue
            }
            let stored: Gongzhi_Core_V1_Grid
            do {
                stored = try Gongzhi_Core_V1_Grid(serializedBytes: current.data)
            } catch {
                plan.problems.append(
                    "\(place): the stored Grid/\(feature.code) is not a gongzhi.core.v1.Grid (\(error)); "
                        + "delete it or fix it first"
                )
                continue
            }
            var wanted = stored
            wanted.code = feature.code
            wanted.name = feature.name
            wanted.communityCode = feature.communityCode
            wanted.polygon = feature.polygon
            if wanted == stored && current.parent == feature.communityCode {
                plan.steps.append(Step(feature: feature, action: .unchanged, object: current))
                continue
            }
            if !current.redactedFields.isEmpty {
                plan.problems.append(
                    "\(place): Grid/\(feature.code) was read with its "
                        + current.redactedFields.joined(separator: ", ")
                        + " withheld, which an update would erase; import as a caller with the "
                        + "gongzhi.host.v1.PersonalData/Read grant"
                )
                continue
            }
            var object = current
            object.parent = feature.communityCode
            object.data = (try? Data(wanted.serializedBytes() as [UInt8])) ?? Data()
            object.redactedFields = []
            plan.steps.append(
                Step(feature: feature, action: .update(expectedRevision: current.revision), object: object)
            )
        }
        return plan
    }

    /// A Grid object for a grid that does not exist yet: its community as the parent, no labels, no workers.
    static func newObject(_ feature: GridImportFeature) -> Gongzhi_Host_V1_Object {
        let grid = Gongzhi_Core_V1_Grid.with {
            $0.code = feature.code
            $0.name = feature.name
            $0.communityCode = feature.communityCode
            $0.polygon = feature.polygon
        }
        return Gongzhi_Host_V1_Object.with {
            $0.kind = "Grid"
            $0.id = feature.code
            $0.parent = feature.communityCode
            $0.data = (try? Data(grid.serializedBytes() as [UInt8])) ?? Data()
        }
    }
}

/// How many grids an import created, updated and left alone.
struct GridImportCounts: Sendable, Equatable {
    var created = 0
    var updated = 0
    var unchanged = 0

    var total: Int { created + updated + unchanged }
}

extension GridOutput {
    /// `120 grids: 12 created, 3 updated, 105 unchanged`; for a dry run, what an import would do.
    static func imported(_ counts: GridImportCounts, dryRun: Bool) -> String {
        let grids = "\(grouped(counts.total)) " + (counts.total == 1 ? "grid" : "grids")
        if dryRun {
            return "\(grids): \(grouped(counts.created)) to create, \(grouped(counts.updated)) to update, "
                + "\(grouped(counts.unchanged)) unchanged (dry run: nothing was written)\n"
        }
        return "\(grids): \(grouped(counts.created)) created, \(grouped(counts.updated)) updated, "
            + "\(grouped(counts.unchanged)) unchanged\n"
    }

    static func importedDocument(_ counts: GridImportCounts, dryRun: Bool) -> String {
        JSONText.pretty(
            .object([
                ("grids", .integer(counts.total)),
                ("created", .integer(counts.created)),
                ("updated", .integer(counts.updated)),
                ("unchanged", .integer(counts.unchanged)),
                ("dry_run", .bool(dryRun)),
            ])
        ) + "\n"
    }

    /// `importing: 1,200/3,000 (40%)`, without a line end.
    static func importProgress(_ verb: String, done: Int, total: Int) -> String {
        "\(verb): \(grouped(done))/\(grouped(total)) (\(total == 0 ? 100 : done * 100 / total)%)"
    }
}

/// Progress of a long import on standard error, as apply shows it: one line redrawn in place on a
/// terminal, else a line at each tenth; nothing for a file of few grids.
struct GridImportProgress {
    /// Fewer grids than this finish quickly enough to need no progress.
    static let threshold = 200

    let verb: String
    let total: Int
    let terminal: Bool
    let write: @Sendable (String) -> Void
    private var lastTenth = 0
    private var drawn = false

    init(_ verb: String, total: Int, terminal: Bool, write: @escaping @Sendable (String) -> Void) {
        self.verb = verb
        self.total = total
        self.terminal = terminal
        self.write = write
    }

    mutating func update(done: Int) {
        guard total >= Self.threshold else { return }
        if terminal {
            write("\r" + GridOutput.importProgress(verb, done: done, total: total))
            drawn = true
            return
        }
        let tenth = done * 10 / total
        guard tenth > lastTenth else { return }
        lastTenth = tenth
        write(GridOutput.importProgress(verb, done: done, total: total) + "\n")
    }

    /// Ends the redrawn line, so that what follows starts on a line of its own.
    mutating func finish() {
        guard drawn else { return }
        write("\n")
        drawn = false
    }
}
